"""The training loop, top to bottom in one function (nanoGPT's train.py, torchtune's single-device
LoRA recipe): no callbacks, no trainer class.

One process (CPU, one GPU):   curate train DATA --out RUN
N GPUs on one machine (DDP):  torchrun --standalone --nproc_per_node N -m curate train DATA --out RUN
torchrun sets WORLD_SIZE/RANK/LOCAL_RANK; each rank takes every N-th batch, gradients are averaged
by DDP, and only rank 0 writes the run directory.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import resource
import shutil
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from train.data import IGNORE, collate, epoch_batches, supervised_count
from train.losses import class_weights, classification_loss
from train.model import is_head, load_trainable_state, save_weights, trainable_state


def pick_device(local_rank: int = 0) -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def lr_lambda(step: int, total: int, warmup: int, min_ratio: float) -> float:
    """Linear warmup to the peak, then cosine down to min_ratio x peak."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def loss_and_correct(net, batch: dict, task: str, label_smoothing: float = 0.0, class_weight=None,
                     focal_gamma: float = 0.0) -> tuple[torch.Tensor, int]:
    """Summed (not averaged) loss over the batch's supervised tokens/examples, and correct predictions.

    Summing here and dividing by the supervised count of the whole accumulated step is what makes
    gradient accumulation exact: averaging per micro-batch would weight a 3-token answer like a
    300-token one (the accumulation bug fixed in transformers 4.46).
    """
    if task == "classification":
        logits = net(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()
        loss = classification_loss(logits, batch["labels"], label_smoothing=label_smoothing, weight=class_weight,
                                   focal_gamma=focal_gamma)
        return loss, int((logits.argmax(-1) == batch["labels"]).sum())
    keep = batch["targets"] != IGNORE
    # logits only where there is a target: the vocabulary projection is the biggest matmul for small
    # LMs (Gemma's vocabulary is 262k) and most positions are prompt tokens.
    # use_cache=False matters: with a KV cache transformers skips packed-sequence detection and
    # packed examples would attend to each other (tests/train/test_data.py catches this).
    logits = net(input_ids=batch["input_ids"], position_ids=batch.get("position_ids"),
                 attention_mask=batch.get("attention_mask"), logits_to_keep=keep, use_cache=False).logits.float()
    logits = logits.reshape(-1, logits.shape[-1])
    target = batch["targets"][keep]
    loss = F.cross_entropy(logits, target, reduction="sum")
    return loss, int((logits.argmax(-1) == target).sum())


def accumulate(model, examples, micro_batches: list[list[int]], task: str, *, packed: bool, pad_id: int,
               device, autocast=contextlib.nullcontext, world: int = 1,
               loss_kw: dict | None = None) -> tuple[float, float, int]:
    """Forward/backward over one optimizer step's micro-batches; gradients are left in .grad.

    The loss is divided by the supervised tokens (sft) or examples (classification) of the whole
    step, summed over all DDP processes, so the gradient is the same however the step is split
    into micro-batches or processes. DDP averages gradients across processes, hence `* world`.
    Returns (summed loss, supervised count on this process, input tokens on this process).
    """
    n_local = float(sum(supervised_count(examples[i]) for idx in micro_batches for i in idx))
    n_sup = torch.tensor(n_local, device=device)
    if world > 1:
        torch.distributed.all_reduce(n_sup)
    total, tokens = 0.0, 0
    for k, idx in enumerate(micro_batches):
        batch = {key: v.to(device, non_blocking=True) for key, v in
                 collate(examples, idx, packed=packed, pad_id=pad_id).items()}
        # only the last micro-batch all-reduces gradients
        sync = contextlib.nullcontext() if (world == 1 or k == len(micro_batches) - 1) else model.no_sync()
        with sync:
            with autocast():
                loss_sum, _ = loss_and_correct(model, batch, task, **(loss_kw or {}))
            (loss_sum * world / n_sup).backward()
        total += loss_sum.item()
        tokens += int(batch["attention_mask"].sum()) if "attention_mask" in batch else batch["input_ids"].numel()
    return total, n_local, tokens


def evaluate(net, examples, batches, task, device, autocast, pad_id, packed) -> dict:
    net.eval()
    total, n, correct = 0.0, 0, 0
    with torch.no_grad(), autocast():
        for idx in batches:
            batch = {k: v.to(device) for k, v in collate(examples, idx, packed=packed, pad_id=pad_id).items()}
            loss, c = loss_and_correct(net, batch, task)
            total += float(loss)
            correct += c
            n += sum(supervised_count(examples[i]) for i in idx)
    net.train()
    return {"val_loss": total / max(n, 1), "val_accuracy": correct / max(n, 1), "val_count": n}


def train(cfg, net, pad_id: int, task: str, train_ex: list[dict], val_ex: list[dict], run_dir, *,
          resume: bool = False, log=print, on_metrics=None, stop_at: int | None = None) -> dict:
    """Train `net` in place; leaves it holding the best validation weights. Returns a summary.

    stop_at: end after this many steps of the schedule (refit: the same point of a longer schedule);
    the last step always validates.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt_dir = run_dir / "checkpoint"

    # -- 1. processes, device, precision, seed ---------------------------------------------------
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(local_rank)
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    main_proc = rank == 0
    use_bf16 = cfg.bf16 and device.type == "cuda" and torch.cuda.is_bf16_supported()

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16) if use_bf16 else contextlib.nullcontext()

    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    packed = task == "sft" and cfg.pack
    budget = cfg.pack_tokens if packed else None

    net.to(device)
    if cfg.gradient_checkpointing:
        # non-reentrant checkpointing works with frozen embeddings (no enable_input_require_grads hack)
        net.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model = net
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[local_rank] if device.type == "cuda" else None)

    # -- 2. optimizer and schedule ---------------------------------------------------------------
    named = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    # A fresh classification head learns at head_lr (from nothing, it needs a higher rate than the
    # pre-trained weights under it). Matrices decay; biases, norms, scales and the head do not.
    head = [p for n, p in named if task == "classification" and is_head(n)]
    body = [p for n, p in named if not (task == "classification" and is_head(n))]
    groups = [{"params": [p for p in body if p.ndim >= 2], "weight_decay": cfg.weight_decay},
              {"params": [p for p in body if p.ndim < 2], "weight_decay": 0.0},
              {"params": head, "weight_decay": 0.0, "lr": cfg.head_lr or cfg.lr}]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.lr, betas=(0.9, 0.999),
                            fused=True)  # fused: ~10x faster than the for-loop kernel on CPU too
    per_epoch = len(epoch_batches(train_ex, seed=cfg.seed, epoch=0, batch_size=cfg.batch_size,
                                  pack_tokens=budget)) // world
    if per_epoch < cfg.grad_accum:
        raise ValueError(f"{len(train_ex)} training examples make {per_epoch} micro-batches per process, "
                         f"fewer than grad_accum={cfg.grad_accum}")
    total_steps = cfg.max_steps or max(1, int(cfg.epochs * per_epoch / cfg.grad_accum))
    warmup = int(cfg.warmup_ratio * total_steps)
    last_step = min(total_steps, stop_at or total_steps)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_lambda(s, total_steps, warmup, cfg.min_lr_ratio))
    val_batches = epoch_batches(val_ex, seed=cfg.seed, epoch=0, batch_size=cfg.batch_size * 2, pack_tokens=budget)
    val_batches = val_batches[rank::world]
    metric = cfg.metric or ("val_accuracy" if task == "classification" else "val_loss")
    # the training loss only; validation stays plain cross-entropy so runs remain comparable
    loss_kw = {}
    if task == "classification":
        n_classes = net.config.num_labels
        loss_kw = {"label_smoothing": cfg.label_smoothing, "focal_gamma": cfg.focal_gamma if cfg.loss == "focal" else 0.0,
                   "class_weight": class_weights([ex["label"] for ex in train_ex], n_classes, cfg.class_weights)}
    better = (lambda a, b: a > b) if metric == "val_accuracy" else (lambda a, b: a < b)

    # -- 3. state, or resume it from the last checkpoint -----------------------------------------
    st = {"step": 0, "epoch": 0, "batch": 0, "best": None, "best_step": None, "best_val_loss": None, "bad_evals": 0}
    best_weights = None
    if resume and (ckpt_dir / "state.json").exists():
        st = json.loads((ckpt_dir / "state.json").read_text())
        load_trainable_state(net, torch.load(ckpt_dir / "trainable.pt"))
        opt.load_state_dict(torch.load(ckpt_dir / "optimizer.pt"))
        sched.load_state_dict(torch.load(ckpt_dir / "scheduler.pt"))
        rng = torch.load(ckpt_dir / "rng.pt", weights_only=False)
        random.setstate(rng["python"])
        torch.set_rng_state(rng["torch"])
        if torch.cuda.is_available() and rng.get("cuda") is not None:
            torch.cuda.set_rng_state(rng["cuda"], device)
        if (ckpt_dir / "best.pt").exists():
            best_weights = torch.load(ckpt_dir / "best.pt")
        _truncate_metrics(run_dir / "metrics.jsonl", st["step"])
        log(f"resumed from {ckpt_dir} at step {st['step']} (epoch {st['epoch']}, batch {st['batch']})")

    def micro_batches():
        """(epoch, position, index list) forever, from the saved position; the same order on resume."""
        epoch, pos = st["epoch"], st["batch"]
        while True:
            batches = epoch_batches(train_ex, seed=cfg.seed, epoch=epoch, batch_size=cfg.batch_size, pack_tokens=budget)
            mine = batches[: len(batches) // world * world][rank::world]
            for j in range(pos, len(mine)):
                yield epoch, j + 1, mine[j]
            epoch, pos = epoch + 1, 0

    # -- 4. the loop -----------------------------------------------------------------------------
    if cfg.eval_at_start and st["step"] == 0:
        ev = evaluate(net, val_ex, val_batches, task, device, autocast, pad_id, packed)
        ev = _all_reduce_eval(ev, device) if world > 1 else ev
        st.update(best=ev[metric], best_step=0, best_val_loss=ev["val_loss"])
        best_weights = trainable_state(net)
        row = {"step": 0, "val_loss": ev["val_loss"]} | ({"val_accuracy": ev["val_accuracy"]}
                                                         if task == "classification" else {})
        if main_proc:
            save_weights(net, run_dir / "adapter", cfg.method)
            with open(run_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            log(_fmt(row))
    stream = micro_batches()
    model.train()
    t_train, tokens, loss_acc, n_acc = 0.0, 0, 0.0, 0  # since the last log line; eval time excluded
    stopped_early = False
    while st["step"] < last_step:
        t_step = time.perf_counter()
        group = [next(stream) for _ in range(cfg.grad_accum)]
        loss_sum, n_sup, n_tok = accumulate(model, train_ex, [idx for _, _, idx in group], task, packed=packed,
                                            pad_id=pad_id, device=device, autocast=autocast, world=world,
                                            loss_kw=loss_kw)
        loss_acc, n_acc, tokens = loss_acc + loss_sum, n_acc + n_sup, tokens + n_tok
        torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t_train += time.perf_counter() - t_step
        st["step"] += 1
        st["epoch"], st["batch"] = group[-1][0], group[-1][1]

        row = None
        if st["step"] % cfg.log_every == 0 or st["step"] == last_step:
            row = {"step": st["step"], "epoch": round(st["epoch"] + st["batch"] / max(per_epoch, 1), 3),
                   "train_loss": loss_acc / max(n_acc, 1), "lr": sched.get_last_lr()[0],
                   "tokens_per_s": tokens * world / max(t_train, 1e-9), "mem_mb": _peak_mem_mb(device)}
            t_train, tokens, loss_acc, n_acc = 0.0, 0, 0.0, 0
        if st["step"] % cfg.eval_every == 0 or st["step"] == last_step:
            ev = evaluate(net, val_ex, val_batches, task, device, autocast, pad_id, packed)
            if world > 1:
                ev = _all_reduce_eval(ev, device)
            row = (row or {"step": st["step"]}) | {"val_loss": ev["val_loss"]} | (
                {"val_accuracy": ev["val_accuracy"]} if task == "classification" else {})
            if st["best"] is None or better(ev[metric], st["best"]):
                st.update(best=ev[metric], best_step=st["step"], best_val_loss=ev["val_loss"], bad_evals=0)
                best_weights = trainable_state(net)
                if main_proc:
                    save_weights(net, run_dir / "adapter", cfg.method)
            else:
                st["bad_evals"] += 1
            if main_proc:
                _checkpoint(ckpt_dir, st, net, opt, sched, best_weights)
            if cfg.patience and st["bad_evals"] >= cfg.patience and st["step"] < last_step:
                stopped_early = True
        if row and main_proc:
            with open(run_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            log(_fmt(row))
            if on_metrics:
                on_metrics(row)
        if stopped_early:
            log(f"early stop at step {st['step']}: {metric} has not improved for {cfg.patience} validations; "
                f"restoring step {st['best_step']} ({metric} {st['best']:.4f})")
            break

    # -- 5. leave the model holding the best weights (the adapter on disk already is) --------------
    if best_weights is not None:
        load_trainable_state(net, best_weights)
    if world > 1:
        torch.distributed.barrier()
    return {"steps": st["step"], "total_steps": total_steps, "best_step": st["best_step"], "metric": metric,
            "best_metric": st["best"], "best_val_loss": st["best_val_loss"], "stopped_early": stopped_early,
            "device": str(device), "bf16": use_bf16, "world_size": world}


def _checkpoint(ckpt_dir: Path, st: dict, net, opt, sched, best_weights) -> None:
    """Everything resume needs, written to a temporary directory and renamed: never half a checkpoint."""
    tmp = ckpt_dir.with_name(ckpt_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save(trainable_state(net), tmp / "trainable.pt")
    torch.save(opt.state_dict(), tmp / "optimizer.pt")
    torch.save(sched.state_dict(), tmp / "scheduler.pt")
    torch.save({"python": random.getstate(), "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state() if torch.cuda.is_available() else None}, tmp / "rng.pt")
    if best_weights is not None:
        torch.save(best_weights, tmp / "best.pt")
    (tmp / "state.json").write_text(json.dumps(st))
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    tmp.replace(ckpt_dir)


def _truncate_metrics(path: Path, step: int) -> None:
    """On resume, forget log lines written after the checkpoint: they are about to be redone."""
    if path.exists():
        keep = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
        path.write_text("".join(ln + "\n" for ln in keep))


def _all_reduce_eval(ev: dict, device) -> dict:
    n = ev["val_count"]
    t = torch.tensor([ev["val_loss"] * n, ev["val_accuracy"] * n, n], device=device, dtype=torch.float64)
    torch.distributed.all_reduce(t)
    return {"val_loss": float(t[0] / t[2]), "val_accuracy": float(t[1] / t[2]), "val_count": int(t[2])}


def _peak_mem_mb(device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB -> MiB (process peak RSS)


def _fmt(row: dict) -> str:
    parts = [f"step {row['step']}"]
    for k in ("train_loss", "val_loss", "val_accuracy"):
        if k in row:
            parts.append(f"{k} {row[k]:.4f}")
    if "lr" in row:
        parts.append(f"lr {row['lr']:.2e}  {row['tokens_per_s']:.0f} tok/s  {row['mem_mb']:.0f} MiB")
    return "  ".join(parts)
