"""Record formats: detect which one a file uses and map each row to the canonical schema.

Canonical record (one dict per record, the same for every format):
    id        str   the record's own id field if it has one, else its position
    format    str   alpaca | prompt_completion | chat | classification | text
    prompt    str   what the user sends (instruction + real input; user turns joined)
    response  str   what the model should answer ("" for classification/text)
    label     str   the class label (classification), else None
    messages  list  [{role, content}] (alpaca and prompt/completion become one user+assistant turn)
    fields    list  [{name, role, text}] every text field, `name` being its path in the original
                    row (`output`, `messages.3.content`) so findings and fixes point back to it.
                    A field with `alternative: True` is another answer to the same prompt that is
                    not part of `messages`: the rejected answer of a preference pair, the second
                    reference summary of DialogSum, the other annotators' SQuAD answers. Checks
                    that audit answers read these too (`alternative_answers`).
    empty_input_marker  str|None  an Alpaca input such as "<noinput>" that means "no input"

Named layouts (`FieldMapping.layout`) are files people ship under their usual column names:
dialogue/summary (DialogSum, SAMSum), document/summary (XSum, CNN/DailyMail `article`+`highlights`),
question/answer (GSM8K), context/question/answers (SQuAD) and preference pairs (prompt/chosen/
rejected, or chosen/rejected as chat turns as in Anthropic HH). They map onto the canonical
prompt_completion or chat records, so every check understands them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from curate.errors import CurateError, DataError, did_you_mean
from curate.load.turns import ROLE_ALIASES, InvalidRecord, parse_turns, text_value

__all__ = ["FORMATS", "FieldMapping", "InvalidRecord", "ROLE_ALIASES", "alternative_answers", "canonical", "detect"]

FORMATS = ("alpaca", "prompt_completion", "chat", "classification", "text")
ID_FIELDS = ("id", "_id", "uuid", "uid", "record_id", "example_id", "fname")
TEXT_FIELDS = ("text", "full_text", "sentence", "utterance", "query", "question", "content", "review", "input")
LABEL_FIELDS = ("label", "labels", "category", "intent", "class", "target", "topic_label")
# (layout, context columns, prompt columns, answer columns): the first column present of each is used
LAYOUTS = (
    ("context_question_answer", ("context",), ("question",), ("answers", "answer")),  # SQuAD
    ("dialogue_summary", (), ("dialogue", "dialog"), ("summary", "summary1")),  # DialogSum, SAMSum
    ("document_summary", (), ("document", "article", "text"), ("summary", "highlights")),  # XSum, CNN/DM
    ("question_answer", (), ("question",), ("answer", "answers")),  # GSM8K, TriviaQA-style
    (None, (), ("prompt",), ("completion", "response")),
    (None, (), ("query",), ("response",)),
    (None, (), ("input",), ("output",)),
    (None, (), ("source",), ("target",)),
)
# (chosen, rejected) column pairs of preference data
PREFERENCE_FIELDS = (("chosen", "rejected"), ("chosen_response", "rejected_response"), ("response_j", "response_k"))
PREFERENCE_PROMPTS = ("prompt", "question", "instruction", "query", "input", "history")
HH_TRANSCRIPT = re.compile(r"\s*Human:")  # "\n\nHuman: ...\n\nAssistant: ..."
CHAT_FIELDS = ("messages", "conversations", "conversation", "dialog")
# Markers the Alpaca family uses for "this instruction has no input" (Alpaca-cleaned documents them)
EMPTY_INPUT_MARKERS = {"", "<noinput>", "<no input>", "no input", "no input.", "noinput", "n/a", "none", "null",
                       "<none>", "nan", "-", "no input required", "no input required."}


@dataclass
class FieldMapping:
    format: str
    id_field: str | None = None  # None: ids are positions
    text_field: str | None = None  # classification / text
    label_field: str | None = None
    prompt_field: str | None = None  # alpaca: instruction; prompt/completion: prompt
    input_field: str | None = None  # alpaca only
    context_field: str | None = None  # context/question/answer: the passage, put before the question
    response_field: str | None = None  # preference: the chosen answer
    rejected_field: str | None = None  # preference only
    alternative_fields: tuple[str, ...] = ()  # more reference answers: summary2, summary3
    messages_field: str | None = None  # chat
    role_key: str = "role"
    content_key: str = "content"
    layout: str | None = None  # a named layout (see LAYOUTS) the format was recognised by
    detected: bool = True  # False when flags chose it
    why: str = ""  # how the format was chosen, in words: shown by inspect and audit

    def describe(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if v not in (None, ()) and k not in ("detected", "why")}
        if "alternative_fields" in d:
            d["alternative_fields"] = list(d["alternative_fields"])
        if self.format != "chat":
            d.pop("role_key"), d.pop("content_key")
        return d

    def explain(self) -> str:
        """'detected: text (no label column among: ...)': the line inspect and audit print."""
        what = self.format + (f", {self.layout.replace('_', '/')} layout" if self.layout else "")
        return f"{'detected' if self.detected else 'chosen by flags'}: {what} ({self.why})"


def alternative_answers(fields: list[dict]) -> list[dict]:
    """The fields that are other answers to the record's prompt, not turns of its `messages`."""
    return [f for f in fields or [] if f.get("alternative") and f["role"] == "assistant"]


