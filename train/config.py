"""TrainConfig: every knob of `curate train`, with its default and why.

Loadable from YAML (`TrainConfig.from_dict`); unknown keys and bad values are reported all at once.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import asdict, dataclass, field, fields

from curate.errors import ConfigError, did_you_mean

TASKS = ("classification", "sft")
METHODS = ("lora", "bias", "full")
# (task, method) -> peak lr. A fresh classification head needs a higher rate than an LM's adapter;
# full fine-tuning moves every weight and wants the smallest.
DEFAULT_LR = {("sft", "lora"): 2e-4, ("sft", "bias"): 1e-3, ("sft", "full"): 2e-5,
              ("classification", "lora"): 1e-3, ("classification", "bias"): 2e-3, ("classification", "full"): 5e-5}


def _wanted(hint) -> str:
    """What a field takes, in words: 'a number', 'a whole number', 'true or false', 'a list of ...'."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        return _wanted(args[0]) + " (or null)"
    if typing.get_origin(hint) is list:
        return f"a list of {_wanted(args[0])[2:] if args else 'value'}s"
    return {float: "a number", int: "a whole number", bool: "true or false", str: "a string"}.get(hint, str(hint))


def _fits(value, want: str) -> bool:
    if want.endswith(" (or null)"):
        return value is None or _fits(value, want[: -len(" (or null)")])
    if want.startswith("a list of "):
        item = "a " + want[len("a list of "):-1]
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    if want == "a number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if want == "a whole number":
        return isinstance(value, int) and not isinstance(value, bool)
    if want == "true or false":
        return isinstance(value, bool)
    if want == "a string":
        return isinstance(value, str)
    return True


