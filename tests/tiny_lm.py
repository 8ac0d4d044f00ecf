"""A tiny randomly initialised GPT-2 with a word-level tokenizer, saved where a test asks: the causal LM
the LM-scoring tests load instead of Gemma (seconds on CPU, nothing downloaded)."""

from __future__ import annotations


def save_tiny_lm(out, words: list[str], n_positions: int = 128):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "<s>", "</s>", *dict.fromkeys(words)])}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>", unk_token="[UNK]",
                                  pad_token="[PAD]")
    torch.manual_seed(0)
    net = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_positions=n_positions, n_embd=16, n_layer=1, n_head=2))
    net.save_pretrained(out)
    tok.save_pretrained(out)
    return out
