"""`curate clean`: apply the fixes the rules imply; every removed or changed record is accounted for.

Invariants (checked before anything is written): input records = kept + quarantined, every
change to a kept record is listed in changes.jsonl, and a kept record's code and JSON that parsed
before cleaning still parse after it (curate/pii/meaning.py): a fix that would change code is not
applied, the record goes to quarantine with the reason instead.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from curate.checks import load_all
from curate.writers import output_path, set_field, write_rows

PII_MODES = ("redact", "mask", "pseudonymize", "drop")


@dataclass
class CleanResult:
    kept_rows: list[dict]
    quarantine: list[dict]  # {id, locator, reasons: [{rule, check, evidence}], record}
    changes: list[dict]  # {id, field, action, detail}
    counts: dict = field(default_factory=dict)
    pii_mapping: dict | None = None


def plan_fixes(result, *, fix_warned: bool = False) -> dict[str, dict[str, list]]:
    """fix kind -> {record id: [(rule, check, evidence, params), ...]}.

    Text repair (fix_text) applies to every flagged record: it only undoes damage. Drops and PII
    scrubbing apply to records flagged by `error` rules, whether or not the rule's threshold was
    crossed (a duplicate is a duplicate), and to `warn` rules only with `fix_warned`: a warning
    (semantic near-duplicates, names in maths word problems) needs a person's look first.
    """
    plan: dict[str, dict[str, list]] = {"drop": {}, "scrub_pii": {}, "fix_text": {}}
    checks = load_all()  # the registry, whoever built `result` (an audit imports it; a caller may not have)
    rules = {r.name: r for r in result.rules.rules}
    for o in result.outcomes:
        fix = checks[o.check].fix
        if fix in ("drop", "scrub_pii") and o.severity == "warn" and not fix_warned:
            continue
        if fix and o.status in ("pass", "fail"):
            params = rules[o.rule].params if o.rule in rules else {}
            for rid in o.flagged:
                plan[fix].setdefault(rid, []).append((o.rule, o.check, o.evidence.get(rid, ""), params))
    return plan


def _scrub_types(entries) -> set | None:
    """Entity types the flagging rules cover; None: every type their checks count by default."""
    types: set = set()
    for *_, params in entries:
        if params.get("entities") is None:
            from curate.pii.checks import CHECKED_BY_DEFAULT

            types |= set(CHECKED_BY_DEFAULT)
        else:
            types |= set(params["entities"])
    return types


def _broken(before: list[dict], after: list[dict]) -> list[str]:
    """'output: block 1 (python)' for every field part that parsed before the fixes and not after."""
    from curate.pii.meaning import broken_parses

    return [f"{b['name']}: {what}" for b, a in zip(before, after) for what in broken_parses(b["text"], a["text"])]


def clean(result, *, pii_mode: str = "redact", seed: int = 0, fix_warned: bool = False) -> CleanResult:
    ds, signals = result.dataset, result.signals
    plan = plan_fixes(result, fix_warned=fix_warned)
    pii_spans = dict(zip(signals["id"], signals["pii_spans"])) if "pii_spans" in signals.columns else {}
    # the hygiene stage already repaired every text (its `text_fixes` column): clean writes those back
    # instead of running the repair again; only a text PII scrubbing changed first is repaired here
    text_fixes = dict(zip(signals["id"], signals["text_fixes"])) if "text_fixes" in signals.columns else {}
    pseudonymizer = None
    if plan["scrub_pii"] and pii_mode == "pseudonymize":
        from curate.pii.scrub import Pseudonymizer

        pseudonymizer = Pseudonymizer(seed=seed)
    kept, quarantine, changes = [], [], []
    for item in ds.invalid:
        quarantine.append({"id": None, "locator": item["locator"], "reasons": [
            {"rule": "invalid_record", "check": "load", "evidence": item["reason"]}], "record": item["record"]})
    for rec, row, loc in zip(ds.records, ds.raw, ds.locators):
        rid = rec["id"]
        drops = list(plan["drop"].get(rid, []))
        if pii_mode == "drop":
            drops += plan["scrub_pii"].get(rid, [])
        if drops:
            quarantine.append({"id": rid, "locator": loc, "record": row,
                               "reasons": [{"rule": r, "check": c, "evidence": e} for r, c, e, _ in drops]})
            continue
        original, fields, rec_changes = row, list(rec["fields"]), []
        # PII first: its spans are offsets into the original texts, which text repair may move
        if rid in plan["scrub_pii"]:
            from curate.pii.meaning import code_conflict
            from curate.pii.scrub import scrub_record

            types = _scrub_types(plan["scrub_pii"][rid])
            spans = [sp for sp in (pii_spans.get(rid) or []) if sp["entity_type"] in types]
            why = [f"{f['name']}: {w}" for f in fields
                   if (w := code_conflict(f["text"], [sp for sp in spans if sp["field"] == f["name"]]))]
            if why:  # a secret pasted into code: scrubbing it would change the program, so keep it whole
                quarantine.append({"id": rid, "locator": loc, "record": row, "reasons": [
                    {"rule": r, "check": c, "evidence": f"{e}; not scrubbed: {'; '.join(why)}"}
                    for r, c, e, _ in plan["scrub_pii"][rid]]})
                continue
            new_texts, what = scrub_record(fields, spans, mode=pii_mode, pseudonymizer=pseudonymizer)
            for name, text in new_texts.items():
                row = set_field(row, name, text)
            fields = [{**f, "text": new_texts.get(f["name"], f["text"])} for f in fields]
            for w in what:
                rec_changes.append({"id": rid, "field": w.get("field"), "action": f"scrub_pii:{pii_mode}", "detail": w})
        if rid in plan["fix_text"]:
            column = list(text_fixes.get(rid) or []) if rid in text_fixes else None
            known = {fx["field"]: fx for fx in column or []}
            column_ok = column is not None and all("changes" in fx for fx in column)
            for i, f in enumerate(fields):
                if column_ok and f["text"] == rec["fields"][i]["text"]:  # the text hygiene saw
                    fx = known.get(f["name"])
                    text, what = (fx["text"], list(fx["changes"])) if fx else (f["text"], [])
                else:
                    from curate.content.hygiene import fix_text

                    text, what = fix_text(f["text"])
                if what:
                    row = set_field(row, f["name"], text)
                    fields[i] = {**f, "text": text}
                    rec_changes.append({"id": rid, "field": f["name"], "action": "fix_text", "detail": what})
        broken = _broken(rec["fields"], fields) if rec_changes else []
        if broken:  # the invariant: code and JSON that parsed before cleaning still parse after
            quarantine.append({"id": rid, "locator": loc, "record": original, "reasons": [
                {"rule": "clean_would_break_code", "check": "clean",
                 "evidence": f"{'; '.join(broken)} parsed before the fix and not after: kept whole in quarantine"}]})
            continue
        changes.extend(rec_changes)
        kept.append(row)
    n_in = len(ds) + len(ds.invalid)
    if len(kept) + len(quarantine) != n_in:  # the promise users rely on; never write output that breaks it
        raise RuntimeError(f"clean lost records: {n_in} in, {len(kept)} kept + {len(quarantine)} quarantined")
    reasons = Counter(r["rule"] for q in quarantine for r in q["reasons"][:1])
    counts = {"input": n_in, "kept": len(kept), "quarantined": len(quarantine),
              "changed_records": len({c["id"] for c in changes}), "changes": len(changes),
              "quarantined_by_rule": dict(reasons), "changes_by_action": dict(Counter(c["action"] for c in changes))}
    return CleanResult(kept, quarantine, changes, counts, pseudonymizer.mapping if pseudonymizer else None)


def write_clean(result, cleaned: CleanResult, out_dir, *, pii_mode: str, mapping_file=None) -> dict:
    """Write data, quarantine.jsonl, changes.jsonl and manifest.json into out_dir, all or nothing."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".curate-clean-", dir=out.parent))
    ds = result.dataset
    from curate.report.sanitize import Sanitizer, safe_name

    # quarantine.jsonl holds the removed records as they were (that is its job); everything else
    # written here goes through the report's PII sanitiser, ids and the data file's name included
    san = Sanitizer.from_result(result)
    try:
        from curate.load.readers import file_stem

        stem = safe_name(file_stem(ds.path), san)  # train.jsonl.gz is written back as train.jsonl
        data_path = write_rows(ds, cleaned.kept_rows, output_path(ds, tmp, stem))
        with (tmp / "quarantine.jsonl").open("w", encoding="utf-8") as f:
            for q in cleaned.quarantine:
                f.write(json.dumps(q, ensure_ascii=False, default=str) + "\n")
        with (tmp / "changes.jsonl").open("w", encoding="utf-8") as f:
            for c in cleaned.changes:
                f.write(json.dumps(san.clean(c), ensure_ascii=False, default=str) + "\n")
        manifest = {"source": san.text(ds.path), "source_fingerprint": ds.fingerprint, "rules_file": result.rules.path,
                    "pii_mode": pii_mode, "output": data_path.name, **cleaned.counts}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        out.mkdir(parents=True, exist_ok=True)
        for f in tmp.iterdir():
            target = out / f.name
            if target.is_dir():
                shutil.rmtree(target)
            f.replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if mapping_file and cleaned.pii_mapping is not None:
        # opt-in only, and never next to the report: it holds the original values
        Path(mapping_file).write_text(json.dumps(cleaned.pii_mapping, indent=1, ensure_ascii=False) + "\n")
    manifest["output"] = str(out / manifest["output"])
    return manifest
