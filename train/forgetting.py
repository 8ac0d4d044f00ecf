"""What fine-tuning cost: general ability before and after, measured with identical settings.

- SFT (causal LM): perplexity on general text with the adapter and without it.
- Classification (encoder): an encoder has no next-token perplexity, so what is measured is how
  far the sentence representations moved on general text: the mean cosine similarity between base
  and tuned embeddings of the same text, and how well the tuned model keeps the base model's
  similarity structure (Spearman correlation of the pairwise similarities). When the general set
  is labelled, a logistic-regression probe on the embeddings (5-fold cross-validation) gives a
  general accuracy before and after.

The default general text (curate/resources/general_text.txt) was written for this project:
everyday and encyclopedic prose, one passage per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from curate.errors import CurateError
from train import metrics, predict


@dataclass
class ForgettingConfig:
    max_length: int = 256  # tokens per general passage (identical before and after)
    batch_size: int = 8  # passages per forward pass
    max_passages: int = 400  # cap so forgetting stays a small part of an eval


def default_general_file() -> Path:
    return Path(__file__).resolve().parents[1] / "curate" / "resources" / "general_text.txt"


def load_general(path=None, cap: int = 400) -> tuple[list[str], list[str] | None, str]:
    """(texts, labels or None, name) from a .txt (one passage per line) or any dataset curate loads."""
    path = Path(path) if path else default_general_file()
    if not path.exists():
        raise CurateError(f"general-text file {path} does not exist",
                          fix="pass --general with a .txt file (one passage per line) or a dataset file")
    if path.suffix.lower() == ".txt":
        texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        labels = None
    else:
        from curate.load import load_dataset

        ds = load_dataset(path)
        texts = [(r["prompt"] + ("\n" + r["response"] if r["response"] else "")).strip() for r in ds.records]
        labels = [r["label"] for r in ds.records] if ds.format == "classification" else None
    if not texts:
        raise CurateError(f"general-text file {path} has no passages", fix="put one passage per line")
    return texts[:cap], (labels[:cap] if labels else None), path.name


def sft_forgetting(model, tok, manifest, texts: list[str], cfg: ForgettingConfig) -> dict:
    def ppl(m) -> float:
        scored = predict.continuation_nll(m, tok, [""] * len(texts), texts, batch_size=cfg.batch_size,
                                          max_length=cfg.max_length)
        return metrics.perplexity(sum(s for s, _ in scored), sum(n for _, n in scored))

    after = ppl(model)
    with predict.base_model(model, manifest) as base:
        before = ppl(base)
    return {"metric": "perplexity", "before": before, "after": after, "change": after - before,
            "relative_change": (after - before) / before if before else None, "n_passages": len(texts)}


def _probe_accuracy(emb: np.ndarray, labels: list[str]) -> float | None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    counts = np.unique(labels, return_counts=True)[1]
    folds = int(min(5, counts.min())) if len(counts) > 1 else 0
    if folds < 2:
        return None  # too few examples per label to cross-validate
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    return float(cross_val_score(LogisticRegression(max_iter=2000), emb, labels, cv=cv).mean())


def classification_forgetting(model, tok, manifest, texts: list[str], labels: list[str] | None,
                              cfg: ForgettingConfig) -> dict:
    from scipy.stats import spearmanr

    after = predict.embed(model, tok, texts, batch_size=cfg.batch_size, max_length=cfg.max_length).numpy()
    with predict.base_model(model, manifest) as base:
        before = predict.embed(base, tok, texts, batch_size=cfg.batch_size, max_length=cfg.max_length).numpy()
    out = {"metric": "representation_drift", "n_passages": len(texts),
           "mean_cosine_base_vs_tuned": float((before * after).sum(1).mean())}
    if len(texts) >= 3:
        iu = np.triu_indices(len(texts), 1)
        out["similarity_structure_spearman"] = float(spearmanr((before @ before.T)[iu], (after @ after.T)[iu])[0])
    if labels:
        b, a = _probe_accuracy(before, labels), _probe_accuracy(after, labels)
        if b is not None:
            out.update(probe_accuracy_before=b, probe_accuracy_after=a, change=a - b)
    return out


def measure(model, tok, manifest, general=None, cfg: ForgettingConfig = ForgettingConfig()) -> dict:
    texts, labels, name = load_general(general, cfg.max_passages)
    fn = sft_forgetting(model, tok, manifest, texts, cfg) if manifest.task == "sft" else \
        classification_forgetting(model, tok, manifest, texts, labels, cfg)
    return {"general_set": name, **fn}
