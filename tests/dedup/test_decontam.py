"""Benchmark contamination by 13-gram overlap: the stage, the check, --eval with many files / a folder, clean."""

import json

import pandas as pd
import pytest

from curate.checks import CheckContext, SkipCheck
from curate.cli import main
from curate.dedup.decontam import DecontamConfig, benchmark_table, decontam, max_benchmark_contamination, words
from curate.load import load_dataset
from curate.load.benchmarks import expand_eval_paths

LONG_Q = ("Natalia sold clips to forty eight of her friends in April and then she sold half as many clips in May "
          "how many clips did Natalia sell altogether")  # 28 words
TEN = "Can I have it add money automatically in certain intervals"  # 10 words: a whole-text n-gram
FIVE = "How do I unblock my PIN"  # 6 words: only an equal training text counts


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"id": i, "prompt": p, "response": r}) + "\n" for i, p, r in rows))
    return str(path)


def bench(tmp_path, rows, name="bench"):
    return load_dataset(write_jsonl(tmp_path / f"{name}.jsonl", rows))


def run(tmp_path, train_rows, eval_sets, **cfg):
    ds = load_dataset(write_jsonl(tmp_path / "train.jsonl", train_rows))
    out = decontam(ds.batch(), config=DecontamConfig(**cfg), eval=eval_sets)["contaminated_by"]
    return dict(zip(ds.ids, out))


def test_words_follow_lm_eval_normalisation():
    assert words("Hello, World!  It's 1,000 — “done”.") == ["hello", "world", "its", "1000", "done"]


CASES = [  # (id, training prompt, expected match kind or None)
    ("13gram-inside-longer-text", "Please help: " + " ".join(LONG_Q.split()[3:17]).upper() + "!! thanks", "ngram"),
    ("12-words-are-not-a-13gram", " ".join(LONG_Q.split()[3:15]), None),
    ("short-item-contained-whole", "I'm going to travel, " + TEN.lower() + "?", "whole"),
    ("short-item-missing-a-word", "Can I have it add money automatically in intervals", None),
    ("very-short-item-equal-text", "how do i UNBLOCK my pin???", "equal"),
    ("very-short-item-inside-text", "How do I unblock my PIN after three wrong tries at an ATM abroad", None),
    ("short-benchmark-answer-ignored", "Which option is right?", None),
]


@pytest.mark.parametrize("rid,prompt,kind", CASES, ids=[c[0] for c in CASES])
def test_match_rules(tmp_path, rid, prompt, kind):
    b = bench(tmp_path, [("q1", LONG_Q, "72"), ("q2", TEN, "yes"), ("q3", FIVE, "In the app."),
                         ("q4", "Pick one of A, B, C or D.", "B")])
    got = run(tmp_path, [(rid, prompt, "B")], [b])[rid]
    if kind is None:
        assert got == []
        return
    assert len(got) == 1 and got[0]["match"] == kind and got[0]["benchmark"] == "bench"
    d = got[0]
    if kind == "ngram":  # evidence: the overlapping 13-gram itself, the count and the share of the item's 13-grams
        assert d["id"] == "q1" and d["n"] == 13 and d["ngrams"] == 2 and d["coverage"] == round(2 / 16, 4)
        assert d["ngram"] == " ".join(words(LONG_Q)[3:16])
    elif kind == "whole":
        assert d["id"] == "q2" and d["n"] == 10 and d["ngram"] == " ".join(words(TEN)) and d["coverage"] == 1.0
    else:
        assert d["id"] == "q3" and d["n"] == 6 and d["ngram"] == "how do i unblock my pin"


@pytest.mark.parametrize("answers,expect", [(False, []), (True, ["q1"])], ids=["questions-only", "answers-too"])
def test_long_answers_count_only_when_asked_and_chunks_do_not_change_results(tmp_path, answers, expect):
    solution = "First add the two numbers then divide the total by three and round the result down to the nearest whole"
    b = bench(tmp_path, [("q1", "What is the mean?", solution)])
    rows = [(f"r{i}", "Unrelated question number %d" % i, "unrelated answer") for i in range(5)]
    rows.append(("leak", "Explain", "Sure. " + solution + " number."))
    one = run(tmp_path, rows, [b], chunk=1, answers=answers)
    assert one == run(tmp_path, rows, [b], answers=answers)
    assert [d["id"] for d in one["leak"]] == expect and all(one[f"r{i}"] == [] for i in range(5))


