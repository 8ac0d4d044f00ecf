"""Token lengths (with and without a chat template), truncation at max_seq_len, label balance, language."""

from __future__ import annotations

import pytest

from curate.content.lengths import LengthsConfig
from curate.models import minilm_path
from content_helpers import chat, dataset, run_check, signals

TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


@pytest.fixture(scope="module")
def templated_tokenizer(tmp_path_factory):
    """MiniLM's fast tokenizer saved with a tiny chat template: stands in for a chat model's tokenizer."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(minilm_path()))
    tok.chat_template = TEMPLATE
    out = tmp_path_factory.mktemp("tok")
    tok.save_pretrained(out)
    return str(out)


def test_plain_tokenizer_counts_fields(tmp_path):
    ds = dataset(tmp_path, [chat("hello there", "hi how can i help")])
    sig = signals(ds, ["lengths"], {"lengths": LengthsConfig(tokenizer=str(minilm_path()))})
    # [CLS] hello there [SEP] = 4; "hi how can i help" = 5 word pieces
    assert sig["length_tokens"][0] == {"prompt": 4, "response": 5, "total": 9}
    assert sig["truncated_at_max_len"][0] is None


def test_chat_template_applied_and_answer_split(tmp_path, templated_tokenizer):
    ds = dataset(tmp_path, [chat("hello there", "hi how can i help", system="be kind")])
    lt = signals(ds, ["lengths"], {"lengths": LengthsConfig(tokenizer=templated_tokenizer)})["length_tokens"][0]
    plain = signals(ds, ["lengths"], {"lengths": LengthsConfig(tokenizer=templated_tokenizer, use_chat_template=False)})["length_tokens"][0]
    assert lt["total"] > plain["total"]  # role markers count: the trainer sees them
    # the generation prompt "<|assistant|>" belongs to the prompt; this template adds nothing after the answer
    assert lt["prompt"] + lt["response"] == lt["total"] and lt["response"] == 5


@pytest.mark.parametrize("max_seq_len, kind, evidence", [
    (1000, None, None),
    (40, "cuts_answer", "answer cut at token"),
    (5, "drops_answer", "prompt alone is"),
], ids=["fits", "cuts-answer", "drops-answer"])
def test_truncation_at_max_seq_len(tmp_path, max_seq_len, kind, evidence):
    long_answer = " ".join(["word"] * 60)
    ds = dataset(tmp_path, [chat("please tell me a long story about words", long_answer, rid="long"),
                            chat("hi", "hello", rid="short")])
    sig = signals(ds, ["lengths"], {"lengths": LengthsConfig(tokenizer=str(minilm_path()))})
    res = run_check("max_truncated_at_max_len", ds, sig, max_seq_len=max_seq_len)
    if kind is None:
        assert res.passed and res.flagged == []
    else:
        assert not res.passed and res.flagged == ["long"] and evidence in res.evidence["long"]
        assert res.details[kind] == 1
    assert res.details["tokens"]["total"]["max"] == sig["length_tokens"][0]["total"]


def test_unknown_tokenizer_is_a_clear_error(tmp_path):
    from curate.errors import CurateError

    ds = dataset(tmp_path, [chat("hi", "hello")])
    with pytest.raises(CurateError, match="cannot load tokenizer"):
        signals(ds, ["lengths"], {"lengths": LengthsConfig(tokenizer=str(tmp_path / "nope"))})


def _intents(tmp_path, counts: dict[str, int]):
    rows = [{"text": f"utterance {lab} number {i}", "label": lab} for lab, n in counts.items() for i in range(n)]
    return dataset(tmp_path, rows, "intents.csv")


def test_min_records_per_label(tmp_path):
    ds = _intents(tmp_path, {"refund": 12, "close_account": 3})
    sig = signals(ds, [])
    res = run_check("min_records_per_label", ds, sig, min_count=10)
    assert not res.passed and res.value == 3 and len(res.flagged) == 3
    assert "close_account (3)" in res.message and "has 3 records (< 10)" in next(iter(res.evidence.values()))
    assert run_check("min_records_per_label", ds, sig, min_count=3).passed


@pytest.mark.parametrize("counts, ratio, passed", [
    ({"a": 30, "b": 10}, 3.0, True), ({"a": 50, "b": 2}, 25.0, False), ({"only": 5}, 1.0, True),
], ids=["balanced", "imbalanced", "single-label"])
def test_max_label_imbalance(tmp_path, counts, ratio, passed):
    ds = _intents(tmp_path, counts)
    res = run_check("max_label_imbalance", ds, signals(ds, []), max_ratio=10.0)
    assert res.value == ratio and res.passed is passed


def test_off_language_records(tmp_path):
    en = ["How do I freeze my debit card in the banking app?", "What is the daily limit for transfers to other banks?",
          "Can I change the PIN of my card without visiting a branch?"]
    rows = [chat(q, "You can do that in the app under Settings, then Cards.", rid=f"en{i}") for i, q in enumerate(en)]
    rows.append(chat("Comment puis-je bloquer ma carte bancaire dans l'application ?",
                     "Vous pouvez le faire dans l'application, rubrique Cartes.", rid="fr"))
    rows.append(chat("ok", "thanks", rid="short"))
    ds = dataset(tmp_path, rows)
    sig = signals(ds, ["language"])
    assert sig["language"].tolist()[-1] == "und"  # too short to tell: never counted as off-language
    res = run_check("max_off_language_records", ds, sig, max_rate=0.0)
    assert res.flagged == ["fr"] and "language fr" in res.evidence["fr"] and "dataset is en" in res.evidence["fr"]
    assert run_check("max_off_language_records", ds, sig, max_rate=0.25).passed
    assert run_check("max_off_language_records", ds, sig, language="fr", max_rate=0.0).flagged == ["en0", "en1", "en2"]


def test_no_input_markers(tmp_path):
    ds = dataset(tmp_path, [{"instruction": "Say hi", "input": "<noinput>", "output": "Hi."},
                            {"instruction": "Say bye", "input": "", "output": "Bye."}])
    res = run_check("max_no_input_markers", ds, signals(ds, []))
    assert res.flagged == ["0"] and "'<noinput>'" in res.evidence["0"]


# ---- the fast path: tokenizers + the compiled template, checked against transformers ------------------

def _saved_tokenizer(tmp_path, template, edit_json=None):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(minilm_path()))
    tok.chat_template = template
    tok.save_pretrained(tmp_path)
    if edit_json:
        import json

        f = tmp_path / "tokenizer.json"
        f.write_text(json.dumps(edit_json(json.loads(f.read_text()))))
    return str(tmp_path)


def _mixed_rows():
    return [chat("hello there", "hi how can i help", system="  be kind\n"),
            {"id": "multi", "messages": [{"role": "user", "content": "first  question?\n"},
                                         {"role": "assistant", "content": " first answer "},
                                         {"role": "user", "content": "naïve café — 東京 😀"},
                                         {"role": "assistant", "content": "def f(x):\n    return x\n"}]},
            {"id": "no-answer", "messages": [{"role": "user", "content": "only a question"}]},
            {"id": "bot-first", "messages": [{"role": "assistant", "content": "I speak first"},
                                             {"role": "user", "content": "ok"}]}]


def _gemma_template():
    from curate.models import GEMMA_CHAT_TEMPLATE

    return GEMMA_CHAT_TEMPLATE


@pytest.mark.parametrize("template", [TEMPLATE, "gemma", None], ids=["role-tags", "gemma-3", "no-template"])
def test_fast_path_counts_exactly_as_transformers(tmp_path, template):
    from transformers import AutoTokenizer

    from curate.content.fast_tokens import FastTokenizer, fast_tokenizer
    from curate.content.lengths import count

    path = _saved_tokenizer(tmp_path / "tok", _gemma_template() if template == "gemma" else template)
    fast = fast_tokenizer(path)
    assert isinstance(fast, FastTokenizer)  # checked against transformers on first load: the same
    batch = dataset(tmp_path, _mixed_rows()).batch()
    cfg = LengthsConfig(tokenizer=path)
    assert count(fast, batch, cfg) == count(AutoTokenizer.from_pretrained(path), batch, cfg)
    assert isinstance(fast_tokenizer(path), FastTokenizer)  # the second load reads the verdict


def test_tokenizer_transformers_rebuilds_differently_keeps_transformers(tmp_path):
    """transformers 5 rebuilds a BERT backend from its vocabulary: a tokenizer.json whose normalizer
    no longer lowercases is not what transformers counts with, so the fast path must not be taken."""
    from transformers import AutoTokenizer

    from curate.content.fast_tokens import fast_tokenizer
    from curate.content.lengths import count, load_tokenizer

    def no_lowercase(j):
        j["normalizer"]["lowercase"] = False
        return j

    path = _saved_tokenizer(tmp_path / "tok", TEMPLATE, no_lowercase)
    assert fast_tokenizer(path) is None
    batch = dataset(tmp_path, [chat("Hello THERE", "Hi How Can I Help")]).batch()
    cfg = LengthsConfig(tokenizer=path)
    assert count(load_tokenizer(path), batch, cfg) == count(AutoTokenizer.from_pretrained(path), batch, cfg)


def test_template_that_refuses_a_system_turn_still_takes_the_fast_path(tmp_path):
    """Refusing the same chats the same way (raise_exception) is counting the same: lengths then counts
    those records without the template, as with transformers."""
    from transformers import AutoTokenizer

    from curate.content.fast_tokens import FastTokenizer, fast_tokenizer
    from curate.content.lengths import count

    strict = ("{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
              + TEMPLATE)
    path = _saved_tokenizer(tmp_path / "tok", strict)
    assert isinstance(fast_tokenizer(path), FastTokenizer)
    batch = dataset(tmp_path, _mixed_rows()).batch()
    cfg = LengthsConfig(tokenizer=path)
    assert count(fast_tokenizer(path), batch, cfg) == count(AutoTokenizer.from_pretrained(path), batch, cfg)


SEP_TEMPLATE = ("{% for m in messages %}[CLS]{{ m['role'] }}: {{ m['content'] }}[SEP]{% endfor %}"
                "{% if add_generation_prompt %}[CLS]assistant:{% endif %}")


def test_prompt_counted_inside_its_chat_when_a_turn_marker_splits_them(tmp_path):
    """Turns separated by added tokens ([CLS] here, <start_of_turn> in Gemma): the prompt's tokens are read
    off the whole chat's tokens up to the last marker, and only the generation prompt after it is tokenized."""
    from transformers import AutoTokenizer

    from curate.content.fast_tokens import FastTokenizer, fast_tokenizer
    from curate.content.lengths import _render, count

    path = _saved_tokenizer(tmp_path / "tok", SEP_TEMPLATE)
    fast = fast_tokenizer(path)
    assert isinstance(fast, FastTokenizer)
    rows = _mixed_rows() + [chat("[SEP] inside [CLS] the prompt", "an answer [CLS]assistant: again", rid="markers")]
    batch = dataset(tmp_path, rows).batch()
    cfg = LengthsConfig(tokenizer=path)
    assert count(fast, batch, cfg) == count(AutoTokenizer.from_pretrained(path), batch, cfg)
    head, full = _render(fast, batch["messages"][0], True)
    split = fast._split_at(head, full, fast.backend.encode(full, add_special_tokens=False))
    assert split is not None and head[split[1]:] == "assistant:"  # the split path was taken
