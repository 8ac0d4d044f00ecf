"""Run a model over records: class predictions, greedy generations, answer and text log-likelihoods,
sentence embeddings. The same functions score the fine-tuned model and its base, with identical
settings (batch size, max length, greedy decoding), so the two columns of a report are comparable.
"""

from __future__ import annotations

import contextlib

import torch


def _device(model) -> torch.device:
    return next(model.parameters()).device


@contextlib.contextmanager
def base_model(model, manifest):
    """The model without what training changed: peft's disabled adapter, or the base loaded again.

    A classification run's base has an untrained head, so its predictions are chance-level: that is
    the honest "before" for a head trained from scratch, and the report says so.
    """
    if hasattr(model, "disable_adapter"):
        with model.disable_adapter():
            yield model
        return
    from train.model import head_kwargs, load_base

    torch.manual_seed(0)
    base, _ = load_base(manifest.base_model, manifest.task, manifest.labels, **head_kwargs(manifest))
    base.to(_device(model)).eval()
    yield base


@torch.no_grad()
def predict_classes(model, tok, texts: list[str], *, batch_size: int, max_length: int) -> list[int]:
    preds = []
    for s in range(0, len(texts), batch_size):
        enc = tok(texts[s:s + batch_size], truncation=True, max_length=max_length, padding=True,
                  return_tensors="pt").to(_device(model))
        preds += model(**enc).logits.argmax(-1).tolist()
    return preds


@torch.no_grad()
def embed(model, tok, texts: list[str], *, batch_size: int, max_length: int) -> torch.Tensor:
    """Mean-pooled last hidden states (L2-normalised) of an encoder classifier: what its head sees."""
    out = []
    for s in range(0, len(texts), batch_size):
        enc = tok(texts[s:s + batch_size], truncation=True, max_length=max_length, padding=True,
                  return_tensors="pt").to(_device(model))
        hidden = model(**enc, output_hidden_states=True).hidden_states[-1]
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        out.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu())
    return torch.cat(out) if out else torch.zeros(0, 0)


@torch.no_grad()
def generate(model, tok, prompts: list[str], *, max_new_tokens: int, batch_size: int) -> list[str]:
    """Greedy continuations of `prompts` (already formatted), left-padded so every row ends at its prompt."""
    side = tok.padding_side
    tok.padding_side = "left"
    outs = []
    try:
        for s in range(0, len(prompts), batch_size):
            enc = tok(prompts[s:s + batch_size], add_special_tokens=False, padding=True,
                      return_tensors="pt").to(_device(model))
            gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                                 pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
            outs += tok.batch_decode(gen[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    finally:
        tok.padding_side = side
    return [o.strip() for o in outs]


@torch.no_grad()
def continuation_nll(model, tok, prefixes: list[str], continuations: list[str], *, batch_size: int,
                     max_length: int) -> list[tuple[float, int]]:
    """(sum of -log p, token count) of each continuation given its prefix (teacher forcing).

    With empty prefixes this is plain text log-likelihood (the general-text perplexity); with
    formatted prompts it is the perplexity of the reference answers.
    """
    rows = []
    for pre, cont in zip(prefixes, continuations):
        p = tok(pre, add_special_tokens=False)["input_ids"] if pre else []
        if not pre and tok.bos_token_id is not None:
            p = [tok.bos_token_id]  # a text's first token is predicted from BOS, as in pre-training
        c = tok(cont, add_special_tokens=False)["input_ids"]
        ids = (p + c)[:max_length]
        rows.append((ids, min(len(p), len(ids))))
    out = []
    for s in range(0, len(rows), batch_size):
        chunk = rows[s:s + batch_size]
        width = max(len(ids) for ids, _ in chunk)
        input_ids = torch.full((len(chunk), width), tok.pad_token_id or 0)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, (ids, _) in enumerate(chunk):
            input_ids[r, :len(ids)] = torch.tensor(ids)
            mask[r, :len(ids)] = 1
        dev = _device(model)
        logits = model(input_ids=input_ids.to(dev), attention_mask=mask.to(dev)).logits.float().cpu()
        logp = torch.log_softmax(logits[:, :-1], -1).gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        for r, (ids, start) in enumerate(chunk):
            # position t predicts token t+1; score tokens start..len-1 (the continuation)
            span = logp[r, max(start - 1, 0):len(ids) - 1]
            out.append((float(-span.sum()), int(span.numel())))
    return out