def test_a_shared_system_prompt_is_not_contamination(tmp_path):
    system = "You are a friendly support assistant for Pennywise a mobile banking app answer briefly and politely always"

    def chat(path, rows):
        path.write_text("".join(json.dumps({"id": i, "messages": [
            {"role": "system", "content": system}, {"role": "user", "content": q},
            {"role": "assistant", "content": "ok"}]}) + "\n" for i, q in rows))
        return load_dataset(str(path))

    b = chat(tmp_path / "bench.jsonl", [("q1", "How do I freeze my card?")])
    ds = chat(tmp_path / "train.jsonl", [("t1", "Where is my transfer?"), ("t2", "how do I freeze my card")])
    out = decontam(ds.batch(), config=DecontamConfig(), eval=[b])["contaminated_by"]
    assert out[0] == [] and [d["match"] for d in out[1]] == ["equal"]


def test_template_ngrams_shared_by_many_items_are_ignored(tmp_path):
    template = "The following are multiple choice questions with answers about a subject read them all carefully"
    b = bench(tmp_path, [(f"q{i}", f"{template} question {i} concerns topic {i * 7}", "A") for i in range(12)])
    got = run(tmp_path, [("t", template + " and then answer", "ok")], [b], max_items_per_ngram=10)
    assert got["t"] == []
    got = run(tmp_path, [("t", template + " and then answer", "ok")], [b], max_items_per_ngram=20)
    assert len(got["t"]) == 5  # MAX_LISTED of the 12 items
    assert benchmark_table([b], DecontamConfig())[0]["template_ngrams_ignored"] == 4  # 16 shared words: four 13-grams


def signals_for(tmp_path, train_rows, eval_sets):
    ds = load_dataset(write_jsonl(tmp_path / "train.jsonl", train_rows))
    cols = decontam(ds.batch(), config=DecontamConfig(), eval=eval_sets)
    return pd.DataFrame({"id": ds.ids, **cols}), ds


def test_check_fails_with_evidence_and_a_per_benchmark_table(tmp_path):
    b1 = bench(tmp_path, [("q1", LONG_Q, "72"), ("q2", FIVE, "In the app.")], name="gsm")
    b2 = bench(tmp_path, [("x1", TEN, "yes")], name="bank")
    sig, ds = signals_for(tmp_path, [("a", LONG_Q, "72"), ("b", "fine thanks", "ok"), ("c", TEN, "yes")], [b1, b2])
    res = max_benchmark_contamination(sig, CheckContext(dataset=ds, eval_sets=[b1, b2]))
    assert not res.passed and res.value == 2 and res.flagged == ["a", "c"]
    assert res.evidence["a"].startswith("16 13-gram(s) of benchmark gsm item q1 (100% of its 13-grams), e.g. 'natalia")
    assert res.evidence["c"] == f"contains all 10 words of benchmark bank item x1: '{' '.join(words(TEN))}'"
    table = {r["benchmark"]: r for r in res.details["table"]}
    assert table["gsm"] == {"benchmark": "gsm", "items": 2, "items_13gram": 1, "items_whole_text": 0,
                            "items_equal_only": 1, "template_ngrams_ignored": 0,
                            "training_records_contaminated": 1, "items_hit": 1}
    assert table["bank"]["items_whole_text"] == 1 and table["bank"]["training_records_contaminated"] == 1


def test_check_passes_clean_data_and_skips_without_eval(tmp_path):
    b = bench(tmp_path, [("q1", LONG_Q, "72")])
    sig, ds = signals_for(tmp_path, [("a", "How do I freeze my card?", "In the app.")], [b])
    assert max_benchmark_contamination(sig, CheckContext(dataset=ds, eval_sets=[b])).passed
    with pytest.raises(SkipCheck, match="--eval"):
        max_benchmark_contamination(sig, CheckContext(dataset=ds, eval_sets=[]))
    high = max_benchmark_contamination(signals_for(tmp_path, [("a", LONG_Q, "")], [b])[0],
                                       CheckContext(dataset=ds, eval_sets=[b]), min_ngrams=17)
    assert high.passed and high.flagged == []  # 16 overlapping 13-grams < min_ngrams
    opener = " ".join(LONG_Q.split()[:13]) + " and that was all"  # 1 of the item's 16 13-grams
    sig2 = signals_for(tmp_path, [("a", opener, "")], [b])[0]
    assert not max_benchmark_contamination(sig2, CheckContext(dataset=ds, eval_sets=[b])).passed
    assert max_benchmark_contamination(sig2, CheckContext(dataset=ds, eval_sets=[b]), min_coverage=0.1).passed


