"""Records -> token ids -> batches.

SFT examples carry `targets`: the next token at each position, already shifted, with IGNORE (-100)
everywhere except the answer / assistant tokens. Shifting per example before packing means the last
token of one packed example never learns to predict the first token of the next.

Packing puts several examples into one row with position ids restarting at 0 for each; transformers
turns restarting position ids into a block-diagonal causal mask (sdpa/eager, masking_utils
`find_packed_sequence_indices`) or variable-length kernels (flash-attention), so packed examples
never attend to each other and no compute is spent on padding.
"""

from __future__ import annotations

import random

import torch

from curate.errors import DataError

IGNORE = -100
# Used when the tokenizer has no chat template (Alpaca's own prompt layout).
PLAIN_PROMPT = "### Instruction:\n{prompt}\n\n### Response:\n"


def sft_segments(rec: dict, tok) -> list[tuple[str, bool]]:
    """The record as (text, supervised) pieces: only assistant turns are supervised."""
    if rec["format"] == "text":  # plain text: continued pre-training, every token is an answer
        return [((tok.bos_token or "") + rec["prompt"], True)]
    msgs = rec["messages"]
    if not getattr(tok, "chat_template", None):
        return [((tok.bos_token or "") + PLAIN_PROMPT.format(prompt=rec["prompt"]), False),
                (rec["response"] + (tok.eos_token or ""), True)]
    segs, done = [], ""
    for i, m in enumerate(msgs):
        if m["role"] != "assistant" or i == 0:
            continue
        head = tok.apply_chat_template(msgs[:i], add_generation_prompt=True, tokenize=False)
        full = tok.apply_chat_template(msgs[:i + 1], tokenize=False)
        if not (head.startswith(done) and full.startswith(head)):
            raise DataError("chat template", f"record {rec['id']}",
                            "the tokenizer's chat template does not render conversations prefix by prefix, "
                            "so assistant turns cannot be located", fix="pass a tokenizer/model whose template does")
        segs += [(head[len(done):], False), (full[len(head):], True)]
        done = full
    rest = tok.apply_chat_template(msgs, tokenize=False)[len(done):]
    return segs + ([(rest, False)] if rest else [])


def encode_sft(records: list[dict], tok, max_length: int, source: str = "data") -> list[dict]:
    """{input_ids, targets} per record; DataError naming the records if masking leaves nothing to learn."""
    out, empty = [], []
    for rec in records:
        ids, sup = [], []
        for text, supervised in sft_segments(rec, tok):
            piece = tok(text, add_special_tokens=False)["input_ids"]
            ids += piece
            sup += [supervised] * len(piece)
        ids, sup = ids[:max_length], sup[:max_length]
        targets = [t if s else IGNORE for t, s in zip(ids[1:], sup[1:])] + [IGNORE]
        if all(t == IGNORE for t in targets):
            empty.append(rec["id"])
        out.append({"id": rec["id"], "input_ids": ids, "targets": targets})
    if empty:
        raise DataError(source, f"record {empty[0]}" + (f" and {len(empty) - 1} more" if len(empty) > 1 else ""),
                        f"no answer tokens left to train on after masking the prompt and truncating to "
                        f"{max_length} tokens (ids: {', '.join(empty[:5])})",
                        fix="give these records a non-empty response, raise --max-length, or drop them "
                            "(curate clean)")
    return out


def encode_classification(records: list[dict], tok, label2id: dict[str, int], max_length: int,
                          source: str = "data") -> list[dict]:
    unknown = sorted({r["label"] for r in records} - set(label2id))
    if unknown:
        ids = [r["id"] for r in records if r["label"] in set(unknown)]
        where = f"record {ids[0]}" + (f" and {len(ids) - 1} more" if len(ids) > 1 else "")
        raise DataError(source, where, f"labels not seen in the training data: {', '.join(unknown[:10])}",
                        fix="make sure every validation/test label occurs in the training set (curate split "
                            "stratifies by label)")
    enc = tok([r["prompt"] for r in records], truncation=True, max_length=max_length)["input_ids"]
    return [{"id": r["id"], "input_ids": ids, "label": label2id[r["label"]]} for r, ids in zip(records, enc)]


