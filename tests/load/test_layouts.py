"""Layouts people ship under their usual column names: summaries, QA, SQuAD, preference pairs, tool calls.

Each maps onto canonical prompt/response (or chat) records that every check reads, with fields
keeping their original names so findings and fixes point back at them.
"""

from __future__ import annotations

import gzip
import json

import pytest

from curate.cli import main
from curate.load import alternative_answers, load_dataset

DIALOGUE = "#Person1#: Can I pay by card?\n#Person2#: Yes, of course."
HH_CHOSEN = [{"role": "user", "content": "How do I boil an egg?"}, {"role": "assistant", "content": "Simmer it 9 minutes."}]
HH_REJECTED = [{"role": "user", "content": "How do I boil an egg?"}, {"role": "assistant", "content": "Figure it out."}]
TOOL_CHAT = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "{\"temp\": 18}"},
    {"role": "assistant", "content": "It is 18 degrees in Paris."},
]

# (id, row, format, layout, prompt, response, fields as (name, role, alternative))
LAYOUTS = [
    ("dialogsum_dev", {"fname": "dev_0", "dialogue": DIALOGUE, "summary": "#Person2# accepts a card.", "topic": "pay"},
     "prompt_completion", "dialogue_summary", DIALOGUE, "#Person2# accepts a card.",
     [("dialogue", "user", False), ("summary", "assistant", False)]),
    ("dialogsum_test", {"fname": "test_0", "dialogue": DIALOGUE, "summary1": "S1", "summary2": "S2", "summary3": "S3",
                        "topic1": "pay"},
     "prompt_completion", "dialogue_summary", DIALOGUE, "S1",
     [("dialogue", "user", False), ("summary1", "assistant", False), ("summary2", "assistant", True),
      ("summary3", "assistant", True)]),
    ("cnn_dailymail", {"id": "a1", "article": "Long news text.", "highlights": "Short."},
     "prompt_completion", "document_summary", "Long news text.", "Short.",
     [("article", "user", False), ("highlights", "assistant", False)]),
    ("xsum", {"document": "Doc.", "summary": "Sum.", "id": "x"},
     "prompt_completion", "document_summary", "Doc.", "Sum.", [("document", "user", False), ("summary", "assistant", False)]),
    ("text_summary", {"text": "Body.", "summary": "Gist."},
     "prompt_completion", "document_summary", "Body.", "Gist.", [("text", "user", False), ("summary", "assistant", False)]),
    ("gsm8k", {"question": "2+2?", "answer": "4"},
     "prompt_completion", "question_answer", "2+2?", "4", [("question", "user", False), ("answer", "assistant", False)]),
    ("squad", {"id": "s1", "title": "T", "context": "Paris is in France.", "question": "Where is Paris?",
               "answers": {"text": ["France", "in France"], "answer_start": [12, 9]}},
     "prompt_completion", "context_question_answer", "Paris is in France.\n\nWhere is Paris?", "France",
     [("context", "user", False), ("question", "user", False), ("answers.text.0", "assistant", False),
      ("answers.text.1", "assistant", True)]),
    ("squad_v2_no_answer", {"context": "C.", "question": "Q?", "answers": {"text": [], "answer_start": []}},
     "prompt_completion", "context_question_answer", "C.\n\nQ?", "", [("context", "user", False), ("question", "user", False)]),
    ("squad_list_of_dicts", {"context": "C.", "question": "Q?", "answers": [{"text": "A", "answer_start": 0}]},
     "prompt_completion", "context_question_answer", "C.\n\nQ?", "A",
     [("context", "user", False), ("question", "user", False), ("answers.0.text", "assistant", False)]),
    ("preference_strings", {"prompt": "Name a colour.", "chosen": "Red.", "rejected": "I cannot help."},
     "prompt_completion", "preference", "Name a colour.", "Red.",
     [("prompt", "user", False), ("chosen", "assistant", False), ("rejected", "assistant", True)]),
    ("preference_hh_turns", {"chosen": HH_CHOSEN, "rejected": HH_REJECTED},
     "chat", "preference", "How do I boil an egg?", "Simmer it 9 minutes.",
     [("chosen.0.content", "user", False), ("chosen.1.content", "assistant", False),
      ("rejected.1.content", "assistant", True)]),
    ("preference_trl_conversational", {"prompt": [{"role": "user", "content": "Hi?"}],
                                       "chosen": [{"role": "assistant", "content": "Hello!"}],
                                       "rejected": [{"role": "assistant", "content": "Go away."}]},
     "chat", "preference", "Hi?", "Hello!",
     [("prompt.0.content", "user", False), ("chosen.0.content", "assistant", False),
      ("rejected.0.content", "assistant", True)]),
    ("preference_ultrafeedback", {"prompt": "Hi?", "chosen": [{"role": "user", "content": "Hi?"},
                                                             {"role": "assistant", "content": "Hello!"}],
                                  "rejected": [{"role": "user", "content": "Hi?"},
                                               {"role": "assistant", "content": "No."}], "score_chosen": 9.0},
     "chat", "preference", "Hi?", "Hello!",
     [("prompt", "user", False), ("chosen.0.content", "user", False), ("chosen.1.content", "assistant", False),
      ("rejected.1.content", "assistant", True)]),
    ("openai_tool_calls", {"messages": TOOL_CHAT},
     "chat", None, "Weather in Paris?", "get_weather({\"city\": \"Paris\"})\n\nIt is 18 degrees in Paris.",
     [("messages.0.content", "user", False), ("messages.1.tool_calls.0.function.arguments", "assistant", False),
      ("messages.2.content", "tool", False), ("messages.3.content", "assistant", False)]),
]


