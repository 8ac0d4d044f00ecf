"""LoRA training throughput: stock transformers.Trainer + peft (padded batches) vs curate's loop.

    python bench/train_throughput.py                      # CPU: tiny Llama-architecture model
    python bench/train_throughput.py --size 0.5b --steps 30 --batch 16 --max-len 2048   # GPU

Same randomly initialised model (a real Llama-style architecture), same synthetic SFT data with a
realistic length spread (log-normal prompt and answer lengths, like instruction data), same LoRA
config (r 16, all-linear), same number of examples per optimizer step. Each arm runs in its own
process so peak memory is its own. Tokens/s counts real (non-pad) tokens. LoRA MFU =
4 x parameters x tokens/s / peak dense bf16 FLOP/s (989 TFLOP/s for H100/H200; --peak-tflops):
forward 2N plus the activation-gradient half of backward 2N; frozen weights get no weight gradient.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch

SIZES = {  # name -> LlamaConfig kwargs
    "tiny": dict(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=32000),
    "0.5b": dict(hidden_size=1024, intermediate_size=2816, num_hidden_layers=24, num_attention_heads=16,
                 num_key_value_heads=16, vocab_size=151936),  # Qwen2.5-0.5B-like shape
}


def make_model(size: str, dtype):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(max_position_embeddings=8192, tie_word_embeddings=True, **SIZES[size])
    cfg._attn_implementation = "sdpa"
    return LlamaForCausalLM(cfg).to(dtype)


def make_examples(n: int, max_len: int, vocab: int, seed: int = 0) -> list[dict]:
    """Token ids with log-normal prompt/answer lengths (median ~ max_len/8 and /6, long tail), clipped."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = int(np.clip(rng.lognormal(np.log(max_len / 8), 0.8), 4, max_len // 2))
        a = int(np.clip(rng.lognormal(np.log(max_len / 6), 0.8), 2, max_len - p))
        ids = rng.integers(10, vocab, p + a).tolist()
        out.append({"input_ids": ids, "labels": [-100] * p + ids[p:]})
    return out


def peak_mem_mb(device: str) -> float:
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def arm_trainer(args, exs, device) -> dict:
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainingArguments

    model = get_peft_model(make_model(args.size, torch.float32), LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05,
                                                                           target_modules="all-linear",
                                                                           task_type="CAUSAL_LM"))

    def collate(batch):  # what DataCollatorForSeq2Seq does: pad to the longest in the batch
        width = max(len(b["input_ids"]) for b in batch)
        ids = torch.zeros(len(batch), width, dtype=torch.long)
        lab = torch.full((len(batch), width), -100)
        mask = torch.zeros(len(batch), width, dtype=torch.long)
        for i, b in enumerate(batch):
            n = len(b["input_ids"])
            ids[i, :n], lab[i, :n], mask[i, :n] = torch.tensor(b["input_ids"]), torch.tensor(b["labels"]), 1
        return {"input_ids": ids, "labels": lab, "attention_mask": mask}

    targs = TrainingArguments(output_dir=args.tmp, per_device_train_batch_size=args.batch, max_steps=args.steps,
                              learning_rate=2e-4, save_strategy="no", report_to="none", logging_steps=10**6,
                              dataloader_num_workers=0, use_cpu=device == "cpu", disable_tqdm=True)
    trainer = Trainer(model=model, args=targs, train_dataset=exs, data_collator=collate)
    t0 = time.perf_counter()
    trainer.train()
    if device == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    tokens = sum(len(e["input_ids"]) for e in exs[: args.steps * args.batch])
    return {"tokens": tokens, "seconds": dt}


