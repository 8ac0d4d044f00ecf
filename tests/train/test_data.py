"""Answer-only masking and packing without cross-talk, on a tiny in-process Llama."""

from __future__ import annotations

import pytest
import torch
from tiny_models import sft_record, tiny_llama, tiny_tokenizer

from curate.errors import DataError
from train.data import IGNORE, collate, encode_sft, pack
from train.loop import loss_and_correct


def supervised_text(tok, ex) -> str:
    """The tokens the loss is computed on (targets are shifted: target[t] is token t+1)."""
    return " ".join(tok.convert_ids_to_tokens([t for t in ex["targets"] if t != IGNORE]))


@pytest.mark.parametrize("template,record,expected", [
    (False, sft_record("1", "what is two plus two", "four"), "four <eos>"),
    (True, sft_record("2", "what is two plus two", "four"), "four <eos>"),
    (True, {"id": "3", "format": "chat", "prompt": "", "response": "", "label": None,
            "messages": [{"role": "system", "content": "good"}, {"role": "user", "content": "hello"},
                         {"role": "assistant", "content": "hi"}, {"role": "user", "content": "bye"},
                         {"role": "assistant", "content": "see you later"}]},
     "hi <eos> see you later <eos>"),
], ids=["plain-prompt-layout", "chat-template-single-turn", "chat-template-two-assistant-turns"])
def test_only_answer_tokens_are_supervised(template, record, expected):
    tok = tiny_tokenizer(chat_template=template)
    [ex] = encode_sft([record], tok, max_length=64)
    assert supervised_text(tok, ex) == expected
    assert len(ex["targets"]) == len(ex["input_ids"]) and ex["targets"][-1] == IGNORE


@pytest.mark.parametrize("record,max_length,where", [
    (sft_record("long", "what is " + "two plus " * 20 + "two", "four"), 8, "record long"),
    ({"id": "u", "format": "chat", "prompt": "hi", "response": "", "label": None,
      "messages": [{"role": "user", "content": "hi"}]}, 64, "record u"),
], ids=["prompt-truncated-past-the-answer", "chat-without-assistant-turn"])
def test_masking_that_leaves_nothing_is_an_error(record, max_length, where):
    tok = tiny_tokenizer(chat_template=record["format"] == "chat")
    with pytest.raises(DataError) as e:
        encode_sft([sft_record("ok", "hi", "hello"), record], tok, max_length=max_length, source="train.jsonl")
    assert where in e.value.message and "no answer tokens" in e.value.message
    assert "--max-length" in e.value.fix


def test_pack_is_greedy_and_respects_the_budget():
    assert pack([0, 1, 2, 3, 4], [5, 4, 3, 7, 1], 9) == [[0, 1], [2], [3, 4]]
    assert pack([0], [12], 9) == [[0]]  # a single over-long example still gets its own row
    assert pack([], [], 9) == []


RECORDS = [sft_record("a", "what is two plus two", "four"),
           sft_record("b", "the sum of three and three", "six please"),
           sft_record("c", "hello", "hi good morning thanks"),
           sft_record("d", "pay bill now", "send money")]


def test_packed_loss_equals_unpacked_loss():
    tok = tiny_tokenizer()
    model = tiny_llama(len(tok))
    exs = encode_sft(RECORDS, tok, max_length=64)
    with torch.no_grad():
        separate = sum(loss_and_correct(model, collate(exs, [i], packed=False, pad_id=0), "sft")[0]
                       for i in range(len(exs)))
        padded, _ = loss_and_correct(model, collate(exs, [0, 1, 2, 3], packed=False, pad_id=0), "sft")
        batch = collate(exs, [0, 1, 2, 3], packed=True, pad_id=0)
        packed, _ = loss_and_correct(model, batch, "sft")
        # the same row with positions running on: examples see each other and the loss changes
        leaky = dict(batch, position_ids=torch.arange(batch["input_ids"].shape[1])[None])
        cross_talk, _ = loss_and_correct(model, leaky, "sft")
    assert batch["input_ids"].shape[0] == 1 and (batch["position_ids"] == 0).sum() == 4
    assert packed.item() == pytest.approx(separate.item(), rel=1e-5)
    assert padded.item() == pytest.approx(separate.item(), rel=1e-5)
    assert abs(cross_talk.item() - separate.item()) > 1e-3
    # 13 answer tokens (4 answers of 1, 2, 4, 2 words + <eos> each); a random 2-layer model is near
    # uniform over the 49-token vocabulary: ln 49 = 3.89. Pinned at seed 0.
    n = sum(t != IGNORE for e in exs for t in e["targets"])
    assert n == 13 and len(tok) == 49
    assert separate.item() / n == pytest.approx(3.8946, abs=1e-3)


def test_holdout_is_seeded_and_stratified():
    from tiny_models import cls_record

    from train.data import holdout

    recs = [cls_record(str(i), "hello", "a" if i < 30 else "b") for i in range(40)]
    train, val = holdout(recs, 0.2, seed=1)
    assert sorted(r["label"] for r in val) == ["a"] * 6 + ["b"] * 2  # each label keeps its 20%
    assert {r["id"] for r in train} | {r["id"] for r in val} == {str(i) for i in range(40)}
    assert [r["id"] for r in holdout(recs, 0.2, seed=1)[1]] == [r["id"] for r in val]
    with pytest.raises(DataError, match="leaves 1 to train and 0 to validate"):
        holdout(recs[:1], 0.2, seed=1)


@pytest.mark.parametrize("ratio,n_extra", [(0.5, 2), (2.0, 8), (0.0, 0)], ids=["half", "more-than-available", "none"])
def test_mix_adds_replay_records_with_new_ids(ratio, n_extra):
    from train.data import mix_in

    train = [sft_record(str(i), "hello", "hi") for i in range(4)]
    general = [sft_record(f"g{i}", "good morning", "thanks") for i in range(3)]
    mixed = mix_in(train, general, ratio, seed=0)
    extra = mixed[4:]
    assert mixed[:4] == train and len(extra) == n_extra
    assert all(r["id"].startswith("mix:g") for r in extra) and len({r["id"] for r in mixed}) == len(mixed)
