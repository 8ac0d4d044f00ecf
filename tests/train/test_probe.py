"""Head initialisation (linear probe, class prototypes), the cosine head and label smoothing, on tiny
in-process models."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from tiny_models import cls_record, tiny_bert, tiny_llama, tiny_tokenizer

from curate.errors import CurateError
from train.data import collate, encode_classification
from train.loop import loss_and_correct
from train.model import CosineHead, use_cosine_head
from train.probe import fit_head, fit_prototypes, head_features

TEXTS = {"greet": ["hello", "hi good morning", "hello hi", "good morning thanks", "hi", "hello good morning"],
         "pay": ["pay bill now", "send money", "pay money please", "send money now", "pay", "bill please"],
         "bye": ["bye", "goodbye", "see you later", "bye bye", "goodbye see you", "see you"]}


def _examples(labels):
    tok = tiny_tokenizer()
    recs = [cls_record(f"{lab}{i}", t, lab) for lab in labels for i, t in enumerate(TEXTS[lab])]
    return tok, encode_classification(recs, tok, {lab: i for i, lab in enumerate(labels)}, max_length=16)


def _accuracy(net, exs, pad_id):
    net.eval()
    with torch.no_grad():
        _, correct = loss_and_correct(net, collate(exs, list(range(len(exs))), packed=False, pad_id=pad_id),
                                      "classification")
    return correct / len(exs)


@pytest.mark.parametrize("labels", [["greet", "pay", "bye"], ["greet", "pay"]], ids=["three-labels", "two-labels"])
def test_probe_head_makes_the_model_predict_like_the_logistic_regression(labels):
    tok, exs = _examples(labels)
    net = tiny_bert(len(tok), labels)
    before = _accuracy(net, exs, tok.pad_token_id)
    result = fit_head(net, exs, tok.pad_token_id, c=100.0, val_examples=exs, log=lambda _: None)
    # the folded standardisation must give the model's own forward pass the probe's predictions
    assert _accuracy(net, exs, tok.pad_token_id) == pytest.approx(result["probe_train_accuracy"])
    assert result["probe_val_accuracy"] == pytest.approx(result["probe_train_accuracy"])
    assert result["probe_train_accuracy"] > before and result["probe_train_accuracy"] >= 0.9


def test_probe_features_are_the_heads_input():
    labels = ["greet", "pay"]
    tok, exs = _examples(labels)
    net = tiny_bert(len(tok), labels).eval()
    x, y = head_features(net, exs, tok.pad_token_id)
    assert x.shape == (len(exs), net.config.hidden_size) and sorted(y.tolist()) == sorted(e["label"] for e in exs)


def test_probe_refuses_a_model_without_a_linear_head():
    tok = tiny_tokenizer()
    with pytest.raises(CurateError, match="no `classifier` or `score` head"):
        fit_head(tiny_llama(len(tok)), [], tok.pad_token_id)
    net = tiny_bert(len(tok), ["greet", "pay"])
    use_cosine_head(net, 20.0)
    with pytest.raises(CurateError, match="one Linear layer"):
        fit_head(net, [], tok.pad_token_id)


def test_probe_needs_two_labels():
    tok, exs = _examples(["greet"])
    with pytest.raises(CurateError, match="two labels"):
        fit_head(tiny_bert(len(tok), ["greet"]), exs, tok.pad_token_id)


@pytest.mark.parametrize("smoothing", [0.0, 0.1], ids=["none", "0.1"])
def test_label_smoothing_is_the_smoothed_cross_entropy(smoothing):
    labels = ["greet", "pay", "bye"]
    tok, exs = _examples(labels)
    net = tiny_bert(len(tok), labels).eval()
    batch = collate(exs, list(range(len(exs))), packed=False, pad_id=tok.pad_token_id)
    with torch.no_grad():
        loss, _ = loss_and_correct(net, batch, "classification", label_smoothing=smoothing)
        logits = net(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    logp = logits.log_softmax(-1)
    k = len(labels)
    target = torch.full_like(logp, smoothing / k).scatter_(1, batch["labels"][:, None], 1 - smoothing + smoothing / k)
    assert float(loss) == pytest.approx(float(-(target * logp).sum()), rel=1e-5)
    assert float(loss) == pytest.approx(float(F.cross_entropy(logits, batch["labels"], reduction="sum",
                                                              label_smoothing=smoothing)), rel=1e-6)


def test_cosine_head_scores_scaled_cosine_to_the_class_vectors():
    labels = ["greet", "pay", "bye"]
    tok, exs = _examples(labels)
    net = tiny_bert(len(tok), labels).eval()
    use_cosine_head(net, 16.0)
    assert isinstance(net.classifier, CosineHead) and net.config.curate_head == "cosine"
    batch = collate(exs, list(range(len(exs))), packed=False, pad_id=tok.pad_token_id)
    seen = []
    hook = net.classifier.register_forward_hook(lambda mod, args, out: seen.append(args[0]))
    with torch.no_grad():
        logits = net(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    hook.remove()
    expected = 16.0 * F.normalize(seen[0], dim=-1) @ F.normalize(net.classifier.weight, dim=-1).T
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-5)
    assert logits.abs().max() <= 16.0 + 1e-4  # bounded by the scale: no runaway confidence


def test_prototype_init_predicts_the_nearest_class_mean():
    labels = ["greet", "pay", "bye"]
    tok, exs = _examples(labels)
    net = tiny_bert(len(tok), labels, seed=1).eval()
    use_cosine_head(net, 20.0)
    result = fit_prototypes(net, exs, tok.pad_token_id, val_examples=exs, log=lambda *_: None)
    x, y = head_features(net, exs, tok.pad_token_id)
    z = F.normalize(torch.from_numpy(x), dim=-1)
    means = F.normalize(torch.stack([z[torch.from_numpy(y == k)].mean(0) for k in range(len(labels))]), dim=-1)
    torch.testing.assert_close(net.classifier.weight.detach(), means, rtol=1e-5, atol=1e-6)
    nearest = (z @ means.T).argmax(1).numpy()
    assert result["prototype_train_accuracy"] == pytest.approx(float((nearest == y).mean()))
    assert result["prototype_train_accuracy"] == pytest.approx(_accuracy(net, exs, tok.pad_token_id))
    assert result["prototype_train_accuracy"] > 1 / len(labels)


def test_prototype_init_needs_a_cosine_head():
    tok, exs = _examples(["greet", "pay"])
    with pytest.raises(CurateError, match="pass --head cosine"):
        fit_prototypes(tiny_bert(len(tok), ["greet", "pay"]), exs, tok.pad_token_id)
