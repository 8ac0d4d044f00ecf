"""`curate dedup DATA --explain ID`: a record's duplicate cluster, leaks and conflicts, side by side.

Each member is shown next to the kept record with the words that differ highlighted (compared
after normalisation, so case and punctuation changes are not highlighted: they do not count).
"""

from __future__ import annotations

import difflib

from rich.markup import escape
from rich.table import Table

from curate.dedup.checks import is_set
from curate.dedup.normalize import normalize_many
from curate.dedup.stage import record_texts
from curate.errors import CurateError, did_you_mean

MAX_CHARS = 1200  # per side; long records are cut around their first difference


def word_diff(a: str, b: str) -> tuple[str, str, int]:
    """Rich markup of `a` and `b` with differing words marked; returns (a, b, number of changed words)."""
    wa, wb = a.split(), b.split()
    ka, kb = normalize_many(wa), normalize_many(wb)
    sm = difflib.SequenceMatcher(a=ka, b=kb, autojunk=False)
    out_a, out_b, changed = [], [], 0
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        ta, tb = " ".join(wa[i1:i2]), " ".join(wb[j1:j2])
        if op == "equal":
            out_a.append(escape(ta))
            out_b.append(escape(tb))
            continue
        changed += max(i2 - i1, j2 - j1)
        if ta:
            out_a.append(f"[bold red strike]{escape(ta)}[/]")
        if tb:
            out_b.append(f"[bold green]{escape(tb)}[/]")
    return " ".join(out_a), " ".join(out_b), changed


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + " …"


def explain(ds, signals, record_id: str, console) -> None:
    """Print the cluster, leaks and conflicts of one record."""
    ids = list(signals["id"])
    if record_id not in ids:
        raise CurateError(f"record id '{record_id}' is not in {ds.path}{did_you_mean(record_id, ids)}",
                          fix="pass an id from the dataset's id field (or its 0-based position when it has none)")
    row = signals.set_index("id").loc[record_id]
    texts = dict(zip(ids, record_texts(ds.batch())))
    cluster = row.get("near_dup_cluster")
    if not is_set(cluster):
        console.print(f"{escape(record_id)}: no exact or near duplicate")
    else:
        members = signals[signals["near_dup_cluster"] == cluster]
        kept = next(i for i, e, nd in zip(members["id"], members["exact_dup_of"], members["near_dup_of"])
                    if not is_set(e) and not is_set(nd))
        console.print(f"[bold]cluster {int(cluster)}[/bold]: {len(members)} records, kept {escape(kept)}")
        for _, m in members.iterrows():
            if m["id"] == kept:
                continue
            # each member is shown next to the record it names (an exact copy of a record that is
            # itself a near-duplicate names that record, not the cluster's kept one)
            if is_set(m["exact_dup_of"]):
                of = m["exact_dup_of"]
                how = f"exact duplicate ({m['exact_dup_field']} identical after normalisation)"
            else:
                of = m["near_dup_of"]
                how = f"near-duplicate, Jaccard {float(m['near_dup_jaccard']):.2f}, differs in {m['near_dup_field']}"
            a, b, changed = word_diff(_clip(texts[of]), _clip(texts[m["id"]]))
            t = Table(title=f"{escape(m['id'])} → {escape(of)}: {how}; {changed} word(s) differ",
                      title_justify="left", show_lines=True, expand=True)
            t.add_column(f"{'kept' if of == kept else 'removed'} {escape(of)}", ratio=1)
            t.add_column(f"dropped {escape(m['id'])}", ratio=1)
            t.add_row(a, b)
            console.print(t)
    leaks = row.get("leaks_into") if "leaks_into" in signals else None
    if is_set(leaks):
        console.print("[bold]leaks into eval sets[/bold]:")
        for d in leaks:
            console.print(f"  {escape(d['set'])} / {escape(str(d['id']))}  similarity {float(d['similarity']):.2f}")
    conflicts = row.get("conflicts_with")
    if is_set(conflicts):
        console.print("[bold]conflicting answers[/bold]:")
        for c in conflicts:
            extra = f"answer Jaccard {float(c['answer_jaccard']):.2f}" if c.get("answer_jaccard") is not None \
                else f"label {escape(str(c.get('label')))}"
            console.print(f"  {escape(c['id'])}: prompt Jaccard {float(c['prompt_jaccard']):.2f}, {extra}")
