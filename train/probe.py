"""Initialise a fresh classification head from the frozen model's features before any gradient step.

`fit_head` (linear head): linear probe, then fine-tune (LP-FT), the head fitted by logistic
regression. `fit_prototypes` (cosine head): each class vector is the mean of its training
examples' normalised features, so step 0 predicts the nearest class mean.

A random head sends large, random gradients back into a pre-trained encoder for the first few
hundred steps and spends them undoing its own noise. MiniLM's frozen mean-pooled features already
classify Banking77 at 93% with a linear model, so fine-tuning from that head starts where the cheap
baseline ends (Kumar et al. 2022, "Fine-Tuning can Distort Pretrained Features").

    from train.probe import fit_head
    fit_head(net, train_ex, pad_id)        # before apply_method: the head's weights are replaced
    fit_prototypes(net, train_ex, pad_id)  # the same for a CosineHead
"""

from __future__ import annotations

import numpy as np
import torch

from curate.errors import CurateError
from train.data import collate, epoch_batches


def head_linear(net) -> torch.nn.Linear:
    """The final Linear layer mapping features to label logits (BERT's `classifier`, Llama's `score`)."""
    head = _head(net)
    if not isinstance(head, torch.nn.Linear):
        raise CurateError(f"--head-init probe needs a model whose classification head is one Linear layer; "
                          f"{type(net).__name__} has {type(head).__name__}",
                          fix="drop --head-init, or use a BERT-style model (classifier) or a decoder (score)")
    return head


@torch.no_grad()
def head_features(net, examples: list[dict], pad_id: int, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels): what the head sees for each example (the input of its layer), in eval mode."""
    head = _head(net)
    feats, labels = [], []
    grab = head.register_forward_hook(lambda mod, args, out: feats.append(args[0].detach().float().cpu()))
    was_training = net.training
    net.eval()
    try:
        for idx in epoch_batches(examples, seed=0, epoch=0, batch_size=batch_size, pack_tokens=None):
            batch = collate(examples, idx, packed=False, pad_id=pad_id)
            net(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            labels.append(batch["labels"])
    finally:
        grab.remove()
        net.train(was_training)
    return torch.cat(feats).numpy(), torch.cat(labels).numpy()


def fit_head(net, examples: list[dict], pad_id: int, *, c: float = 1.0, val_examples: list[dict] | None = None,
             log=print) -> dict:
    """Replace the head's weights with a logistic regression fitted on frozen features; returns accuracies.

    Features are standardised for the solver and the scaling folded back into the weights
    (w' = w / sd, b' = b - w' . mean), so the model's own forward pass gives the probe's logits.
    """
    from sklearn.linear_model import LogisticRegression

    head = head_linear(net)
    x, y = head_features(net, examples, pad_id)
    n_labels = head.out_features
    if len(set(y.tolist())) < 2:
        raise CurateError("--head-init probe needs at least two labels in the training data",
                          fix="drop --head-init or add examples of another label")
    has_bias = head.bias is not None  # decoders' `score` has none: no intercept, so no centring either
    mean, sd = (x.mean(0) if has_bias else np.zeros(x.shape[1], dtype=x.dtype)), x.std(0) + 1e-6
    clf = LogisticRegression(C=c, max_iter=1000, fit_intercept=has_bias).fit((x - mean) / sd, y)
    w = np.zeros((n_labels, x.shape[1]), dtype=np.float32)
    b = np.full(n_labels, -1e4, dtype=np.float32)  # a label absent from training is never predicted
    coef, icpt = clf.coef_, clf.intercept_ if has_bias else np.zeros(len(clf.coef_))
    if len(clf.classes_) == 2:  # sklearn keeps one row (for classes_[1]) when there are two labels
        coef, icpt = np.vstack([-coef / 2, coef / 2]), np.array([-icpt[0] / 2, icpt[0] / 2])
    w[clf.classes_] = coef / sd
    b[clf.classes_] = icpt - (coef / sd) @ mean
    if not has_bias:
        b[:] = 0.0
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(w))
        if has_bias:
            head.bias.copy_(torch.from_numpy(b))
    result = {"probe_train_accuracy": float(clf.score((x - mean) / sd, y))}
    if val_examples:
        xv, yv = head_features(net, val_examples, pad_id)
        result["probe_val_accuracy"] = float(((xv @ w.T + b).argmax(1) == yv).mean())
    log("head initialised by a linear probe on frozen features: "
        + ", ".join(f"{k.removeprefix('probe_')} {v:.4f}" for k, v in result.items()))
    return result


def fit_prototypes(net, examples: list[dict], pad_id: int, *, val_examples: list[dict] | None = None,
                   log=print) -> dict:
    """Set a CosineHead's class vectors to the class means of normalised frozen features."""
    from train.model import CosineHead

    head = _head(net)
    if not isinstance(head, CosineHead):
        raise CurateError(f"--head-init prototype initialises a cosine head; this model's head is "
                          f"{type(head).__name__}", fix="pass --head cosine, or --head-init probe for a linear head")
    x, y = head_features(net, examples, pad_id)
    z = torch.nn.functional.normalize(torch.from_numpy(x).float(), dim=-1)
    y_t = torch.from_numpy(y)
    protos = torch.zeros(head.out_features, z.shape[1])
    protos.index_add_(0, y_t, z)
    protos = torch.nn.functional.normalize(protos, dim=-1)  # a label without examples stays all-zero: logit 0
    with torch.no_grad():
        head.weight.copy_(protos.to(head.weight.dtype))

    def accuracy(feats, labels):
        return float(((torch.from_numpy(feats).float() @ protos.T).argmax(1).numpy() == labels).mean())

    result = {"prototype_train_accuracy": accuracy(x, y)}
    if val_examples:
        result["prototype_val_accuracy"] = accuracy(*head_features(net, val_examples, pad_id))
    log("head initialised to class means of frozen features: "
        + ", ".join(f"{k.removeprefix('prototype_')} {v:.4f}" for k, v in result.items()))
    return result


def _head(net) -> torch.nn.Module:
    from train.model import head_attr

    return getattr(net, head_attr(net))
