"""select(): gate-excluded records are never kept, every record has a reason with the number it was decided on."""

from __future__ import annotations

import numpy as np

from curate.embed.encode import HashingEmbedder
from curate.select.subset import select

TEXTS = ["reset my password", "i forgot my password", "password reset link expired", "password change please",
         "my card was stolen", "lost my card", "block my stolen card", "card never arrived"]
LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 1])
IDS = [f"r{i}" for i in range(len(TEXTS))]


def test_budget_is_shared_over_labels_and_excluded_records_are_never_kept():
    vecs = HashingEmbedder().encode(TEXTS)
    sel = select(vecs, LABELS, ["password", "card"], 4, ids=IDS, excluded={0: "max_exact_duplicate_rate (dup of r9)"})
    assert len(sel.selected) == 4
    assert 0 not in sel.selected
    assert [LABELS[i] for i in sel.selected].count(0) == 2
    r0 = sel.reasons[0]
    assert r0["kept"] is False and r0["reason"] == "excluded by the gate: max_exact_duplicate_rate (dup of r9)"
    assert [g["quota"] for g in sel.groups] == [2, 2] and [g["eligible"] for g in sel.groups] == [3, 4]


def test_left_out_reason_names_the_nearest_kept_record_and_its_true_similarity():
    vecs = HashingEmbedder().encode(TEXTS)
    sel = select(vecs, LABELS, ["password", "card"], 2, ids=IDS)
    ids = {r["id"]: r for r in sel.reasons}
    for i, r in enumerate(sel.reasons):
        assert r["id"] == IDS[i]
        if r["kept"]:
            assert r["reason"].startswith("pick 1 of 1") and r["gain"] > 0 and f"adds {r['gain']:.3f}" in r["reason"]
            continue
        j = IDS.index(r["nearest_kept"])
        assert ids[r["nearest_kept"]]["kept"] and LABELS[j] == LABELS[i]
        assert abs(float(vecs[i] @ vecs[j]) - r["nearest_kept_similarity"]) < 1e-3
        assert f"{r['nearest_kept_similarity']:.3f}" in r["reason"]


def test_reference_demand_moves_the_budget_to_what_users_ask():
    vecs = HashingEmbedder().encode(TEXTS)
    ref = HashingEmbedder().encode(["stolen card", "card lost abroad", "card stolen again", "my password"])
    sel = select(vecs, LABELS, ["password", "card"], 4, ids=IDS, ref_vecs=ref)
    assert [g["quota"] for g in sel.groups] == [1, 3]


def test_a_group_without_budget_says_so():
    vecs = HashingEmbedder().encode(TEXTS)
    sel = select(vecs, LABELS, ["password", "card"], 1, ids=IDS)
    empty = [r for r in sel.reasons if "got no share" in r["reason"]]
    assert len(empty) == 4 and len(sel.selected) == 1


def test_a_group_larger_than_the_client_sample_still_fills_its_quota(monkeypatch):
    import curate.select.subset as subset

    monkeypatch.setattr(subset, "MAX_CLIENTS", 3)
    vecs = HashingEmbedder().encode(TEXTS)
    sel = subset.select(vecs, LABELS, ["password", "card"], 6, ids=IDS)
    assert len(sel.selected) == 6 and [g["selected"] for g in sel.groups] == [3, 3]
    assert select(vecs, LABELS, ["password", "card"], 6, ids=IDS).selected != []


def test_a_weighted_pick_shows_its_gain_its_usefulness_and_their_product():
    vecs = HashingEmbedder().encode(TEXTS)
    u = np.full(len(TEXTS), 0.5)
    sel = select(vecs, LABELS, ["password", "card"], 2, ids=IDS, usefulness=u)
    for r in sel.reasons:
        if r["kept"]:
            assert abs(r["score"] - 0.5 * r["gain"]) < 1e-3
            assert f"adds {r['gain']:.3f}" in r["reason"] and f"x usefulness 0.500 = {r['score']:.3f}" in r["reason"]