def detect(path, rows: list[dict], *, overrides: dict) -> FieldMapping:
    """Choose a format and field mapping from the rows' keys; flags in `overrides` win."""
    keys: dict[str, int] = {}
    for r in rows[:200]:
        for k in r:
            keys[k] = keys.get(k, 0) + 1
    available = list(keys)
    for flag, name in overrides.items():
        if flag.endswith("_field") and name and name not in keys and not (flag == "id_field" and name == "none"):
            raise DataError(path, None, f"--{flag.replace('_', '-')} '{name}' is not a column{did_you_mean(name, available)}",
                            fix=f"the columns are: {', '.join(available)}")
    fmt = overrides.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise CurateError(f"unknown --format '{fmt}'{did_you_mean(fmt, FORMATS)}", fix=f"choose one of: {', '.join(FORMATS)}")
    id_field = overrides.get("id_field") or next((k for k in ID_FIELDS if k in keys), None)
    if id_field == "none":
        id_field = None
    m = _guess(path, rows, keys, fmt, overrides)
    if m is None:
        raise DataError(path, None, f"cannot tell the record format from the columns ({', '.join(available)})",
                        fix=_hint(rows, available, fmt))
    m.id_field = id_field
    m.detected = not any(overrides.values())
    if not m.detected:
        m.why = "flags " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in overrides.items() if v)
    return m


def _hint(rows: list[dict], columns: list[str], fmt: str | None) -> str:
    """The fix for an undetected file, naming its own columns: longest text first, fewest distinct values as label."""
    texts = [c for c in columns if all(isinstance(r.get(c), (str, type(None))) for r in rows[:200])]
    if not texts:
        return (f"none of the columns ({', '.join(columns)}) holds text; pass --format and the fields, "
                f"choosing from: {', '.join(FORMATS)}")
    length = {c: sum(len(r.get(c) or "") for r in rows[:200]) for c in texts}
    by_len = sorted(texts, key=lambda c: -length[c])
    distinct = {c: len({str(r.get(c)) for r in rows[:200]}) for c in columns}
    label = min((c for c in columns if c != by_len[0]), key=lambda c: distinct[c], default=None)
    ex = [f"--text-field {by_len[0]}" + (f" --label-field {label}" if label else "") + " for labelled text"]
    if len(by_len) > 1:
        ex.insert(0, f"--prompt-field {by_len[0]} --response-field {by_len[1]} for prompt/answer pairs")
    return f"name the fields from this file's columns ({', '.join(columns)}), e.g. " + ", or ".join(ex)


