"""Answer perplexity and IFD (instruction-following difficulty) under a local causal LM, a stage.

IFD (Li et al. 2024, "From Quantity to Quality", the Cherry LLM score DEITA's peers use) compares
how well the model predicts the answer with the prompt and without it:
    IFD = perplexity(answer | prompt) / perplexity(answer alone)
Near 1: the prompt barely helps, the pair teaches little or the answer does not follow from it
(at or above 1 the prompt does not help at all; the paper reads that as a likely misaligned pair,
which did not hold on the GSM8K and code_alpaca records read for BENCHMARKS.md: there IFD tracked
answer length and how much the answer copies the prompt); well below 1: the model already follows
the instruction easily. So `curate select` uses it only when asked (`--score ifd`). Cherry selects high IFD below 1; selection weights a
record's gain by its IFD when below 1 and by ~0 at or above 1.

The model is Gemma 3 270M from its package by default (any local causal LM by `model`). The prompt
is laid out as training lays it out (train/data.py: the chat template, or the Alpaca layout), and
both perplexities are over exactly the same tokens: the assistant turns' own text. The template's
turn closer (Gemma's `<end_of_turn>`, an end-of-sequence token) is not counted: it is all but free
given the template and absent from the answer alone, so counting it made short answers look easy
(up to a quarter of a 10-token answer's tokens). When `max_length` cuts the conditioned sequence,
the answer alone is scored on the same surviving answer tokens, not on more of them. CPU scoring
costs two forward passes per record.
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


def ifd_pair(rec: dict, tok, max_length: int):
    """((input_ids, targets) with the prompt, (input_ids, targets) of the answer alone), both scoring
    the same answer tokens; None when no answer token fits in max_length."""
    from train.data import IGNORE, sft_segments

    msgs = rec.get("messages") or []
    if getattr(tok, "chat_template", None) and msgs:
        answers = [m["content"].strip() for i, m in enumerate(msgs) if m.get("role") == "assistant" and i > 0]
    else:
        answers = [(rec.get("response") or "").strip()]
    ids, sup, k = [], [], 0
    for text, supervised in sft_segments(rec, tok):
        pieces = [(text, False)]
        if supervised:  # the answer's own text is scored; the template around it (turn closer, EOS) is not
            answer = answers[k] if k < len(answers) else ""
            at = text.find(answer) if answer else -1
            pieces = ([(text[:at], False), (answer, True), (text[at + len(answer):], False)] if at >= 0
                      else [(text, True)])
            k += 1
        for piece, flag in pieces:
            if piece:
                t = tok(piece, add_special_tokens=False)["input_ids"]
                ids += t
                sup += [flag] * len(t)
    ids, sup = ids[:max_length], sup[:max_length]
    scored = [t for t, s in zip(ids[1:], sup[1:]) if s]
    if not scored:
        return None
    targets = [t if s else IGNORE for t, s in zip(ids[1:], sup[1:])] + [IGNORE]
    start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
    if start is None:  # nothing to predict the answer's first token from when alone: skip it in both
        targets[next(i for i, t in enumerate(targets) if t != IGNORE)] = IGNORE
        if len(scored) < 2:
            return None
        return (ids, targets), (scored, scored[1:] + [IGNORE])
    return (ids, targets), ([start] + scored, scored + [IGNORE])


def answer_text(rec: dict) -> str:
    msgs = rec.get("messages") or []
    turns = [m["content"] for m in msgs if m.get("role") == "assistant"]
    return "\n".join(turns) if turns else (rec.get("response") or "")


def nll(net, seqs: list[tuple[list[int], list[int]]], batch_size: int) -> list[tuple[float, int]]:
    """(summed negative log-likelihood of the target tokens, their count) per (input_ids, targets)."""
    import sys

    import torch

    from train.data import IGNORE

    out: list = [None] * len(seqs)
    # Batches of similar length: a record's answer alone is far shorter than its prompt + answer, and
    # padding it to its neighbour's width nearly doubled the compute. Results go back in input order.
    order = sorted(range(len(seqs)), key=lambda k: len(seqs[k][0]))
    bar = None
    if sys.stderr.isatty() and len(seqs) > 4 * batch_size:  # minutes on a CPU: show that it moves
        from tqdm import tqdm

        bar = tqdm(total=len(seqs), desc="answer IFD", unit="seq")
    for s in range(0, len(seqs), batch_size):
        where = order[s:s + batch_size]
        chunk = [seqs[k] for k in where]
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
        for r, k in enumerate(where):
            out[k] = (float(loss[row == r].sum()), int((row == r).sum()))
        if bar:
            bar.update(len(chunk))
    if bar:
        bar.close()
    return out


@register_stage(STAGE_NAME, config=AnswerIFDConfig, columns=("answer_perplexity", "answer_ifd"))
def answer_ifd(batch: dict[str, list], *, config: AnswerIFDConfig) -> dict[str, list]:
    """Answer perplexity given the prompt, and IFD: that perplexity over the answer's perplexity alone."""
    n = len(batch["id"])
    recs = [{k: batch[k][i] for k in ("id", "format", "prompt", "response", "messages")} for i in range(n)]
    todo = [i for i, r in enumerate(recs) if r["format"] != "text" and answer_text(r).strip()]
    ppl, ifd = [None] * n, [None] * n
    if not todo:
        return {"answer_perplexity": ppl, "answer_ifd": ifd}
    net, tok = load_lm(config.model)
    cond, scored = [], []
    for i in todo:
        pair = ifd_pair(recs[i], tok, config.max_length)
        if pair is None:  # the prompt fills max_length: no answer token left to score
            continue
        cond += list(pair)
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
