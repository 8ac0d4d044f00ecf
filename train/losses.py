"""Classification training losses for imbalanced labels: class-weighted and focal cross-entropy.

`balanced` weights are scikit-learn's `class_weight="balanced"`: w_c = n / (K x n_c), so every class
carries the same total weight and the weights average to 1 over the training examples (the loss
keeps its scale and the learning rate its meaning). Focal loss (Lin et al. 2017, "Focal Loss for
Dense Object Detection") multiplies each example's cross-entropy by (1 - p_true)^gamma: examples the
model already gets right, mostly from the head classes, stop dominating the gradient.
Validation always reports plain cross-entropy, so runs with different losses stay comparable.
"""

from __future__ import annotations

from collections import Counter

import torch
import torch.nn.functional as F

CLASS_WEIGHTS = ("none", "balanced")
LOSSES = ("ce", "focal")


def class_weights(label_ids: list[int], n_classes: int, mode: str) -> torch.Tensor | None:
    """Per-class weights for the training labels, or None for `none`; a class without examples gets 0."""
    if mode == "none":
        return None
    counts, n = Counter(label_ids), len(label_ids)
    present = len(counts)
    return torch.tensor([n / (present * counts[c]) if counts[c] else 0.0 for c in range(n_classes)])


def classification_loss(logits: torch.Tensor, target: torch.Tensor, *, label_smoothing: float = 0.0,
                        weight: torch.Tensor | None = None, focal_gamma: float = 0.0) -> torch.Tensor:
    """Summed loss over the batch (the caller divides by the step's example count)."""
    if not focal_gamma:
        return F.cross_entropy(logits, target, reduction="sum", label_smoothing=label_smoothing,
                               weight=None if weight is None else weight.to(logits.device, logits.dtype))
    ce = F.cross_entropy(logits, target, reduction="none", label_smoothing=label_smoothing)
    p_true = torch.exp(-F.cross_entropy(logits, target, reduction="none")).detach()
    loss = (1 - p_true) ** focal_gamma * ce
    if weight is not None:
        loss = loss * weight.to(logits.device, logits.dtype)[target]
    return loss.sum()