def _pick(overrides, flag, keys, candidates):
    if overrides.get(flag):
        return overrides[flag]
    return next((c for c in candidates if c in keys), None)


def _first_list(rows, col):
    return next((r[col] for r in rows if isinstance(r.get(col), list) and r[col]), None)


def _turn_keys(first) -> tuple[str, str]:
    if first and isinstance(first[0], dict) and "from" in first[0]:
        return "from", "value"
    return "role", "content"


def _guess(path, rows, keys, fmt, ov) -> FieldMapping | None:
    if fmt in (None, "prompt_completion", "chat") and not ov.get("messages_field"):
        m = _preference(path, rows, keys, fmt, ov)
        if m:
            return m
    messages = _pick(ov, "messages_field", keys, CHAT_FIELDS)
    first = _first_list(rows, messages) if messages else None
    if fmt in (None, "chat") and messages and (first is not None or fmt == "chat" or ov.get("messages_field")):
        role_key, content_key = _turn_keys(first)
        return FieldMapping("chat", messages_field=messages, role_key=role_key, content_key=content_key,
                            why=f"column '{messages}' holds lists of chat turns")
    if fmt == "chat":
        return None
    # --prompt-field alone does not make a file Alpaca: without an instruction or input column it is a plain pair
    if fmt == "alpaca" or fmt is None and ("instruction" in keys or ov.get("prompt_field") and "input" in keys):
        prompt = ov.get("prompt_field") or "instruction"
        response = _pick(ov, "response_field", keys, ("output", "response", "answer", "completion"))
        if response:
            inp = "input" if "input" in keys and prompt != "input" else None
            return FieldMapping("alpaca", prompt_field=prompt, input_field=inp, response_field=response,
                                why=f"columns {prompt}{' + ' + inp if inp else ''} + {response}")
    if fmt in (None, "prompt_completion"):
        m = _layout(keys, ov)
        if m:
            return m
    if fmt is None and messages:  # a chat column holding no lists: say so record by record
        return FieldMapping("chat", messages_field=messages, why=f"column '{messages}' (but its values are not lists)")
    text = _pick(ov, "text_field", keys, TEXT_FIELDS)
    label = _pick(ov, "label_field", keys, LABEL_FIELDS)
    if fmt in (None, "classification") and text and label:
        return FieldMapping("classification", text_field=text, label_field=label,
                            why=f"text column '{text}' + label column '{label}'")
    if fmt in (None, "text") and text:
        return FieldMapping("text", text_field=text,
                            why=f"text column '{text}'; no label column among: {', '.join(LABEL_FIELDS)}; "
                                f"pass --label-field{_label_example(rows, keys, text)} to audit it as classification")
    return None


def _label_example(rows, keys, text) -> str:
    """' (e.g. --label-field stars)': the filled scalar column with the fewest distinct values, if it repeats any."""
    sample = rows[:200]
    distinct = {k: len({str(r.get(k)) for r in sample}) for k in keys if k != text and k not in ID_FIELDS
                and all(isinstance(r.get(k), (int, float, bool)) or isinstance(r.get(k), str) and 0 < len(r[k]) <= 50
                        for r in sample)}  # a label is a short filled value
    best = min(distinct, key=distinct.get, default=None)
    return f" (e.g. --label-field {best})" if best and distinct[best] < len(sample) else ""


def _layout(keys, ov) -> FieldMapping | None:
    for layout, contexts, prompts, answers in LAYOUTS:
        context = next((c for c in contexts if c in keys), None)
        if contexts and not context:
            continue
        p = ov.get("prompt_field") or next((c for c in prompts if c in keys), None)
        a = ov.get("response_field") or next((c for c in answers if c in keys), None)
        if p not in keys or a not in keys:
            continue
        named = layout if p in prompts and a in answers else None
        context = context if named else None
        alts = _numbered_siblings(a, keys) if named else ()
        why = f"columns {context + ' + ' if context else ''}{p} + {a}" + (f" (+ {', '.join(alts)})" if alts else "")
        return FieldMapping("prompt_completion", prompt_field=p, response_field=a, context_field=context,
                            alternative_fields=alts, layout=named, why=why)
    return None


