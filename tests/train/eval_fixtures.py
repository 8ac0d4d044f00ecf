"""Tiny run directories for the evaluator's tests: a BERT-shaped classifier and a Llama-shaped causal
LM, a few hundred thousand parameters each, trained in-process for a few steps, with a LoRA adapter
and a RunManifest. They follow only the run-directory contract (train/run.py), so the evaluator is
tested against what `curate train` writes, not against its internals.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from train.run import RunManifest

INTENTS = {
    "refund": ["i want my money back", "please refund my order", "refund the payment now", "how do i get a refund",
               "money back for this purchase", "i need a refund today"],
    "card": ["my card is blocked", "the card does not work", "card declined at the shop", "new card please",
             "lost my card yesterday", "card stopped working"],
    "balance": ["what is my balance", "show the account balance", "balance of my account", "how much money is left",
                "check balance please", "current balance"],
}

QA = [("what colour is the sky", "blue"), ("what colour is grass", "green"), ("what colour is snow", "white"),
      ("what colour is coal", "black"), ("how many legs has a cat", "four"), ("how many legs has a bird", "two")]


def _tokenizer(out: Path, extra_text: str = ""):
    """A word-level tokenizer over the fixtures' own words: a 30k-word vocabulary would make the
    embedding matrix dominate a tiny model and slow every step on a shared 2-core machine."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    from train.data import PLAIN_PROMPT

    corpus = " ".join([t for ts in INTENTS.values() for t in ts] + [q + " " + a for q, a in QA] + [PLAIN_PROMPT, extra_text])
    words = sorted(set(pre_tokenizers.Whitespace().pre_tokenize_str(corpus.lower()) and
                       [w for w, _ in pre_tokenizers.Whitespace().pre_tokenize_str(corpus.lower())]))
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    vocab = {w: i for i, w in enumerate(specials + words)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    from tokenizers import normalizers

    core.normalizer = normalizers.Lowercase()
    PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]", unk_token="[UNK]", bos_token="[CLS]",
                            eos_token="[SEP]", model_input_names=["input_ids", "attention_mask"]).save_pretrained(out)
    return AutoTokenizer.from_pretrained(out)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def classification_rows(extra_text: str | None = None) -> list[dict]:
    rows = [{"text": t, "label": lab} for lab, ts in INTENTS.items() for t in ts]
    if extra_text:
        rows.append({"text": extra_text, "label": "refund"})
    return rows


def make_classification_run(root: Path, *, steps: int = 25, metrics_rows: list[dict] | None = None,
                            train_rows: list[dict] | None = None) -> Path:
    """train_rows: also write them as the run's training file (run.json's data_path and fingerprint)."""
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import BertConfig, BertForSequenceClassification, BertModel

    torch.manual_seed(0)
    base_dir, run_dir = root / "tiny-bert", root / "cls-run"
    tok = _tokenizer(base_dir)
    BertModel(BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=64)).save_pretrained(base_dir)
    labels = list(INTENTS)
    net = BertForSequenceClassification.from_pretrained(base_dir, num_labels=len(labels))
    net = get_peft_model(net, LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"],
                                         task_type=TaskType.SEQ_CLS))
    rows = classification_rows()
    enc = tok([r["text"] for r in rows], padding=True, return_tensors="pt")
    y = torch.tensor([labels.index(r["label"]) for r in rows])
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=3e-2)
    net.train()
    for _ in range(steps):
        loss = net(**enc, labels=y).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    net.save_pretrained(run_dir / "adapter")
    data_path, data_fp = "", "train-fp"
    if train_rows is not None:
        from curate.load import load_dataset

        data_path = str(write_jsonl(root / "train.jsonl", train_rows))
        data_fp = load_dataset(data_path).fingerprint
    RunManifest(task="classification", base_model=str(base_dir), labels=labels, data_path=data_path,
                data_fingerprint=data_fp, config={"lr": 3e-2, "steps": steps}).save(run_dir)
    write_jsonl(run_dir / "metrics.jsonl", metrics_rows if metrics_rows is not None else [
        {"step": 10, "train_loss": 1.0}, {"step": 20, "train_loss": 0.6, "val_loss": 0.8, "val_accuracy": 0.7},
        {"step": 30, "train_loss": 0.3, "val_loss": 0.5, "val_accuracy": 0.9}])
    return run_dir


def qa_rows() -> list[dict]:
    return [{"prompt": q, "completion": a} for q, a in QA]


def make_sft_run(root: Path, *, steps: int = 30, lr: float = 3e-3) -> Path:
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    from train.data import PLAIN_PROMPT

    torch.manual_seed(0)
    base_dir, run_dir = root / "tiny-llama", root / "sft-run"
    tok = _tokenizer(base_dir)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                                 num_key_value_heads=2, intermediate_size=128, max_position_embeddings=128,
                                 bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                 pad_token_id=tok.pad_token_id)).save_pretrained(base_dir)
    net = LlamaForCausalLM.from_pretrained(base_dir)
    net = get_peft_model(net, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                         modules_to_save=["lm_head"], task_type=TaskType.CAUSAL_LM))
    # one padded batch of the six prompt+answer sequences, loss on the answer tokens only
    seqs = []
    for q, a in QA:
        pi = tok(tok.bos_token + PLAIN_PROMPT.format(prompt=q), add_special_tokens=False)["input_ids"]
        ai = tok(a + tok.eos_token, add_special_tokens=False)["input_ids"]
        seqs.append((pi + ai, [-100] * len(pi) + ai))
    width = max(len(i) for i, _ in seqs)
    ids = torch.tensor([i + [tok.pad_token_id] * (width - len(i)) for i, _ in seqs])
    labels = torch.tensor([t + [-100] * (width - len(t)) for _, t in seqs])
    mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in seqs])
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=lr)
    net.train()
    for _ in range(steps):
        net(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
        opt.step()
        opt.zero_grad()
    net.save_pretrained(run_dir / "adapter")
    RunManifest(task="sft", base_model=str(base_dir), data_fingerprint="train-fp", config={"lr": lr, "steps": steps}).save(run_dir)
    write_jsonl(run_dir / "metrics.jsonl", [{"step": 40, "train_loss": 2.0, "val_loss": 2.5},
                                            {"step": 80, "train_loss": 0.5, "val_loss": 1.0}])
    return run_dir
