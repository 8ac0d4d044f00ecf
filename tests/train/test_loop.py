"""The loop on tiny in-process models: exact accumulation, early stopping that restores the best
weights, and resume after an interruption giving the same weights as an uninterrupted run."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file
from tiny_models import cls_record, sft_record, tiny_bert, tiny_llama, tiny_tokenizer

from train.config import TrainConfig
from train.data import encode_classification, encode_sft
from train.loop import accumulate, evaluate, loss_and_correct, train
from train.model import apply_method, trainable_state

# answers of very different lengths: 1, 6 and 2 words (+ <eos>)
SFT = [sft_record("short", "what is two plus two", "four"),
       sft_record("long", "hello", "hi good morning thanks a b"),
       sft_record("mid", "pay bill now", "send money")]


def grads(model) -> dict[str, torch.Tensor]:
    g = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return g


@pytest.mark.parametrize("split,packed", [([[0, 1, 2]], False), ([[0], [1], [2]], False), ([[2, 0], [1]], False),
                                          ([[0], [1], [2]], True), ([[0, 1], [2]], True)],
                         ids=["one-batch", "three-micro-batches", "uneven-micro-batches", "packed-three", "packed-two"])
def test_accumulated_gradient_does_not_depend_on_the_split(split, packed):
    tok = tiny_tokenizer()
    model = tiny_llama(len(tok))
    exs = encode_sft(SFT, tok, max_length=64)
    loss, n, _ = accumulate(model, exs, [[0, 1, 2]], "sft", packed=False, pad_id=0, device="cpu")
    reference = grads(model)
    loss_s, n_s, _ = accumulate(model, exs, split, "sft", packed=packed, pad_id=0, device="cpu")
    got = grads(model)
    assert n == n_s == 12 and loss_s == pytest.approx(loss, rel=1e-5)
    for name, g in reference.items():
        torch.testing.assert_close(got[name], g, rtol=1e-4, atol=1e-6)


def test_per_micro_batch_mean_would_be_wrong():
    """The classic accumulation bug, for contrast: averaging each micro-batch over-weights short answers."""
    tok = tiny_tokenizer()
    model = tiny_llama(len(tok))
    exs = encode_sft(SFT, tok, max_length=64)
    accumulate(model, exs, [[0, 1, 2]], "sft", packed=False, pad_id=0, device="cpu")
    right = grads(model)
    from train.data import collate, supervised_count

    for i in range(3):
        loss, _ = loss_and_correct(model, collate(exs, [i], packed=False, pad_id=0), "sft")
        (loss / supervised_count(exs[i]) / 3).backward()
    naive = grads(model)
    name = "lm_head.weight"
    assert not torch.allclose(naive[name], right[name], rtol=1e-2, atol=1e-5)


def cls_data(tok):
    texts = ["hello now", "hi there", "good morning", "hey thanks", "pay my bill", "send money", "pay now please",
             "money send"]
    train_recs = [cls_record(f"t{i}", t, "greet" if i < 4 else "pay") for i, t in enumerate(texts * 2)]
    # validation labels are the opposite of training: the more the model learns, the worse validation gets
    val_recs = [cls_record(f"v{i}", t, "pay" if i < 4 else "greet") for i, t in enumerate(texts)]
    l2i = {"greet": 0, "pay": 1}
    return encode_classification(train_recs, tok, l2i, 16), encode_classification(val_recs, tok, l2i, 16)


def test_early_stopping_restores_the_best_weights(tmp_path):
    tok = tiny_tokenizer()
    net = tiny_bert(len(tok), ["greet", "pay"])
    train_ex, val_ex = cls_data(tok)
    cfg = TrainConfig(task="classification", method="full", lr=3e-3, max_steps=30, batch_size=4, eval_every=1,
                      log_every=1, patience=2, metric="val_loss", warmup_ratio=0.0)
    summary = train(cfg, net, tok.pad_token_id, "classification", train_ex, val_ex, tmp_path, log=lambda m: None)
    rows = [json.loads(ln) for ln in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    vals = {r["step"]: r["val_loss"] for r in rows}
    best_step = min(vals, key=vals.get)
    assert summary["stopped_early"] and summary["best_step"] == best_step
    assert summary["steps"] == best_step + 2 < 30  # patience 2: two validations without improvement
    assert vals[summary["steps"]] > vals[best_step]
    # the model in memory and the weights on disk are the best step's, not the last step's
    from train.data import epoch_batches

    batches = epoch_batches(val_ex, seed=0, epoch=0, batch_size=8, pack_tokens=None)
    ev = evaluate(net, val_ex, batches, "classification", "cpu", __import__("contextlib").nullcontext, 0, False)
    assert ev["val_loss"] == pytest.approx(vals[best_step], rel=1e-5)
    on_disk = load_file(str(tmp_path / "adapter" / "trainable.safetensors"))
    for name, t in trainable_state(net).items():
        torch.testing.assert_close(on_disk[name], t)


def test_the_fresh_head_learns_at_head_lr_and_the_encoder_at_lr(tmp_path):
    """Adam's first step moves each weight by about its group's lr: 1e-2 for the head, 1e-6 below it."""
    tok = tiny_tokenizer()
    net = tiny_bert(len(tok), ["greet", "pay"])
    train_ex, val_ex = cls_data(tok)
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    cfg = TrainConfig(task="classification", method="full", lr=1e-6, head_lr=1e-2, max_steps=1, batch_size=4,
                      warmup_ratio=0.0, patience=0)
    train(cfg, net, tok.pad_token_id, "classification", train_ex, val_ex, tmp_path, log=lambda m: None)
    moved = {n: float((p.detach() - before[n]).abs().max()) for n, p in net.named_parameters()}
    assert moved["classifier.weight"] == pytest.approx(1e-2, rel=0.05)
    body = [v for n, v in moved.items() if not n.startswith("classifier.")]
    assert max(body) <= 1.1e-6 and max(body) > 0


def lora_sft(tok, seed=0):
    cfg = TrainConfig(task="sft", method="lora", lora_r=4, lora_alpha=8, lora_dropout=0.1, lr=5e-3, max_steps=6,
                      eval_every=2, log_every=1, patience=0, pack_tokens=24, max_length=24, seed=seed)
    return cfg, apply_method(tiny_llama(len(tok)), "sft", cfg)


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path, monkeypatch):
    tok = tiny_tokenizer()
    recs = [sft_record(str(i), q, a) for i, (q, a) in enumerate(
        [("what is two plus two", "four"), ("hello", "hi"), ("pay bill now", "send money"),
         ("the sum of three and three", "six"), ("good morning", "good morning thanks"), ("bye", "see you later")] * 2)]
    exs = encode_sft(recs, tok, max_length=24)
    val = exs[:3]

    cfg, net = lora_sft(tok)
    straight = train(cfg, net, 0, "sft", exs, val, tmp_path / "a", log=lambda m: None)
    want = trainable_state(net)

    calls = {"n": 0}
    real_step = torch.optim.AdamW.step

    def step_then_crash(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 5:  # the 5th optimizer step: the last checkpoint is step 4
            raise KeyboardInterrupt
        return real_step(self, *a, **k)

    cfg, net = lora_sft(tok)
    monkeypatch.setattr(torch.optim.AdamW, "step", step_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, net, 0, "sft", exs, val, tmp_path / "b", log=lambda m: None)
    monkeypatch.setattr(torch.optim.AdamW, "step", real_step)
    assert json.loads((tmp_path / "b" / "checkpoint" / "state.json").read_text())["step"] == 4

    cfg, net = lora_sft(tok, seed=0)
    torch.manual_seed(123)  # the resumed process starts from different RNG state: the checkpoint restores it
    resumed = train(cfg, net, 0, "sft", exs, val, tmp_path / "b", resume=True, log=lambda m: None)
    got = trainable_state(net)
    assert resumed["steps"] == straight["steps"] == 6 and resumed["best_step"] == straight["best_step"]
    for name, t in want.items():
        torch.testing.assert_close(got[name], t, rtol=1e-5, atol=1e-6)
    a = [json.loads(ln) for ln in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    b = [json.loads(ln) for ln in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in b] == [r["step"] for r in a] == [1, 2, 3, 4, 5, 6]
    assert [r["train_loss"] for r in b] == pytest.approx([r["train_loss"] for r in a], rel=1e-5)