def _numbered_siblings(name: str, keys) -> tuple[str, ...]:
    """summary1 -> (summary2, summary3): the other references of a multi-reference file."""
    m = re.fullmatch(r"(.*?)(\d+)", name)
    if not m:
        return ()
    sib = [k for k in keys if k != name and re.fullmatch(re.escape(m.group(1)) + r"\d+", k)]
    return tuple(sorted(sib, key=lambda k: int(k[len(m.group(1)):])))


def _preference(path, rows, keys, fmt, ov) -> FieldMapping | None:
    pair = next(((c, r) for c, r in PREFERENCE_FIELDS if c in keys and r in keys), None)
    if pair is None:
        return None
    chosen, rejected = pair
    if ov.get("response_field"):
        chosen = ov["response_field"]
    prompt = _pick(ov, "prompt_field", keys, PREFERENCE_PROMPTS)
    sample = next((r[chosen] for r in rows if isinstance(r.get(chosen), str)), None)
    if prompt is None and sample is not None and HH_TRANSCRIPT.match(sample):
        raise DataError(path, None, f"'{chosen}' holds whole Human/Assistant transcripts (Anthropic HH's raw layout), "
                                    "so the answer cannot be told from the conversation before it",
                        fix=f"convert '{chosen}' and '{rejected}' to lists of {{\"role\", \"content\"}} turns (split on "
                            "'\\n\\nHuman: ' and '\\n\\nAssistant: '), as in trl-lib/hh-rlhf-helpful-base")
    first = _first_list(rows, chosen)
    role_key, content_key = _turn_keys(first)
    as_chat = fmt == "chat" or first is not None
    why = f"columns {prompt + ' + ' if prompt else ''}{chosen} + {rejected}" + (" as chat turns" if as_chat else "")
    return FieldMapping("chat" if as_chat else "prompt_completion", prompt_field=prompt, response_field=chosen,
                        rejected_field=rejected, role_key=role_key, content_key=content_key, layout="preference",
                        why=why + "; response = the chosen answer, the rejected one is audited too")


def canonical(row: dict, m: FieldMapping, position: int) -> dict:
    """Map one raw row to the canonical schema, or raise InvalidRecord."""
    rid = str(row.get(m.id_field)) if m.id_field and row.get(m.id_field) not in (None, "") else str(position)
    rec = {"id": rid, "format": m.format, "prompt": "", "response": "", "label": None, "messages": [],
           "fields": [], "empty_input_marker": None}
    if m.layout == "preference":
        _canonical_preference(row, m, rec)
    elif m.format == "chat":
        for msg, fields in parse_turns(row.get(m.messages_field), m.messages_field, m.role_key, m.content_key):
            rec["messages"].append(msg)
            rec["fields"] += fields
        rec["prompt"] = "\n\n".join(t["content"] for t in rec["messages"] if t["role"] == "user")
        rec["response"] = "\n\n".join(t["content"] for t in rec["messages"] if t["role"] == "assistant")
    elif m.format in ("alpaca", "prompt_completion"):
        prompt = text_value(row.get(m.prompt_field), m.prompt_field)
        if m.context_field:
            context = text_value(row.get(m.context_field), m.context_field)
            rec["fields"].append({"name": m.context_field, "role": "user", "text": context})
        rec["fields"].append({"name": m.prompt_field, "role": "user", "text": prompt})
        if m.input_field and row.get(m.input_field) is not None:
            inp = text_value(row.get(m.input_field), m.input_field)
            rec["fields"].append({"name": m.input_field, "role": "user", "text": inp})
            if inp.strip().lower() in EMPTY_INPUT_MARKERS:
                rec["empty_input_marker"] = inp if inp.strip() else None
            else:
                prompt = f"{prompt}\n\n{inp}"
        if m.context_field:
            prompt = f"{context}\n\n{prompt}"
        answers = _answers(row.get(m.response_field), m.response_field)  # SQuAD v2 "no answer": []
        response = answers[0][1] if answers else ""
        rec["fields"] += [{"name": name, "role": "assistant", "text": text} for name, text in answers[:1]]
        others = answers[1:] + [a for alt in m.alternative_fields if row.get(alt) is not None for a in _answers(row[alt], alt)]
        rec["fields"] += [{"name": name, "role": "assistant", "text": text, "alternative": True} for name, text in others]
        rec["prompt"], rec["response"] = prompt, response
        rec["messages"] = [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]
    else:
        text = text_value(row.get(m.text_field), m.text_field)
        rec["prompt"] = text
        rec["fields"].append({"name": m.text_field, "role": "user", "text": text})
        if m.format == "classification":
            label = row.get(m.label_field)
            if isinstance(label, (list, dict)) or label is None or (isinstance(label, str) and not label.strip()):
                raise InvalidRecord(f"label field '{m.label_field}' is {'empty' if not label else type(label).__name__}",
                                    f"give every record one label in '{m.label_field}'")
            rec["label"] = str(label).strip()
    return rec