@pytest.mark.parametrize("row,fmt,layout,prompt,response,fields", [c[1:] for c in LAYOUTS], ids=[c[0] for c in LAYOUTS])
def test_layout_is_detected_and_fields_keep_their_names(tmp_path, row, fmt, layout, prompt, response, fields):
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps(row) + "\n")
    ds = load_dataset(p)
    rec = ds.records[0]
    assert (ds.format, ds.mapping.layout) == (fmt, layout)
    assert (rec["prompt"], rec["response"]) == (prompt, response)
    assert [(f["name"], f["role"], bool(f.get("alternative"))) for f in rec["fields"]] == fields
    assert ds.mapping.detected and "detected:" in ds.mapping.explain()
    for f in rec["fields"]:  # a field's name is the path of its text in the row: fixes write back through it
        node = row
        for k in f["name"].split("."):
            node = node[int(k)] if isinstance(node, list) else node[k]
        assert node == f["text"]


def test_tool_call_turns_become_text_for_the_checks(tmp_path):
    p = tmp_path / "t.jsonl"
    legacy = [{"role": "user", "content": "Time?"},
              {"role": "assistant", "content": None, "function_call": {"name": "now", "arguments": {"tz": "UTC"}}},
              {"role": "function", "name": "now", "content": "12:00"}, {"role": "assistant", "content": "Noon."}]
    p.write_text(json.dumps({"messages": TOOL_CHAT}) + "\n" + json.dumps({"messages": legacy}) + "\n")
    ds = load_dataset(p)
    assert [m["role"] for m in ds.records[0]["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert ds.records[1]["messages"][1]["content"] == 'now({"tz": "UTC"})'
    # arguments stored as an object are checked as text but are not a field a fix could write into
    assert "messages.1.function_call.arguments" not in [f["name"] for f in ds.records[1]["fields"]]


def test_multi_reference_answers_are_alternatives_and_change_the_fingerprint(tmp_path):
    row = {"dialogue": DIALOGUE, "summary1": "S1", "summary2": "S2"}
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps(row) + "\n")
    b.write_text(json.dumps({**row, "summary2": "another"}) + "\n")
    da, db = load_dataset(a), load_dataset(b)
    assert [f["text"] for f in alternative_answers(da.records[0]["fields"])] == ["S2"]
    assert da.mapping.alternative_fields == ("summary2",)
    assert da.fingerprint != db.fingerprint, "a changed alternative answer must not reuse cached signals"


def test_prompt_and_response_flags_on_a_dialogue_file_make_a_pair_not_alpaca(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps({"dialogue": "D", "summary": "S"}) + "\n")
    ds = load_dataset(p, prompt_field="dialogue", response_field="summary")
    assert (ds.format, ds.mapping.layout) == ("prompt_completion", "dialogue_summary")
    assert ds.mapping.explain().startswith("chosen by flags: prompt_completion, dialogue/summary layout (flags --prompt-field")


def test_flags_still_win_over_layouts(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps({"dialogue": "D", "summary": "S", "topic": "T"}) + "\n")
    ds = load_dataset(p, prompt_field="dialogue", response_field="topic")
    assert ds.records[0]["response"] == "T" and ds.mapping.layout is None and not ds.mapping.detected


@pytest.mark.parametrize("suffix,writer", [
    (".jsonl.gz", lambda p, t: p.write_bytes(gzip.compress(t.encode()))),
    (".jsonl.bz2", lambda p, t: p.write_bytes(__import__("bz2").compress(t.encode()))),
    (".jsonl.xz", lambda p, t: p.write_bytes(__import__("lzma").compress(t.encode()))),
], ids=["gz", "bz2", "xz"])
def test_compressed_files_read_transparently(tmp_path, suffix, writer):
    p = tmp_path / f"train{suffix}"
    writer(p, '{"text": "hello", "label": "a"}\n{"text": "bye", "label": "b"}\n')
    ds = load_dataset(p)
    assert (ds.format, len(ds), ds.name, ds.kind) == ("classification", 2, "train", "jsonl")


def test_clean_writes_a_compressed_input_back_uncompressed_under_its_own_name(tmp_path):
    p = tmp_path / "train.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"text": "fine", "label": "a"}\n{"text": "bad\\u0007", "label": "b"}\n'))
    rules = tmp_path / "r.yaml"
    rules.write_text("rules:\n  - {check: max_control_char_records, severity: error}\n")
    assert main(["clean", str(p), "--rules", str(rules), "--out", str(tmp_path / "c")]) == 0
    rows = [json.loads(x) for x in (tmp_path / "c" / "train.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == ["fine", "bad"]


def test_compressed_csv_and_json(tmp_path):
    c, j = tmp_path / "d.csv.gz", tmp_path / "d.json.gz"
    c.write_bytes(gzip.compress(b"text,label\nhello,a\n"))
    j.write_bytes(gzip.compress(json.dumps([{"text": "hello", "label": "a"}]).encode()))
    assert load_dataset(c).fingerprint == load_dataset(j).fingerprint


def test_utf16_file_reads_with_the_encoding_the_error_names(tmp_path):
    p = tmp_path / "u.csv"
    p.write_bytes("text,label\ncafé,a\n".encode("utf-16"))
    assert load_dataset(p, encoding="utf-16").records[0]["prompt"] == "café"


# --- preference data through the real CLI: inspect shows it, the audit reads the rejected answer, clean keeps the layout

PREF_RULES = """rules:
  - {check: max_empty_or_placeholder_answers, severity: error}
  - {check: max_control_char_records, severity: warn}
"""


def _pref_rows(turns: bool) -> list[dict]:
    rows = []
    for i in range(6):
        prompt, good = f"Give me tip number {i} for baking bread.", f"Tip {i}: let the dough rest for an hour."
        bad = "TODO" if i == 2 else ("Tip \x07 lost." if i == 4 else f"Bread is bread, number {i}.")
        if turns:
            rows.append({"id": f"r{i}", "chosen": [{"role": "user", "content": prompt}, {"role": "assistant", "content": good}],
                         "rejected": [{"role": "user", "content": prompt}, {"role": "assistant", "content": bad}]})
        else:
            rows.append({"id": f"r{i}", "prompt": prompt, "chosen": good, "rejected": bad})
    return rows


@pytest.mark.parametrize("turns", [False, True], ids=["prompt_chosen_rejected", "hh_turns"])
def test_preference_audit_reads_rejected_answers_and_clean_keeps_the_layout(tmp_path, capsys, turns):
    rows = _pref_rows(turns)
    data = tmp_path / "pref.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rules = tmp_path / "r.yaml"
    rules.write_text(PREF_RULES)
    rejected = "rejected.1.content" if turns else "rejected"

    assert main(["inspect", str(data), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["mapping"]["layout"] == "preference" and summary["pairs_without_difference"] == 0
    assert summary["alternative_answers"] == {("rejected.*.content [assistant]" if turns else "rejected"): 6}

    out = tmp_path / "audit"
    assert main(["audit", str(data), "--rules", str(rules), "--out", str(out), "--no-cache"]) == 1
    printed = capsys.readouterr().out
    assert "preference layout" in " ".join(printed.split())
    doc = json.loads((out / "audit.json").read_text())
    empty = next(r for r in doc["rules"] if r["check"] == "max_empty_or_placeholder_answers")
    assert empty["flagged"] == 1
    flagged = json.dumps(empty)
    assert "r2" in flagged and rejected in flagged, "the evidence names the rejected answer's field"

    cleaned = tmp_path / "clean"
    assert main(["clean", str(data), "--rules", str(rules), "--out", str(cleaned), "--fix-warned"]) == 0
    kept = [json.loads(x) for x in (cleaned / "pref.jsonl").read_text().splitlines()]
    assert [r["id"] for r in kept] == ["r0", "r1", "r3", "r4", "r5"]
    assert set(kept[0]) == set(rows[0]), "written back in its own layout"
    fixed = kept[3]["rejected"][1]["content"] if turns else kept[3]["rejected"]
    assert "\x07" not in fixed and fixed.startswith("Tip")


def test_stages_read_the_rejected_answer_and_name_chat_turns_by_their_path(tmp_path):
    from curate.content.structure import StructureConfig, structure
    from curate.content.verify import VerifyConfig, verify

    p = tmp_path / "p.jsonl"
    user = {"role": "user", "content": "What is 6 times 7?"}
    p.write_text(json.dumps({"chosen": [user, {"role": "assistant", "content": "6 * 7 = 42"}],
                             "rejected": [user, {"role": "assistant", "content": "6 * 7 = 48"}]}) + "\n"
                 + json.dumps({"chosen": [user, user, {"role": "assistant", "content": "42"}],
                               "rejected": [user, user, {"role": "assistant", "content": "41"}]}) + "\n")
    batch = load_dataset(p).batch()
    errors = verify(batch, config=VerifyConfig())["arithmetic_errors"]
    assert errors[0] and "48" in json.dumps(errors[0]), "the wrong sum in the rejected answer is found"
    issues = structure(batch, config=StructureConfig())["structure_issues"]
    assert issues[0] == [] and issues[1][0]["field"] == "chosen.1.content"