RULES = "rules:\n  - check: max_benchmark_contamination\n    severity: error\n    params: {max_count: 0}\n"


@pytest.fixture
def layout(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", [("a", LONG_Q, "72"), ("b", "Where is my card?", "On its way."),
                                                    ("c", TEN + "?", "Yes, in settings.")])
    write_jsonl(tmp_path / "benchmarks" / "gsm" / "test.jsonl", [("q1", LONG_Q, "72")])
    write_jsonl(tmp_path / "benchmarks" / "bank" / "test.jsonl", [("x1", TEN, "yes")])
    (tmp_path / "benchmarks" / "README.md").write_text("not a benchmark")
    (tmp_path / "rules.yaml").write_text(RULES)
    return tmp_path, train


def test_many_eval_files_after_one_flag(layout, capsys):
    root, train = layout
    b = root / "benchmarks"
    code = main(["audit", train, "--eval", str(b / "gsm" / "test.jsonl"), str(b / "bank" / "test.jsonl"),
                 "--rules", str(root / "rules.yaml"), "--out", str(root / "out")])
    assert code == 1
    md = (root / "out" / "report.md").read_text()
    # the same stem twice: each set is named by its folder too, so the two benchmarks are reported apart
    assert "2 of 3 training records" in md and "benchmark gsm/test item q1" in md and "bank/test item x1" in md


def test_a_folder_of_benchmarks(layout):
    root, train = layout
    assert [n for _, n in expand_eval_paths([root / "benchmarks"])] == ["bank/test", "gsm/test"]
    code = main(["audit", train, "--eval", str(root / "benchmarks"), "--rules", str(root / "rules.yaml"),
                 "--out", str(root / "out")])
    assert code == 1
    md = (root / "out" / "report.md").read_text()
    assert "benchmark gsm/test item q1" in md and "benchmark bank/test item x1" in md


@pytest.mark.parametrize("make,expect", [
    (lambda root: root / "empty", "a folder with no benchmark files in it"),
    (lambda root: "someone/some-benchmark", "the Hugging Face hub cannot be reached"),
], ids=["empty-folder", "hub-id-offline"])
def test_bad_eval_is_a_clear_error(layout, make, expect, capsys, monkeypatch):
    root, train = layout
    (root / "empty").mkdir()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # the quick reachability probe answers, not the env flag
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setattr("datasets.load_dataset", lambda *a, **k: pytest.fail("offline: datasets retries for ~30 s"))
    code = main(["audit", train, "--eval", str(make(root)), "--rules", str(root / "rules.yaml"),
                 "--out", str(root / "out")])
    assert code == 2
    assert expect in capsys.readouterr().err
    assert not (root / "out").exists()


def test_clean_drops_contaminated_records_to_quarantine(layout):
    root, train = layout
    code = main(["clean", train, "--eval", str(root / "benchmarks"), "--rules", str(root / "rules.yaml"),
                 "--out", str(root / "clean")])
    assert code == 0
    kept = [json.loads(x)["id"] for x in (root / "clean" / "train.jsonl").read_text().splitlines()]
    quarantine = [json.loads(x) for x in (root / "clean" / "quarantine.jsonl").read_text().splitlines()]
    assert kept == ["b"] and sorted(q["id"] for q in quarantine) == ["a", "c"]
    reasons = {q["id"]: q["reasons"][0] for q in quarantine}
    assert reasons["a"]["rule"] == "max_benchmark_contamination"
    assert "benchmark gsm/test item q1" in reasons["a"]["evidence"]
    assert "contains all 10 words of benchmark bank/test item x1" in reasons["c"]["evidence"]


def test_python_api_takes_a_folder_too(layout):
    from curate.audit import run_audit

    root, train = layout
    result = run_audit(train, eval=[str(root / "benchmarks")], rules=str(root / "rules.yaml"), use_cache=False)
    assert [d.name for d in result.eval_sets] == ["bank/test", "gsm/test"]
    assert result.outcomes[0].flagged == ["a", "c"]