def _answers(value, name: str) -> list[tuple[str, str]]:
    """[(path, text)] of an answer column: a string, a list of strings, or SQuAD's {"text": [...]} / [{"text"}]."""
    if isinstance(value, dict) and "text" in value:
        texts = value["text"]
        if isinstance(texts, list):
            return [(f"{name}.text.{i}", text_value(t, f"{name}.text[{i}]")) for i, t in enumerate(texts)]
        return [(f"{name}.text", text_value(texts, f"{name}.text"))]
    if isinstance(value, list):
        return [(f"{name}.{i}.text", text_value(v["text"], f"{name}[{i}].text")) if isinstance(v, dict) and "text" in v
                else (f"{name}.{i}", text_value(v, f"{name}[{i}]")) for i, v in enumerate(value)]
    return [(name, text_value(value, name))]


def _side(row, name, m: FieldMapping, default_role: str) -> list[tuple[dict, list[dict]]]:
    """One side of a preference pair (prompt, chosen or rejected) as [(message, fields)]."""
    value = row.get(name)
    if isinstance(value, list):
        return parse_turns(value, name, m.role_key, m.content_key)
    text = text_value(value, name)
    return [({"role": default_role, "content": text}, [{"name": name, "role": default_role, "text": text}])]


def _canonical_preference(row, m: FieldMapping, rec) -> None:
    prompt = _side(row, m.prompt_field, m, "user") if m.prompt_field else []
    chosen = _side(row, m.response_field, m, "assistant")
    rejected = _side(row, m.rejected_field, m, "assistant")
    # Anthropic HH repeats the whole conversation in both answers: the pair differs from the first turn that differs
    k = 0
    while k < min(len(chosen), len(rejected)) and chosen[k][0] == rejected[k][0]:
        k += 1
    # a chosen conversation that carries its own user turns already holds the prompt (UltraFeedback binarized)
    turns = (chosen if any(msg["role"] == "user" for msg, _ in chosen) else prompt + chosen)
    rec["messages"] = [msg for msg, _ in turns]
    rec["fields"] = [f for _, fs in (prompt + chosen) for f in fs]
    rec["fields"] += [{**f, "alternative": True} for _, fs in rejected[k:] for f in fs]
    rec["prompt"] = "\n\n".join(t["content"] for t in rec["messages"] if t["role"] == "user")
    rec["response"] = "\n\n".join(t["content"] for t in rec["messages"] if t["role"] == "assistant")
    if m.format == "prompt_completion":
        rec["messages"] = [{"role": "user", "content": rec["prompt"]}, {"role": "assistant", "content": rec["response"]}]
