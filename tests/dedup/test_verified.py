"""Evidence you can trust (issue 13): a duplicate is verified against the record that is KEPT, an
exact copy is reported as exact, shared template text does not count, calibrate = the stage."""

import numpy as np
import pytest

from curate.dedup.calibrate import calibrate
from curate.dedup.config import DedupConfig
from curate.dedup.minhash import shingle_sets
from curate.dedup.stage import dedup, record_texts
from curate.dedup.verify import jaccard_pairs
from curate.errors import CurateError
from tests.dedup.helpers import ANSWER, clf_batch, sft_batch
from tests.dedup.tool_data import PLANTED, PREAMBLE, request, rows as tool_rows

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()
A = " ".join(WORDS)
B = " ".join(WORDS[:24] + ["one", "two"])  # A with its last two words changed
C = " ".join(WORDS[:10] + ["seven", "eight"] + WORDS[12:24] + ["one", "two"])  # B with two more changed


def jac(texts, i, j):
    return float(jaccard_pairs(shingle_sets(texts, shingle="char", ngram=5), np.array([[i, j]]))[0])


def rows_of(out, ids):
    return {i: {k: v[n] for k, v in out.items()} for n, i in enumerate(ids)}


def test_the_chain_is_what_the_test_says():
    texts = [A, B, C]
    assert jac(texts, 0, 1) >= 0.8 and jac(texts, 1, 2) >= 0.8 and jac(texts, 0, 2) < 0.8


def test_a_paraphrase_of_a_removed_record_is_not_removed_for_the_kept_one():
    b = clf_batch([("a", A, "x"), ("b", B, "x"), ("c", C, "x")])
    r = rows_of(dedup(b, config=DedupConfig()), b["id"])
    assert r["b"]["near_dup_of"] == "a" and r["b"]["near_dup_jaccard"] == pytest.approx(jac([A, B], 0, 1), abs=1e-4)
    assert r["c"]["near_dup_of"] is None and r["c"]["exact_dup_of"] is None  # 0.75 to a: kept, not chained
    assert r["c"]["near_dup_cluster"] is None and r["a"]["near_dup_cluster"] == r["b"]["near_dup_cluster"] == 0


def test_an_exact_copy_is_reported_as_exact_even_when_its_twin_is_a_near_duplicate():
    b = clf_batch([("a", A, "x"), ("b", B, "x"), ("b2", B.upper() + "!", "x")])
    r = rows_of(dedup(b, config=DedupConfig()), b["id"])
    assert r["b2"]["exact_dup_of"] == "b" and r["b2"]["near_dup_of"] is None
    assert r["b"]["near_dup_of"] == "a"
    assert r["a"]["near_dup_cluster"] == r["b"]["near_dup_cluster"] == r["b2"]["near_dup_cluster"]