def arm_curate(args, exs, device) -> dict:
    from train.config import TrainConfig
    from train.loop import train
    from train.model import apply_method

    mean_len = sum(len(e["input_ids"]) for e in exs) / len(exs)
    cfg = TrainConfig(task="sft", method="lora", lora_r=16, lora_alpha=32, lora_dropout=0.05, lr=2e-4,
                      max_steps=args.steps, eval_every=10**6, log_every=10**6, patience=0, max_length=args.max_len,
                      pack_tokens=max(args.max_len, int(args.batch * mean_len)))  # same examples per step on average
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    net = apply_method(make_model(args.size, dtype), "sft", cfg)
    data = [{"input_ids": e["input_ids"], "targets": e["labels"][1:] + [-100]} for e in exs]
    t0 = time.perf_counter()
    summary = train(cfg, net, 0, "sft", data, data[:1], args.tmp, log=lambda m: None)
    dt = time.perf_counter() - t0
    # tokens actually trained on: every packed row consumed in `steps` steps
    tokens = _consumed(data, cfg, summary["steps"])
    return {"tokens": tokens, "seconds": dt}


def _consumed(data, cfg, steps) -> int:
    from train.data import epoch_batches

    rows, epoch = [], 0
    while len(rows) < steps * cfg.grad_accum:
        rows += epoch_batches(data, seed=cfg.seed, epoch=epoch, batch_size=cfg.batch_size, pack_tokens=cfg.pack_tokens)
        epoch += 1
    return sum(len(data[i]["input_ids"]) for r in rows[: steps * cfg.grad_accum] for i in r)


def child(args) -> None:
    device = "cuda" if torch.cuda.is_available() and not args.cpu else "cpu"
    exs = make_examples(args.examples, args.max_len, SIZES[args.size]["vocab_size"])
    res = (arm_trainer if args.arm == "trainer" else arm_curate)(args, exs, device)
    n_params = sum(p.numel() for p in make_model(args.size, torch.float32).parameters())
    res |= {"arm": args.arm, "device": device, "params": n_params, "peak_mem_mb": peak_mem_mb(device),
            "tokens_per_s": res["tokens"] / res["seconds"]}
    print("RESULT " + json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=SIZES, default="tiny")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--batch", type=int, default=8, help="examples per optimizer step (baseline batch size)")
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--examples", type=int, default=512)
    ap.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak of the GPU (H100/H200: 989)")
    ap.add_argument("--cpu", action="store_true", help="run on CPU even if a GPU is present")
    ap.add_argument("--arm", choices=["trainer", "curate"], help=argparse.SUPPRESS)
    ap.add_argument("--tmp", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.arm:
        return child(args)
    import tempfile

    results = {}
    for arm in ("trainer", "curate"):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, __file__, "--arm", arm, "--tmp", tmp] + sys.argv[1:]
            out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": os.getcwd()})
            line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                sys.exit(f"{arm} arm failed:\n{out.stderr[-3000:]}")
            results[arm] = json.loads(line[7:])
    base, ours = results["trainer"], results["curate"]
    gpu = ours["device"] == "cuda"
    print(f"model: Llama-architecture '{args.size}', {ours['params'] / 1e6:.1f}M parameters, random init; "
          f"{args.steps} steps x ~{args.batch} examples, max length {args.max_len}; device {ours['device']}")
    print(f"{'':28}{'tokens/s':>12}{'peak MiB':>12}{'LoRA MFU':>10}{'seconds':>10}")
    for name, r in (("transformers.Trainer+peft", base), ("curate loop (packed)", ours)):
        mfu = f"{4 * r['params'] * r['tokens_per_s'] / (args.peak_tflops * 1e12):.1%}" if gpu else "n/a (CPU)"
        print(f"{name:28}{r['tokens_per_s']:12.0f}{r['peak_mem_mb']:12.0f}{mfu:>10}{r['seconds']:10.1f}")
    print(f"{'curate / Trainer':28}{ours['tokens_per_s'] / base['tokens_per_s']:11.2f}x"
          f"{ours['peak_mem_mb'] / base['peak_mem_mb']:11.2f}x")


if __name__ == "__main__":
    main()
