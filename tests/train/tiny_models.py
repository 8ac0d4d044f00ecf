"""Tiny in-process models and a word-level tokenizer for the trainer tests (nothing downloaded)."""

from __future__ import annotations

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (BertConfig, BertForSequenceClassification, LlamaConfig, LlamaForCausalLM,
                          PreTrainedTokenizerFast)

WORDS = ("what is two plus two four three five six the answer to sum of hello hi bye goodbye pay bill now please "
         "money send see you later good morning thanks a b c d e f g h").split()
CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <eos> {% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|> {% endif %}")


def tiny_tokenizer(chat_template: bool = False) -> PreTrainedTokenizerFast:
    specials = ["<pad>", "<unk>", "<bos>", "<eos>", "<|user|>", "<|assistant|>", "<|system|>", "###",
                "Instruction:", "Response:", "[CLS]", "[SEP]"]
    vocab = {w: i for i, w in enumerate(specials + list(dict.fromkeys(WORDS)))}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                  unk_token="<unk>", additional_special_tokens=["<|user|>", "<|assistant|>", "<|system|>"])
    if chat_template:
        tok.chat_template = CHAT_TEMPLATE
    return tok


def tiny_llama(vocab_size: int, seed: int = 0) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    cfg._attn_implementation = "sdpa"
    return LlamaForCausalLM(cfg).eval()


def tiny_bert(vocab_size: int, labels: list[str], seed: int = 0) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=4, max_position_embeddings=128, num_labels=len(labels),
                     id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)})
    return BertForSequenceClassification(cfg)


def sft_record(rid: str, prompt: str, response: str) -> dict:
    return {"id": rid, "format": "prompt_completion", "prompt": prompt, "response": response, "label": None,
            "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]}


def cls_record(rid: str, text: str, label: str) -> dict:
    return {"id": rid, "format": "classification", "prompt": text, "response": "", "label": label, "messages": []}