@dataclass
class TrainConfig:
    task: str = ""  # classification | sft; "" = from the data format
    model: str = ""  # hub id or local path; "" = the offline default for the task
    method: str = "lora"  # lora | bias (bias terms + head only) | full fine-tuning
    trust_remote_code: bool = False  # stays off unless the user asks: remote code runs on this machine
    # LoRA (peft)
    lora_r: int = 16  # rank of the update matrices
    lora_alpha: int = 32  # scaling numerator; effective scale alpha/r
    lora_dropout: float = 0.05  # dropout on the LoRA input
    target_modules: str = "all-linear"  # peft target_modules: 'all-linear' or comma-separated names
    layers: list[int] | None = None  # only adapt these layer indices (None: all layers)
    # optimisation
    lr: float = 0.0  # peak learning rate; 0 = the default for the task and method (DEFAULT_LR)
    weight_decay: float = 0.01  # AdamW decay on weight matrices only (not biases, norms)
    warmup_ratio: float = 0.06  # fraction of steps with linear warmup, then cosine to min_lr_ratio
    min_lr_ratio: float = 0.0  # final lr as a fraction of the peak
    max_grad_norm: float = 1.0  # gradient clipping
    label_smoothing: float = 0.0  # classification: cross-entropy label smoothing on the training loss (not validation)
    class_weights: str = "balanced"  # classification: balanced (n / (K x n_c) per class, train/losses.py) | none.
    # balanced: on long-tailed Banking77 (5..100 per class) macro-F1 +3 points and worst-class recall x1.7 over
    # plain cross-entropy, accuracy on the balanced test set up too (bench/imbalance.py); on balanced data it IS
    # plain cross-entropy (every weight 1). Focal loss alone did not help there. One LoRA epoch on the same
    # subsample agreed: macro-F1 0.839 -> 0.855, worst-class recall 0.375 -> 0.475.
    loss: str = "ce"  # classification: ce | focal (cross-entropy x (1 - p_true)^focal_gamma)
    focal_gamma: float = 2.0  # focal loss exponent (Lin et al. 2017 use 2); 0 is plain cross-entropy
    head: str = ""  # classification: linear | cosine (scale x cosine to class vectors); "" = cosine for
    # sentence-transformers models (MiniLM), linear otherwise
    head_scale: float = 20.0  # cosine head: logit scale (MiniLM's contrastive training used 20)
    head_init: str = ""  # classification: random | probe = logistic regression on frozen features (LP-FT, linear
    # head) | prototype = class means of frozen features (cosine head); "" = prototype for cosine, random for linear
    head_lr: float = 0.0  # classification: peak lr of the fresh head; 0 = max(lr, 1e-3)
    epochs: float = 3.0  # passes over the training data (the step budget when max_steps is 0)
    max_steps: int = 0  # optimizer steps; 0 = from epochs
    batch_size: int = 32  # classification: examples per micro-batch; sft: packed rows per micro-batch
    grad_accum: int = 1  # micro-batches per optimizer step (loss normalised over all of them)
    max_length: int = 512  # tokens per example; longer examples are truncated
    pack: bool = True  # sft: pack examples into rows of pack_tokens (position ids reset per example)
    pack_tokens: int = 2048  # sft: tokens per packed row
    gradient_checkpointing: bool = False  # trade compute for activation memory
    bf16: bool = True  # bf16 autocast (and bf16 frozen base weights for LoRA) when on a GPU; ignored on CPU
    # validation and stopping
    eval_every: int = 50  # optimizer steps between validations (and checkpoints)
    eval_at_start: bool = False  # also validate before the first step (logged as step 0: the base model's loss)
    log_every: int = 10  # optimizer steps between train-loss log lines
    patience: int = 3  # validations without improvement before stopping early (0: never stop early)
    val_fraction: float = 0.1  # seeded holdout when no --val file is given
    metric: str = ""  # what picks the best step: val_loss | val_accuracy; "" = accuracy for classification
    seed: int = 0  # python, numpy, torch and data order
    refit: bool = False  # after validation picks the best step, train again from the base on train + validation
    # to the same point of the (stretched) schedule; RUN/adapter = the refit, RUN/selected = the picked weights
    # data
    mix: list[str] = field(default_factory=list)  # FILE:RATIO replay data, RATIO x len(train) records added
    # outputs
    merge: bool = False  # also save the LoRA merged into the base model (RUN/merged)
    log_to: list[str] = field(default_factory=list)  # tensorboard | wandb | mlflow (if installed)

    @classmethod
    def from_dict(cls, d: dict, where: str = "config") -> "TrainConfig":
        known = {f.name: f for f in fields(cls)}
        problems = [f"unknown key '{k}'{did_you_mean(k, known)}" for k in d if k not in known]
        hints = typing.get_type_hints(cls)
        typed = {}
        for k, v in d.items():
            if k not in known:
                continue
            want = _wanted(hints[k])
            if _fits(v, want):
                typed[k] = v
            else:  # a YAML `epochs: three` or `lr: .nan`; the default stands in so the other checks still run
                problems.append(f"{k}: {v!r} is not {want}")
        cfg = cls(**typed)
        problems += cfg.problems()
        if problems:
            raise ConfigError(where, problems)
        return cfg

    def problems(self) -> list[str]:
        p = []
        if self.task and self.task not in TASKS:
            p.append(f"task '{self.task}' is not one of {', '.join(TASKS)}{did_you_mean(self.task, TASKS)}")
        if self.method not in METHODS:
            p.append(f"method '{self.method}' is not one of {', '.join(METHODS)}{did_you_mean(self.method, METHODS)}")
        if self.lr < 0:
            p.append(f"lr must be >= 0 (got {self.lr})")
        for name in ("lora_r", "lora_alpha", "batch_size", "grad_accum", "max_length", "pack_tokens",
                     "eval_every", "log_every"):
            if not getattr(self, name) > 0:
                p.append(f"{name} must be > 0 (got {getattr(self, name)})")
        if not 0 <= self.lora_dropout < 1:
            p.append(f"lora_dropout must be in [0, 1) (got {self.lora_dropout})")
        if not 0 < self.val_fraction < 1:
            p.append(f"val_fraction must be in (0, 1) (got {self.val_fraction})")
        if self.epochs <= 0 and self.max_steps <= 0:
            p.append("one of epochs or max_steps must be > 0")
        if self.pack and self.pack_tokens < self.max_length:
            p.append(f"pack_tokens ({self.pack_tokens}) must be >= max_length ({self.max_length})")
        if not 0 <= self.label_smoothing < 1:
            p.append(f"label_smoothing must be in [0, 1) (got {self.label_smoothing})")
        from train.losses import CLASS_WEIGHTS, LOSSES

        if self.class_weights not in CLASS_WEIGHTS:
            p.append(f"class_weights '{self.class_weights}' is not none or balanced"
                     f"{did_you_mean(self.class_weights, CLASS_WEIGHTS)}")
        if self.loss not in LOSSES:
            p.append(f"loss '{self.loss}' is not ce or focal{did_you_mean(self.loss, LOSSES)}")
        if self.focal_gamma < 0:
            p.append(f"focal_gamma must be >= 0 (got {self.focal_gamma})")
        if self.head not in ("", "linear", "cosine"):
            p.append(f"head '{self.head}' is not linear or cosine{did_you_mean(self.head, ('linear', 'cosine'))}")
        inits = ("", "random", "probe", "prototype")
        if self.head_init not in inits:
            p.append(f"head_init '{self.head_init}' is not random, probe or prototype{did_you_mean(self.head_init, inits)}")
        elif (self.head, self.head_init) in (("cosine", "probe"), ("linear", "prototype")):
            p.append(f"head_init {self.head_init} does not fit a {self.head} head "
                     f"(probe: linear, prototype: cosine)")
        if not self.head_scale > 0:
            p.append(f"head_scale must be > 0 (got {self.head_scale})")
        if self.head_lr < 0:
            p.append(f"head_lr must be >= 0 (got {self.head_lr})")
        if self.metric not in ("", "val_loss", "val_accuracy"):
            p.append(f"metric '{self.metric}' is not val_loss or val_accuracy")
        for target in self.log_to:
            if target not in ("tensorboard", "wandb", "mlflow"):
                p.append(f"log_to '{target}' is not tensorboard, wandb or mlflow")
        return p

    def to_dict(self) -> dict:
        return asdict(self)
