"""`curate augment` end to end from the CLI on tiny files (hashed embeddings; a fixed synonym table where needed)."""

from __future__ import annotations

import csv
import json

import pytest

from curate.augment.synonyms import TableThesaurus
from curate.cli import main

PASSWORD = ["reset my password please", "i forgot my password", "password reset link expired"]
CARD = ["my card was stolen yesterday", "lost my card on the bus", "block my stolen card now",
        "card never arrived at home", "card declined at the shop", "replace my broken card soon"]
TABLE = TableThesaurus({"forgot": ["forgotten"], "password": ["passcode"], "expired": ["lapsed"], "reset": ["renew"],
                        "apples": ["fruits"], "bought": ["purchased"], "many": ["several"]})


@pytest.fixture
def intents(tmp_path):
    p = tmp_path / "intents.csv"
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows([(t, "password") for t in PASSWORD] + [(t, "card") for t in CARD])
    return p


@pytest.fixture
def table(monkeypatch):
    from curate.augment import synonyms

    monkeypatch.setattr(synonyms, "embedder_thesaurus", lambda *a, **k: TABLE)


def _manifest(out):
    return [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]


def test_thin_label_grows_and_output_marks_generated_rows(tmp_path, intents, table):
    out = tmp_path / "aug"
    assert main(["augment", str(intents), "--out", str(out), "--model", "hashing", "--rules", "none", "--method", "eda", "--k", "3"]) == 0
    rows = list(csv.DictReader((out / "augmented.csv").open()))
    assert list(rows[0]) == ["text", "label", "curate_generated"]
    assert [r["text"] for r in rows[:9]] == PASSWORD + CARD and all(r["curate_generated"] == "" for r in rows[:9])
    gen = rows[9:]
    assert gen and all(r["label"] == "password" for r in gen)  # only the thin label grew
    marks = [json.loads(r["curate_generated"]) for r in gen]
    assert all(m["method"] == "eda" and m["source_id"] in ("0", "1", "2") and m["ops"] for m in marks)
    manifest = _manifest(out)
    assert all(r["group"] == "password" for r in manifest)
    assert {r["text"] for r in manifest if r["accepted"]} == {r["text"] for r in gen}
    assert all(r["reason"] and r["evidence"] for r in manifest if not r["accepted"])
    summary = json.loads((out / "augment.json").read_text())
    assert summary["grouped_by"] == "label" and summary["groups_grown"] == 1
    assert summary["generated"] == len(manifest) == summary["accepted"] + sum(summary["rejected"].values())
    assert summary["accepted"] == len(gen)
    from curate.load import load_dataset

    back = load_dataset(out / "augmented.csv")
    assert back.format == "classification" and len(back) == len(rows)


def test_sft_edits_only_the_instruction_and_keeps_its_numbers(tmp_path, table):
    data = tmp_path / "sft.jsonl"
    rows = [{"id": f"q{i}", "instruction": f"Tom bought {i + 3} apples and ate {i} of them. How many apples are left?",
             "output": f"{i + 3} - {i} = 3. The answer is 3."} for i in range(4)]
    rows += [{"id": f"w{i}", "instruction": t, "output": "Open settings."}
             for i, t in enumerate(["reset my password please", "i forgot my password", "password reset link expired",
                                    "how do i reset my password", "my password expired"])]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "aug"
    assert main(["augment", str(data), "--out", str(out), "--model", "hashing", "--rules", "none", "--method", "eda", "--only", "all",
                 "--per-record", "1"]) == 0
    got = [json.loads(x) for x in (out / "augmented.jsonl").read_text().splitlines()]
    src = {r["id"]: r for r in rows}
    gen = [r for r in got if "curate_generated" in r]
    assert gen and all(r["id"].startswith(r["curate_generated"]["source_id"] + "-aug") for r in gen)
    for r in gen:
        s = src[r["curate_generated"]["source_id"]]
        assert r["output"] == s["output"] and r["instruction"] != s["instruction"]
        assert [w for w in r["instruction"].split() if any(c.isdigit() for c in w)] == \
               [w for w in s["instruction"].split() if any(c.isdigit() for c in w)]
        assert all(op.startswith("synonym: ") for op in r["curate_generated"]["ops"])
    assert json.loads((out / "augment.json").read_text())["grouped_by"] == "topic"


def test_refuses_to_write_over_an_earlier_augment(tmp_path, intents, capsys):
    out = tmp_path / "aug"
    args = ["augment", str(intents), "--out", str(out), "--model", "hashing", "--rules", "none", "--method", "eda"]
    assert main(args) == 0
    before = (out / "augmented.csv").read_text()
    assert main(args) == 2
    assert "already exist" in capsys.readouterr().err and (out / "augmented.csv").read_text() == before


@pytest.mark.parametrize("extra,message", [
    (["--per-record", "0"], "--per-record 0: must be at least 1"),
    (["--k", "0"], "--k 0: must be at least 1"),
    (["--alpha", "0.9"], "--alpha 0.9"),
], ids=["zero-per-record", "zero-k", "alpha-too-big"])
def test_bad_usage_exits_2_with_the_fix(tmp_path, intents, capsys, extra, message):
    assert main(["augment", str(intents), "--out", str(tmp_path / "o"), "--model", "hashing", "--rules", "none", "--method", "eda",
                 *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "fix:" in err


def test_bad_record_exits_2_naming_file_and_record(tmp_path, capsys):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "ok", "label": "a"}\n{"text": "broken", "label": \n')
    assert main(["augment", str(data), "--out", str(tmp_path / "o"), "--model", "hashing", "--rules", "none", "--method", "eda"]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "line 2" in err


def test_no_thin_group_generates_nothing_and_says_so(tmp_path, capsys):
    data = tmp_path / "even.csv"
    data.write_text("text,label\nreset password,a\nforgot password,a\nlost card,b\nstolen card,b\n")
    out = tmp_path / "o"
    assert main(["augment", str(data), "--out", str(out), "--model", "hashing", "--rules", "none", "--method", "eda"]) == 0
    assert "pass --only all" in capsys.readouterr().err
    assert json.loads((out / "augment.json").read_text())["generated"] == 0


def test_method_has_no_default(tmp_path, intents, capsys):
    # neither method improved the Banking77 bench, so the user chooses one (bench/augment.py)
    with pytest.raises(SystemExit) as e:
        main(["augment", str(intents), "--out", str(tmp_path / "o"), "--model", "hashing", "--rules", "none"])
    assert e.value.code == 2 and "--method" in capsys.readouterr().err