def variants(n=60, seed=0):
    """Random edits of a few base texts: many overlapping near-duplicates, chains included."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        words = list(WORDS[(k % 3) * 4:] + WORDS[:(k % 3) * 4])
        for _ in range(rng.integers(0, 4)):
            words[rng.integers(len(words))] = str(rng.integers(100))
        out.append((str(k), " ".join(words), "x"))
    return out


@pytest.mark.parametrize("keep", ["first", "longest"])
@pytest.mark.parametrize("threshold", [0.6, 0.8, 0.9])
def test_evidence_names_a_kept_record_at_or_above_the_threshold(threshold, keep):
    b = clf_batch(variants())
    out = dedup(b, config=DedupConfig(threshold=threshold, keep=keep))
    texts = record_texts(b)
    pos = {i: k for k, i in enumerate(b["id"])}
    removed = {i for i, e, nd in zip(b["id"], out["exact_dup_of"], out["near_dup_of"]) if e or nd}
    near = [(k, pos[o], j) for k, (o, j) in enumerate(zip(out["near_dup_of"], out["near_dup_jaccard"])) if o]
    assert near  # the data has near-duplicates at every threshold tested
    for k, o, j in near:
        assert b["id"][o] not in removed  # named record is kept
        assert j >= threshold and j == pytest.approx(jac(texts, k, o), abs=1e-4)  # printed = measured


def test_calibrate_predicts_exactly_what_the_stage_removes():
    b = clf_batch(variants(80, seed=1))
    cfg = DedupConfig(threshold=0.85)
    cal = calibrate(b, cfg)
    assert [r["threshold"] for r in cal.removed] == [None, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9]
    for r in cal.removed[1:]:
        out = dedup(b, config=DedupConfig(threshold=r["threshold"]))
        flagged = sum(1 for e, nd in zip(out["exact_dup_of"], out["near_dup_of"]) if e or nd)
        assert r["removed"] == flagged, r


# ---- text shared by most records ----------------------------------------------------------

def test_a_shared_tool_preamble_is_not_similarity_only_planted_duplicates_are_reported():
    b = sft_batch(tool_rows())
    r = rows_of(dedup(b, config=DedupConfig()), b["id"])
    found = {i: ("exact", x["exact_dup_of"]) if x["exact_dup_of"] else ("near", x["near_dup_of"])
             for i, x in r.items() if x["exact_dup_of"] or x["near_dup_of"]}
    assert found == PLANTED
    assert all(x["near_dup_shared_block"] == PREAMBLE for x in r.values())
    # the same data without the shared-text step: the preamble makes nearly everything a "duplicate"
    off = dedup(b, config=DedupConfig(shared_share=0))
    assert sum(1 for x in off["near_dup_of"] if x) > 25


def test_the_shared_block_is_reported_once_in_the_check_message():
    import pandas as pd

    from curate.dedup.checks import max_near_duplicate_rate

    b = sft_batch(tool_rows())
    sig = pd.DataFrame({"id": b["id"], **dedup(b, config=DedupConfig())})
    res = max_near_duplicate_rate(sig, None, max_rate=0.1)
    (block, *_) = res.details["shared_blocks"]
    assert block == {"text": PREAMBLE, "chars": len(PREAMBLE), "records": len(b["id"])}
    assert res.message.count("records share a") == len(res.details["shared_blocks"][:3])
    assert f"{block['records']} records share a {block['chars']}-char block: \"You are an assistant" in res.message
    assert sorted(res.flagged) == ["d-edit", "d-near"]


@pytest.mark.parametrize("rows", [
    [(str(k), f"{WORDS[k]} {ANSWER} {WORDS[-k - 1]}", "x") for k in range(5)],  # below MIN_RECORDS
    [(str(k), request(k) * 3, "x") for k in range(30)],  # distinct texts
    variants(60),  # near-copies of 3 texts, edited at different places: duplicates, not a template
], ids=["too-few-records", "distinct-records", "many-near-copies"])
def test_no_shared_block_where_there_is_no_template(rows):
    out = dedup(clf_batch(rows), config=DedupConfig())
    assert out["near_dup_shared_block"] == [None] * len(rows)


# ---- dedup on chosen fields -------------------------------------------------------------------

def alpaca_batch(rows):
    """rows: (id, instruction, input, output)."""
    b = sft_batch([(i, f"{ins}\n\n{inp}".strip(), out) for i, ins, inp, out in rows])
    b["format"] = ["alpaca"] * len(rows)
    b["fields"] = [[{"name": "instruction", "role": "user", "text": ins},
                    {"name": "input", "role": "user", "text": inp},
                    {"name": "output", "role": "assistant", "text": out}] for _, ins, inp, out in rows]
    return b


@pytest.mark.parametrize("fields, dup_of, how", [
    (None, None, None),  # whole record: the answers differ, so nothing is a duplicate
    (["prompt"], "a", "prompt"),  # the user turns are equal
    (["instruction"], "a", "instruction"),  # the instruction alone
], ids=["all-turns", "prompt", "instruction"])
def test_fields_choose_what_is_compared(fields, dup_of, how):
    b = alpaca_batch([("a", "Sort the list.", "3, 1, 2", "1, 2, 3"),
                      ("b", "Sort the list.", "3, 1, 2", "Here is the list sorted ascending: 1, 2, 3. Done.")])
    r = rows_of(dedup(b, config=DedupConfig(fields=fields)), b["id"])
    assert r["b"]["exact_dup_of"] == dup_of and r["b"]["exact_dup_field"] == how


def test_unknown_field_is_a_clear_error_with_the_names_this_data_has():
    b = alpaca_batch([("a", "Sort the list.", "", "1, 2, 3")])
    with pytest.raises(CurateError) as e:
        dedup(b, config=DedupConfig(fields=["instrucion"]))
    msg = e.value.message
    assert "'instrucion'" in msg and "did you mean 'instruction'" in msg and "prompt, response, instruction" in msg
    assert e.value.fix


@pytest.mark.parametrize("fields", ["prompt", [], [""], [3]], ids=["string", "empty", "empty-name", "not-a-name"])
def test_fields_must_be_a_list_of_names(fields):
    with pytest.raises(CurateError) as e:
        DedupConfig(fields=fields)
    assert "fields" in e.value.message and e.value.fix
