"""--method lm on a tiny GPT-2 built in-process (no download, no package model): seeded, marked, gated."""

from __future__ import annotations

import csv
import json

import pytest

from curate.cli import main

WORDS = ("reset my password please i forgot link expired card was stolen lost on the bus block now never arrived "
         "at home Text : The same text in other words").split()


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    pytest.importorskip("torch")
    from tiny_lm import save_tiny_lm

    return save_tiny_lm(tmp_path_factory.mktemp("tiny-lm"), WORDS, n_positions=128)


def test_paraphrases_are_seeded_and_unfinished_samples_are_marked(tiny_lm):
    from curate.augment.lm import Paraphraser

    p = Paraphraser(str(tiny_lm), seed=0)
    a = p.paraphrase("reset my password please", 3, seed=5)
    assert a == p.paraphrase("reset my password please", 3, seed=5)
    assert len(a) == 3 and all(ops[0].startswith("paraphrase by") for _, ops, _ in a)
    # a random tiny model rarely emits its end token: such samples carry the limit they hit
    assert all(unf in (0, 2 * 4 + 16) for _, _, unf in a)


def test_lm_method_end_to_end_every_candidate_in_the_manifest(tmp_path, tiny_lm):
    data = tmp_path / "intents.csv"
    with data.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows([("reset my password please", "password"), ("i forgot my password", "password"),
                     ("my card was stolen", "card"), ("lost my card on the bus", "card"), ("block my card now", "card")])
    out = tmp_path / "aug"
    assert main(["augment", str(data), "--out", str(out), "--model", "hashing", "--rules", "none", "--method", "lm",
                 "--lm-model", str(tiny_lm), "--per-record", "2", "--k", "3"]) == 0
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 4 and {r["source_id"] for r in manifest} == {"0", "1"}
    assert all(r["method"] == "lm" and r["ops"][0].startswith("paraphrase by") for r in manifest)
    rows = list(csv.DictReader((out / "augmented.csv").open()))
    assert len(rows) == 5 + sum(r["accepted"] for r in manifest)
    summary = json.loads((out / "augment.json").read_text())
    assert summary["method"] == "lm" and summary["generated"] == 4
