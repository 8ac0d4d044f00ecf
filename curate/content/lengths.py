"""Lengths in tokens of the model that will be trained, with its chat template applied.

Stage `lengths` (row-local) writes:
    length_tokens         {prompt, response, total}: `total` is the whole record as the trainer sees it
                          (chat template applied when the tokenizer has one); `prompt` is everything up
                          to where the first answer starts (the template's generation prompt included);
                          `response` = total - prompt. Classification/text records: prompt = the text.
    truncated_at_max_len  None when the record fits `max_seq_len`; `cuts_answer` when the cut falls
                          inside the answer (part of the target is lost); `drops_answer` when the prompt
                          alone fills `max_seq_len` (nothing of the answer is trained on)

Default tokenizer: the default SFT model's (Gemma 3 270M, `curate.models.gemma_tokenizer_dir()`);
`tokenizer:` under `stages: lengths:` in a rules file takes a local path or a hub id (a hub id
needs the files in the local Hugging Face cache: nothing is downloaded at run time). A local
tokenizer directory proven to count exactly as transformers does is read without transformers
(curate/content/fast_tokens.py); the tokenizer is loaded once, in the parent, before the workers fork.
"""

from __future__ import annotations

from dataclasses import dataclass

from curate.content.fast_tokens import FastTokenizer, auto_tokenizer, fast_tokenizer
from curate.errors import CurateError
from curate.stages import register_stage

_TOKENIZERS: dict[str, object] = {}  # one load per process, done before the fork (`setup`): workers inherit it


@dataclass
class LengthsConfig:
    tokenizer: str = ""  # local path or hub id; "" = the default SFT model's tokenizer (Gemma 3 270M)
    max_seq_len: int = 2048  # the training context length used for `truncated_at_max_len`
    use_chat_template: bool = True  # apply the tokenizer's chat template to chat/instruction records


def load_tokenizer(name: str):
    """The tokenizer to count with: a `FastTokenizer` when the local tokenizer directory was once checked to
    count exactly as transformers does (curate/content/fast_tokens.py), else transformers' AutoTokenizer."""
    key = name or "<default>"
    if key not in _TOKENIZERS:
        if not name:
            from curate.models import gemma_tokenizer_dir

            path = str(gemma_tokenizer_dir())
        else:
            path = name
        try:
            _TOKENIZERS[key] = fast_tokenizer(path) or auto_tokenizer(path)
        except (OSError, ValueError) as e:
            raise CurateError(f"cannot load tokenizer '{name}': {str(e).splitlines()[0]}",
                              fix="give `stages: lengths: tokenizer:` a local tokenizer directory, or a hub id "
                                  "already in the Hugging Face cache; leave it empty for the default") from None
    return _TOKENIZERS[key]


def _render(tok, messages: list[dict], use_template: bool) -> tuple[str, str] | None:
    """(prompt part, full text) with the chat template, or None when the template refuses the chat."""
    if not (use_template and getattr(tok, "chat_template", None)):
        return None
    first_answer = next((i for i, m in enumerate(messages) if m["role"] == "assistant"), len(messages))
    try:
        full = tok.apply_chat_template(messages, tokenize=False)
        head = tok.apply_chat_template(messages[:first_answer], tokenize=False, add_generation_prompt=True) \
            if first_answer > 0 else ""
    except Exception:  # noqa: BLE001 -- templates raise on orders they do not allow; count without it
        return None
    return head, full


def count(tok, batch: dict[str, list], cfg: LengthsConfig) -> list[dict]:
    """{prompt, response, total} token counts for every record of a batch, tokenized in one call."""
    heads, fulls, plain = [], [], []
    for fmt, messages, prompt, response in zip(batch["format"], batch["messages"], batch["prompt"], batch["response"]):
        r = _render(tok, messages, cfg.use_chat_template) if fmt in ("alpaca", "prompt_completion", "chat") else None
        if r is None:
            heads.append(prompt or "")
            fulls.append(response or "")
            plain.append(True)
        else:
            heads.append(r[0])
            fulls.append(r[1])
            plain.append(False)
    enc_h, enc_f = _counts(tok, heads, fulls, plain)
    specials = tok.num_special_tokens_to_add(pair=False)  # [CLS]/[SEP] or <bos> the model adds itself
    out = []
    for h, f, is_plain in zip(enc_h, enc_f, plain):
        if is_plain:  # no template: prompt and response counted apart, plus the tokenizer's own specials
            p = h + specials
            out.append({"prompt": p, "response": f, "total": p + f})
        else:
            out.append({"prompt": h, "response": f - h, "total": f})
    return out


def _counts(tok, heads: list[str], fulls: list[str], plain: list[bool]) -> tuple[list[int], list[int]]:
    """Tokens of every head and full text (no specials added)."""
    if not isinstance(tok, FastTokenizer):
        h, f = ([len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]] for texts in (heads, fulls))
        return h, f
    enc_h, enc_f = [0] * len(heads), [0] * len(fulls)
    apart = [i for i, p in enumerate(plain) if p]  # prompt and response counted apart
    n_apart = tok.counts([heads[i] for i in apart]), tok.counts([fulls[i] for i in apart])
    for i, h, f in zip(apart, *n_apart):
        enc_h[i], enc_f[i] = h, f
    templated = [i for i, p in enumerate(plain) if not p]
    for i, h, f in zip(templated, *tok.prefix_counts([heads[i] for i in templated], [fulls[i] for i in templated])):
        enc_h[i], enc_f[i] = h, f
    return enc_h, enc_f


def truncation(lengths: dict, max_seq_len: int) -> str | None:
    if lengths["total"] <= max_seq_len:
        return None
    return "drops_answer" if lengths["prompt"] >= max_seq_len else "cuts_answer"


def _setup(config: LengthsConfig) -> None:
    load_tokenizer(config.tokenizer)


@register_stage("lengths", config=LengthsConfig, columns=("length_tokens", "truncated_at_max_len"), row_local=True,
                setup=_setup)
def lengths(batch: dict[str, list], *, config: LengthsConfig) -> dict[str, list]:
    """Token lengths per field (prompt/response/total) with the chat template, and truncation at max_seq_len."""
    tok = load_tokenizer(config.tokenizer)
    counts = count(tok, batch, config) if batch["format"] else []
    return {"length_tokens": counts, "truncated_at_max_len": [truncation(c, config.max_seq_len) for c in counts]}