def supervised_count(ex: dict) -> int:
    """Loss terms an example contributes: its answer tokens (sft) or 1 (classification)."""
    if "label" in ex:
        return 1
    return sum(t != IGNORE for t in ex["targets"])


# ---- batching: lists of example indices, deterministic in (seed, epoch) so resume replays them ----

def epoch_batches(examples: list[dict], *, seed: int, epoch: int, batch_size: int, pack_tokens: int | None) -> list[list[int]]:
    order = list(range(len(examples)))
    random.Random(seed * 100_003 + epoch).shuffle(order)
    if pack_tokens:
        return pack(order, [len(examples[i]["input_ids"]) for i in range(len(examples))], pack_tokens)
    # Sort by length inside windows of 50 batches so padding stays small, then shuffle the batches.
    batches = []
    win = batch_size * 50
    for s in range(0, len(order), win):
        chunk = sorted(order[s:s + win], key=lambda i: len(examples[i]["input_ids"]))
        batches += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    random.Random(seed * 100_003 + epoch + 1).shuffle(batches)
    return batches


def pack(order: list[int], lengths: list[int], pack_tokens: int) -> list[list[int]]:
    """Greedy in the given order: start a new row when the next example does not fit."""
    rows, row, used = [], [], 0
    for i in order:
        if row and used + lengths[i] > pack_tokens:
            rows.append(row)
            row, used = [], 0
        row.append(i)
        used += lengths[i]
    return rows + ([row] if row else [])


def collate(examples: list[dict], idx: list[int], *, packed: bool, pad_id: int) -> dict[str, torch.Tensor]:
    exs = [examples[i] for i in idx]
    if packed:  # one row, position ids restart per example, no attention mask (see module docstring)
        ids = [t for e in exs for t in e["input_ids"]]
        pos = [p for e in exs for p in range(len(e["input_ids"]))]
        tgt = [t for e in exs for t in e["targets"]]
        return {"input_ids": torch.tensor([ids]), "position_ids": torch.tensor([pos]), "targets": torch.tensor([tgt])}
    width = max(len(e["input_ids"]) for e in exs)
    ids = torch.full((len(exs), width), pad_id)
    mask = torch.zeros((len(exs), width), dtype=torch.long)
    for r, e in enumerate(exs):
        ids[r, :len(e["input_ids"])] = torch.tensor(e["input_ids"])
        mask[r, :len(e["input_ids"])] = 1
    batch = {"input_ids": ids, "attention_mask": mask}
    if "label" in exs[0]:
        batch["labels"] = torch.tensor([e["label"] for e in exs])
    else:
        tgt = torch.full((len(exs), width), IGNORE)
        for r, e in enumerate(exs):
            tgt[r, :len(e["targets"])] = torch.tensor(e["targets"])
        batch["targets"] = tgt
    return batch


def holdout(records: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Seeded random split: (train, val). Classification keeps every label's share (stratified)."""
    rng = random.Random(seed)
    groups: dict = {}
    for r in records:
        groups.setdefault(r["label"], []).append(r)
    train, val = [], []
    for key in sorted(groups, key=str):
        g = groups[key][:]
        rng.shuffle(g)
        n = round(len(g) * fraction) if len(g) > 1 else 0
        val += g[:n]
        train += g[n:]
    if not val or not train:
        raise DataError("--val-fraction", None, f"a {fraction} holdout of {len(records)} records leaves "
                        f"{len(train)} to train and {len(val)} to validate", fix="pass --val FILE or more data")
    return train, val


def mix_in(train: list[dict], extra: list[dict], ratio: float, seed: int) -> list[dict]:
    """Replay: add round(ratio * len(train)) records drawn from `extra` (with replacement if it is small)."""
    n = round(ratio * len(train))
    rng = random.Random(seed + 7)
    picked = rng.sample(extra, n) if n <= len(extra) else [rng.choice(extra) for _ in range(n)]
    return train + [dict(r, id=f"mix:{r['id']}:{k}") for k, r in enumerate(picked)]
