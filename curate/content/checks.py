"""Checks over the content signals: structure, answer defects, unanswerable prompts, hygiene,
verifiable answers, token lengths, label balance and language.

Each reads the columns its stage wrote (see the stage modules' docstrings) and returns a
CheckResult whose evidence is one short line per flagged record. `fix` says what `curate clean`
does: `drop` quarantines the record, `fix_text` rewrites its text with `hygiene.fix_text`.
"""

from __future__ import annotations

from collections import Counter

from curate.checks.registry import CheckResult, rate_check, register_check
from curate.content import answers, balance, hygiene, lengths, prompts, structure, verify  # noqa: F401 (stages)

SFT = ("alpaca", "prompt_completion", "chat")


def _n(x) -> int:
    """Length of a list signal; 0 for None/NaN (pandas turns an all-None column into NaN)."""
    return len(x) if hasattr(x, "__len__") and not isinstance(x, str) else 0


def _s(x) -> str | None:
    """A string signal, or None for None/NaN."""
    return x if isinstance(x, str) and x else None


@register_check("require_valid_structure", needs=("structure",), fix="drop")
def require_valid_structure(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """Every record has its required fields and a valid chat role order (system first, user/assistant alternate, ends on an answer)."""
    col = signals["structure_issues"]
    ev = ["; ".join(f"{i['field']}: {i['detail']}" for i in issues) if _n(issues) else "" for issues in col]
    return rate_check(signals, [_n(x) > 0 for x in col], ev, max_rate=max_rate, message="have structure problems")


@register_check("max_template_token_leaks", needs=("structure",), fix="drop")
def max_template_token_leaks(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records contain chat-template special tokens (<|im_start|>, [INST], </s>...) in their text."""
    col = signals["template_leaks"]
    ev = [", ".join(f"{x['token']} in {x['field']}" for x in leaks) if _n(leaks) else "" for leaks in col]
    return rate_check(signals, [_n(x) > 0 for x in col], ev, max_rate=max_rate, message="contain chat-template tokens")


def _defect_check(signals, kinds: tuple[str, ...], max_rate: float, message: str) -> CheckResult:
    defects = [_s(k) for k in signals["answer_defect"]]
    mask = [k in kinds for k in defects]
    ev = [f"{k}: {e}" if k else "" for k, e in zip(defects, signals["answer_evidence"])]
    return rate_check(signals, mask, ev, max_rate=max_rate, message=message)


@register_check("max_empty_or_placeholder_answers", needs=("answers",), formats=SFT, fix="drop")
def max_empty_or_placeholder_answers(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records have an empty, whitespace-only or placeholder answer ("N/A", "<nooutput>")."""
    return _defect_check(signals, ("empty", "placeholder"), max_rate, "have empty or placeholder answers")


@register_check("max_refusal_answers", needs=("answers",), formats=SFT, fix="drop")
def max_refusal_answers(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records answer with a refusal or AI boilerplate ("As an AI language model...")."""
    return _defect_check(signals, ("refusal",), max_rate, "have refusal/boilerplate answers")


@register_check("max_answers_repeating_prompt", needs=("answers",), formats=SFT, fix="drop")
def max_answers_repeating_prompt(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records answer by repeating the prompt."""
    return _defect_check(signals, ("repeats_prompt",), max_rate, "answer by repeating the prompt")


@register_check("max_truncated_answers", needs=("answers",), formats=SFT, fix="drop")
def max_truncated_answers(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records have an answer cut off mid-sentence or inside a code block."""
    return _defect_check(signals, ("truncated",), max_rate, "have truncated answers")


@register_check("max_merged_instructions", needs=("answers",), formats=SFT, fix="drop")
def max_merged_instructions(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records have further instruction/answer blocks merged into the answer."""
    col = [_s(x) for x in signals["merged_instructions"]]
    return rate_check(signals, [x is not None for x in col], [x or "" for x in col], max_rate=max_rate,
                      message="have merged instruction blocks in the answer")


@register_check("max_unanswerable_prompts", needs=("prompts",), formats=SFT, fix="drop")
def max_unanswerable_prompts(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of prompts refer to attachments, images, audio/video, links or text the record does not contain, or ask to browse or draw."""
    reasons, spans = [_s(r) for r in signals["unanswerable"]], signals["unanswerable_evidence"]
    ev = [f"{r}: {s}" if r else "" for r, s in zip(reasons, spans)]
    res = rate_check(signals, [r is not None for r in reasons], ev, max_rate=max_rate, message="have unanswerable prompts")
    res.details["by_reason"] = dict(Counter(r for r in reasons if r))
    return res


def _field_list_check(signals, column: str, max_rate: float, message: str) -> CheckResult:
    col = signals[column]
    ev = ["; ".join(f"{x['field']}: {x['detail']}" for x in found) if _n(found) else "" for found in col]
    return rate_check(signals, [_n(x) > 0 for x in col], ev, max_rate=max_rate, message=message)


@register_check("max_control_char_records", needs=("hygiene",), fix="fix_text")
def max_control_char_records(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records contain control characters (other than newline and tab) or zero-width junk."""
    return _field_list_check(signals, "control_chars", max_rate, "contain control characters")


@register_check("max_mojibake_records", needs=("hygiene",), fix="fix_text")
def max_mojibake_records(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records contain mojibake (text decoded with the wrong encoding, fixable with ftfy)."""
    return _field_list_check(signals, "mojibake", max_rate, "contain mojibake")


@register_check("max_invalid_unicode_records", needs=("hygiene",), fix="fix_text")
def max_invalid_unicode_records(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records contain lone surrogates, noncharacters or U+FFFD replacement characters."""
    return _field_list_check(signals, "invalid_unicode", max_rate, "contain invalid Unicode")


@register_check("max_repetition", needs=("hygiene",), fix="drop")
def max_repetition(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records contain degenerate repetition (a character run, a phrase or line over and over)."""
    return _field_list_check(signals, "repetition", max_rate, "contain repeated text")


def _fmt_errors(errors) -> str:
    shown = [f"{e['expression']} = {e['claimed']} (actually {e['actual']})" for e in list(errors)[:2]]
    more = f" (+{len(errors) - 2} more)" if len(errors) > 2 else ""
    return "; ".join(shown) + more


@register_check("max_arithmetic_errors", needs=("verify",), formats=SFT, fix="drop")
def max_arithmetic_errors(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records state arithmetic that does not evaluate to the claimed result (2/4 = 2)."""
    col = signals["arithmetic_errors"]
    res = rate_check(signals, [_n(x) > 0 for x in col], [_fmt_errors(x) if _n(x) else "" for x in col],
                     max_rate=max_rate, message="state wrong arithmetic")
    res.details["equations_checked"] = int(sum(signals["arithmetic_checked"]))
    res.details["wrong_claims"] = int(sum(_n(x) for x in col))
    return res


@register_check("max_invalid_json_answers", needs=("verify",), formats=SFT, fix="drop")
def max_invalid_json_answers(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records answer a request for JSON with JSON that does not parse."""
    col = [_s(x) for x in signals["json_invalid"]]
    return rate_check(signals, [x is not None for x in col], [x or "" for x in col], max_rate=max_rate,
                      message="have JSON answers that do not parse")


@register_check("max_invalid_code_answers", needs=("verify",), formats=SFT, fix="drop")
def max_invalid_code_answers(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records contain Python (a ```python block, or an answer written as Python without a fence) that does not compile."""
    col = [_s(x) for x in signals["code_invalid"]]
    return rate_check(signals, [x is not None for x in col], [x or "" for x in col], max_rate=max_rate,
                      message="have Python code that does not compile")


def _percentiles(values: list[int]) -> dict:
    if not values:
        return {}
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]  # noqa: E731
    return {"min": v[0], "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": v[-1], "mean": round(sum(v) / len(v), 1)}


@register_check("max_truncated_at_max_len", needs=("lengths",), fix="drop")
def max_truncated_at_max_len(signals, ctx, *, max_seq_len: int = 2048, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records are longer than `max_seq_len` tokens (chat template applied), so training cuts their answer."""
    rows = list(signals["length_tokens"])
    kinds = [lengths.truncation(r, max_seq_len) for r in rows]
    ev = []
    for r, k in zip(rows, kinds):
        if k == "cuts_answer":
            kept = max_seq_len - r["prompt"]
            ev.append(f"{r['total']} tokens > max_seq_len {max_seq_len}: answer cut at token {kept} of {r['response']}")
        elif k == "drops_answer":
            ev.append(f"prompt alone is {r['prompt']} tokens >= max_seq_len {max_seq_len}: none of the {r['response']} answer tokens is trained on")
        else:
            ev.append("")
    res = rate_check(signals, [k is not None for k in kinds], ev, max_rate=max_rate,
                     message=f"exceed max_seq_len {max_seq_len}")
    res.details["tokens"] = {f: _percentiles([r[f] for r in rows]) for f in ("prompt", "response", "total")}
    res.details["drops_answer"] = sum(k == "drops_answer" for k in kinds)
    res.details["cuts_answer"] = sum(k == "cuts_answer" for k in kinds)
    return res


def _labels(ctx) -> list:
    return [r["label"] for r in ctx.dataset.records]


@register_check("min_records_per_label", formats=("classification",))
def min_records_per_label(signals, ctx, *, min_count: int = 10) -> CheckResult:
    """Every label has at least `min_count` records (too few examples and the class is not learnt)."""
    counts = Counter(_labels(ctx))
    thin = {lab: c for lab, c in sorted(counts.items(), key=lambda kv: kv[1]) if c < min_count}
    smallest = min(counts.values()) if counts else 0
    ids = [i for i, lab in zip(signals["id"], _labels(ctx)) if lab in thin]
    ev = {i: f"label '{lab}' has {counts[lab]} records (< {min_count})" for i, lab in zip(signals["id"], _labels(ctx)) if lab in thin}
    msg = (f"{len(thin)} of {len(counts)} labels have fewer than {min_count} records: "
           + ", ".join(f"{k} ({v})" for k, v in thin.items())) if thin else f"every label has >= {min_count} records (smallest {smallest})"
    return CheckResult(value=smallest, passed=bool(counts) and not thin, threshold=min_count, flagged=ids, evidence=ev,
                       details={"label_counts": dict(counts.most_common())}, message=msg)


@register_check("max_label_imbalance", formats=("classification",))
def max_label_imbalance(signals, ctx, *, max_ratio: float = 10.0) -> CheckResult:
    """The largest label has at most `max_ratio` times the records of the smallest."""
    counts = Counter(_labels(ctx))
    if not counts:
        return CheckResult(value=None, passed=False, threshold=max_ratio, message="no labels")
    (big, nb), (small, ns) = counts.most_common(1)[0], min(counts.items(), key=lambda kv: kv[1])
    ratio = round(nb / ns, 2)
    return CheckResult(value=ratio, passed=ratio <= max_ratio, threshold=max_ratio,
                       details={"label_counts": dict(counts.most_common())},
                       message=f"imbalance {ratio}:1 ('{big}' {nb} vs '{small}' {ns}; max {max_ratio}:1)")


@register_check("max_off_language_records", needs=("language",), fix="drop")
def max_off_language_records(signals, ctx, *, language: str = "", max_rate: float = 0.01) -> CheckResult:
    """At most `max_rate` of records are in another language than `language` (default: the dataset's main language)."""
    langs = list(signals["language"])
    known = Counter(x for x in langs if x != "und")
    main = language or (known.most_common(1)[0][0] if known else "und")
    mask = [x not in ("und", main) for x in langs]
    ev = [f"language {x} ({c:.0%}), dataset is {main}" if m else "" for x, c, m in zip(langs, signals["language_confidence"], mask)]
    res = rate_check(signals, mask, ev, max_rate=max_rate, message=f"are not in {main}")
    res.details["languages"] = dict(known.most_common())
    res.details["undetermined"] = langs.count("und")
    return res


@register_check("max_no_input_markers", formats=("alpaca",))
def max_no_input_markers(signals, ctx, *, max_rate: float = 0.0) -> CheckResult:
    """At most `max_rate` of records spell "no input" with a marker ("<noinput>", "N/A") instead of an empty input."""
    markers = [r.get("empty_input_marker") for r in ctx.dataset.records]
    kinds = Counter(m for m in markers if m)
    ev = [f"input is {m!r} (dataset uses {len(kinds)} different markers); leave it empty" if m else "" for m in markers]
    res = rate_check(signals, [bool(m) for m in markers], ev, max_rate=max_rate, message="use a 'no input' marker")
    res.details["markers"] = dict(kinds)
    return res
