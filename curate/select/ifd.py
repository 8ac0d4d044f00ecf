"""Answer perplexity and IFD (instruction-following difficulty) under a local causal LM, a stage.

IFD (Li et al. 2024, "From Quantity to Quality", the Cherry LLM score DEITA's peers use) compares
how well the model predicts the answer with the prompt and without it:
    IFD = perplexity(answer | prompt) / perplexity(answer alone)
Near 1: the prompt barely helps, the pair teaches little or the answer does not follow from it
(at or above 1 the prompt does not help at all: likely a misaligned pair); well below 1: the model
already follows the instruction easily. Cherry selects high IFD below 1; selection weights a
record's gain by its IFD when below 1 and by ~0 at or above 1.

The model is Gemma 3 270M from its package by default (any local causal LM by `model`). Answer
tokens are the assistant turns, masked exactly as training masks them (train/data.py); the answer
alone is the assistant turns' text after the beginning-of-sequence token. CPU scoring costs two
forward passes per record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from curate.stages import register_stage

STAGE_NAME = "answer_ifd"


@dataclass
class AnswerIFDConfig:
    model: str = ""  # causal LM directory; "" = Gemma 3 270M from its package
    max_length: int = 512  # tokens per sequence (prompt + answer); longer records are cut
    batch_size: int = 8  # sequences per forward pass


_MODELS: dict[str, tuple] = {}


def load_lm(model: str):
    if model not in _MODELS:
        from train.model import load_base

        net, tok = load_base(model, "sft")
        net.eval()
        _MODELS[model] = (net, tok)
    return _MODELS[model]


def answer_text(rec: dict) -> str:
    msgs = rec.get("messages") or []
    turns = [m["content"] for m in msgs if m.get("role") == "assistant"]
    return "\n".join(turns) if turns else (rec.get("response") or "")


def nll(net, seqs: list[tuple[list[int], list[int]]], batch_size: int) -> list[tuple[float, int]]:
    """(summed negative log-likelihood of the target tokens, their count) per (input_ids, targets)."""
    import sys

    import torch

    from train.data import IGNORE

    out = []
    bar = None
    if sys.stderr.isatty() and len(seqs) > 4 * batch_size:  # minutes on a CPU: show that it moves
        from tqdm import tqdm

        bar = tqdm(total=len(seqs), desc="answer IFD", unit="seq")
    for s in range(0, len(seqs), batch_size):
        chunk = seqs[s:s + batch_size]
        width = max(len(ids) for ids, _ in chunk)
        ids = torch.zeros((len(chunk), width), dtype=torch.long)
        tgt = torch.full((len(chunk), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, (i, t) in enumerate(chunk):
            ids[r, :len(i)], tgt[r, :len(t)], mask[r, :len(i)] = torch.tensor(i), torch.tensor(t), 1
        keep = tgt != IGNORE
        with torch.inference_mode():
            # logits only at answer positions: Gemma's 262k-word vocabulary makes full logits ~1 GB a batch
            hidden = net.base_model(input_ids=ids, attention_mask=mask).last_hidden_state[keep]
            logits = net.get_output_embeddings()(hidden).float()
            cap = getattr(net.config, "final_logit_softcapping", None)
            if cap:
                logits = torch.tanh(logits / cap) * cap
            loss = torch.nn.functional.cross_entropy(logits, tgt[keep], reduction="none")
        row = keep.nonzero()[:, 0]
        for r in range(len(chunk)):
            out.append((float(loss[row == r].sum()), int((row == r).sum())))
        if bar:
            bar.update(len(chunk))
    if bar:
        bar.close()
    return out


@register_stage(STAGE_NAME, config=AnswerIFDConfig, columns=("answer_perplexity", "answer_ifd"))
def answer_ifd(batch: dict[str, list], *, config: AnswerIFDConfig) -> dict[str, list]:
    """Answer perplexity given the prompt, and IFD: that perplexity over the answer's perplexity alone."""
    from curate.errors import DataError
    from train.data import IGNORE, encode_sft

    n = len(batch["id"])
    recs = [{k: batch[k][i] for k in ("id", "format", "prompt", "response", "messages")} for i in range(n)]
    todo = [i for i, r in enumerate(recs) if r["format"] != "text" and answer_text(r).strip()]
    ppl, ifd = [None] * n, [None] * n
    if not todo:
        return {"answer_perplexity": ppl, "answer_ifd": ifd}
    net, tok = load_lm(config.model)
    cond, scored = [], []
    for i in todo:
        try:
            e = encode_sft([recs[i]], tok, config.max_length)[0]
        except DataError:  # the prompt fills max_length: no answer token left to score
            continue
        alone = tok((tok.bos_token or "") + answer_text(recs[i]), add_special_tokens=False)["input_ids"][:config.max_length]
        if len(alone) < 2:
            continue
        cond.append((e["input_ids"], e["targets"]))
        cond.append((alone, alone[1:] + [IGNORE]))
        scored.append(i)
    res = nll(net, cond, config.batch_size)
    for k, i in enumerate(scored):
        (c_sum, c_n), (u_sum, u_n) = res[2 * k], res[2 * k + 1]
        c_mean, u_mean = c_sum / max(c_n, 1), u_sum / max(u_n, 1)
        ppl[i] = round(math.exp(min(c_mean, 50.0)), 4)
        ifd[i] = round(math.exp(min(c_mean - u_mean, 50.0)), 4)
    return {"answer_perplexity": ppl, "answer_ifd": ifd}


def usefulness_from_ifd(ifd) -> np.ndarray:
    """IFD below 1 as the weight (harder to follow = more to learn); at or above 1, or unscored, ~0."""
    v = np.array([np.nan if x is None else float(x) for x in ifd], dtype=float)
    return np.where(np.isfinite(v) & (v < 1.0), np.clip(v, 1e-3, 1.0), 1e-3)
