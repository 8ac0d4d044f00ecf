"""The run directory: what `curate train` writes and `curate eval` reads.

RUN/
  run.json        RunManifest below
  adapter/        peft adapter of the best validation step (save_pretrained layout)
  metrics.jsonl   one JSON object per log/eval step: step, epoch, train_loss, val_loss,
                  val_accuracy (classification), lr, tokens_per_s, mem_mb
  checkpoint/     last state for --resume (adapter, optimizer, scheduler, rng, step)
  eval/           what `curate eval` writes: eval.json, predictions.jsonl, report section
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class RunManifest:
    task: str  # "classification" | "sft"
    base_model: str  # hub id or local path the adapter applies to
    method: str = "lora"  # lora | bias | full
    data_path: str = ""
    data_fingerprint: str = ""
    val_path: str | None = None
    val_fingerprint: str | None = None
    audit_path: str | None = None  # the audit.json that gated this run
    gate_passed: bool | None = None
    allow_failed_gate: bool = False  # recorded loudly when the user overrode a failed gate
    labels: list[str] = field(default_factory=list)  # classification: id -> label
    config: dict = field(default_factory=dict)  # the full training config
    best_step: int | None = None
    best_val_loss: float | None = None
    curate_version: str = ""

    def save(self, run_dir) -> Path:
        p = Path(run_dir) / "run.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(asdict(self), indent=2, default=str) + "\n")
        return p

    @classmethod
    def load(cls, run_dir) -> "RunManifest":
        from curate.errors import CurateError

        p = Path(run_dir) / "run.json"
        if not p.exists():
            raise CurateError(f"{run_dir}: not a curate run directory (no run.json)",
                              fix="pass the --out directory of a `curate train` run")
        data = json.loads(p.read_text())
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
