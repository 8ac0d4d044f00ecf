"""Answer perplexity and IFD under a causal LM: a tiny GPT-2 built in-process (no download, no package model)."""

from __future__ import annotations

import json
import math

import pytest

from curate.cli import main

WORDS = ("reset my password please click the link in settings how do i block card tap freeze in app "
         "what is the weather sunny today ### Instruction Response : ? .").split()


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    pytest.importorskip("torch")
    from tiny_lm import save_tiny_lm

    return save_tiny_lm(tmp_path_factory.mktemp("tiny-lm"), WORDS, n_positions=64)


def test_ifd_is_the_ratio_of_the_two_perplexities_and_unanswered_records_get_none(tiny_lm):
    from curate.select import ifd as ifd_mod
    from train.data import IGNORE, PLAIN_PROMPT

    recs = [{"id": "a", "format": "alpaca", "prompt": "how do i reset my password ?",
             "response": "click the link in settings .", "messages": None},
            {"id": "b", "format": "alpaca", "prompt": "what is the weather today ?", "response": "", "messages": None}]
    batch = {k: [r[k] for r in recs] for k in recs[0]}
    out = ifd_mod.answer_ifd(batch, config=ifd_mod.AnswerIFDConfig(model=str(tiny_lm)))
    assert out["answer_ifd"][1] is None and out["answer_perplexity"][1] is None
    net, tok = ifd_mod.load_lm(str(tiny_lm))
    # by hand: the prompt in training's layout, then the answer's own 6 tokens; no EOS is scored
    head = tok("<s>" + PLAIN_PROMPT.format(prompt=recs[0]["prompt"]), add_special_tokens=False)["input_ids"]
    answer = tok("click the link in settings .", add_special_tokens=False)["input_ids"]
    ids = head + answer
    cond = (ids, [IGNORE] * (len(head) - 1) + answer + [IGNORE])
    alone = ([tok.bos_token_id] + answer, answer + [IGNORE])
    (c, cn), (u, un) = ifd_mod.nll(net, [cond, alone], 8)
    assert cn == un == 6
    assert out["answer_perplexity"][0] == pytest.approx(math.exp(c / cn), rel=1e-3)
    assert out["answer_ifd"][0] == pytest.approx(math.exp(c / cn - u / un), rel=1e-3)


CHAT = ("{{ bos_token }}{% for m in messages %}{{ m['role'] }} : {{ m['content'] | trim }} </s> {% endfor %}"
        "{% if add_generation_prompt %}assistant : {% endif %}")


@pytest.mark.parametrize("chat,max_length,expect", [
    (False, 512, "click the link in settings ."),
    (True, 512, "click the link in settings ."),
    (False, 17, "click the link"),  # the prompt layout takes 14 tokens: the cut leaves 3 answer tokens
    (True, 16, "click the link"),  # 13 prompt tokens here
    (True, 13, None),  # no answer token fits
], ids=["alpaca-layout", "chat-template", "alpaca-cut", "chat-cut", "nothing-fits"])
def test_both_perplexities_score_the_same_answer_tokens_and_never_the_turn_closer(tiny_lm, chat, max_length, expect):
    import copy

    from curate.select import ifd as ifd_mod
    from train.data import IGNORE

    _, tok = ifd_mod.load_lm(str(tiny_lm))
    if chat:
        tok = copy.deepcopy(tok)
        tok.chat_template = CHAT
    rec = {"id": "a", "format": "alpaca", "prompt": "how do i reset my password ?",
           "response": " click the link in settings . ",
           "messages": [{"role": "user", "content": "how do i reset my password ?"},
                        {"role": "assistant", "content": " click the link in settings . "}]}
    pair = ifd_mod.ifd_pair(rec, tok, max_length)
    if expect is None:
        assert pair is None
        return
    (ids, tgt), (alone, alone_tgt) = pair
    want = tok(expect, add_special_tokens=False)["input_ids"]
    assert [t for t in tgt if t != IGNORE] == want == [t for t in alone_tgt if t != IGNORE]
    assert len(ids) <= max_length and alone[0] == tok.bos_token_id and tok.eos_token_id not in want


@pytest.mark.parametrize("ifd,weight", [(0.4, 0.4), (1.0, 1e-3), (1.7, 1e-3), (None, 1e-3)],
                         ids=["prompt-helps", "prompt-useless", "prompt-hurts", "unscored"])
def test_ifd_weight(ifd, weight):
    from curate.select.ifd import usefulness_from_ifd

    assert usefulness_from_ifd([ifd])[0] == pytest.approx(weight)


def test_select_with_ifd_end_to_end(tmp_path, tiny_lm):
    data = tmp_path / "sft.jsonl"
    rows = [("how do i reset my password ?", "click the link in settings ."),
            ("how do i block my card ?", "tap freeze in app ."),
            ("what is the weather today ?", "sunny ."), ("reset my password please", "click the link .")]
    data.write_text("".join(json.dumps({"id": f"s{i}", "instruction": p, "output": r}) + "\n"
                            for i, (p, r) in enumerate(rows)))
    out = tmp_path / "sel"
    assert main(["select", str(data), "--budget", "2", "--out", str(out), "--rules", "none", "--model", "hashing",
                 "--score", "ifd", "--lm-model", str(tiny_lm)]) == 0
    summary = json.loads((out / "select.json").read_text())
    assert summary["score"] == "ifd" and summary["selected"] == 2
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert all("usefulness" in r for r in manifest if r["kept"])


def test_answer_only_logits_match_the_full_forward_pass(tiny_lm):
    import torch

    from curate.select import ifd as ifd_mod
    from train.data import IGNORE

    net, tok = ifd_mod.load_lm(str(tiny_lm))
    seqs = [([2, 5, 6, 7, 8], [IGNORE, IGNORE, 7, 8, IGNORE]), ([2, 9, 10], [10, IGNORE, IGNORE]),
            ([2, 11, 12, 13], [11, 12, 13, IGNORE]), ([2, 14], [14, IGNORE])]
    got = ifd_mod.nll(net, seqs, 2)  # batched by length: results must come back in input order
    for (ids, tgt), (s, n) in zip(seqs, got):
        with torch.inference_mode():
            logits = net(input_ids=torch.tensor([ids])).logits[0]
        ref = torch.nn.functional.cross_entropy(logits, torch.tensor(tgt), ignore_index=IGNORE, reduction="sum")
        assert n == sum(t != IGNORE for t in tgt) and s == pytest.approx(float(ref), rel=1e-4)
