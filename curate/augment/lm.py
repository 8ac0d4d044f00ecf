"""Paraphrases from a local causal LM: Gemma 3 270M from its package by default, any local model by path.

The model is asked, through its chat template when it has one, to rewrite the text in other words
keeping its meaning and every number, name and quoted part; K samples per text (temperature 0.8,
top-p 0.95), seeded per text so a run is reproducible. The first paragraph of a sample is the
paraphrase (small models add a second one of commentary). A sample that reached the token limit
without ending is marked unfinished and the gate rejects it as truncated. Nothing is downloaded.
"""

from __future__ import annotations

INSTRUCTION = ("Rewrite the following text in other words. Keep its meaning, and keep every number, name and "
               "quoted part exactly as it is. Reply with the rewritten text only.\n\nText: {text}")
PLAIN = "Text: {text}\nThe same text in other words:"


def _clean(out: str, source: str) -> str:
    out = out.strip()
    if "\n\n" in out and "\n\n" not in source:
        out = out.split("\n\n", 1)[0].strip()
    for lead in ("Rewritten text:", "Rewrite:", "Paraphrase:", "Text:"):
        if out.lower().startswith(lead.lower()):
            out = out[len(lead):].strip()
    if len(out) >= 2 and out[0] == out[-1] and out[0] in "\"'" and not (source[:1] == out[0]):
        out = out[1:-1].strip()
    return out


class Paraphraser:
    def __init__(self, model: str = "", *, seed: int = 0, temperature: float = 0.8, top_p: float = 0.95,
                 max_new_tokens: int = 256):
        from curate.select.ifd import load_lm

        self.net, self.tok = load_lm(model)
        self.name = model or "gemma-3-270m"
        self.seed, self.temperature, self.top_p, self.max_new_tokens = seed, temperature, top_p, max_new_tokens

    def prompt_ids(self, text: str) -> list[int]:
        if getattr(self.tok, "chat_template", None):
            ids = self.tok.apply_chat_template([{"role": "user", "content": INSTRUCTION.format(text=text)}],
                                               add_generation_prompt=True, tokenize=True)
            return list(ids["input_ids"] if hasattr(ids, "keys") else ids)
        return self.tok((self.tok.bos_token or "") + PLAIN.format(text=text), add_special_tokens=False)["input_ids"]

    def paraphrase(self, text: str, k: int, *, seed: int) -> list[tuple[str, list[str], int]]:
        """k (paraphrase, ops, unfinished token limit or 0) for `text`."""
        import torch

        ids = self.prompt_ids(text)
        n_src = len(self.tok(text, add_special_tokens=False)["input_ids"])
        limit = min(self.max_new_tokens, 2 * n_src + 16)
        torch.manual_seed(self.seed * 7919 + seed)
        with torch.inference_mode():
            gen = self.net.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                    do_sample=True, temperature=self.temperature, top_p=self.top_p,
                                    max_new_tokens=limit, num_return_sequences=k,
                                    pad_token_id=self.tok.pad_token_id, eos_token_id=self._stop_ids())
        out = []
        stops = set(self._stop_ids())
        for row in gen[:, len(ids):].tolist():
            ended = any(t in stops for t in row)
            if ended:
                row = row[:min(row.index(t) for t in stops if t in row)]
            para = _clean(self.tok.decode(row, skip_special_tokens=True), text)
            out.append((para, [f"paraphrase by {self.name} (temperature {self.temperature}, seed {seed})"],
                        0 if ended else limit))
        return out

    def _stop_ids(self) -> list[int]:
        ids = [self.tok.eos_token_id] if self.tok.eos_token_id is not None else []
        end_turn = self.tok.convert_tokens_to_ids("<end_of_turn>") if "<end_of_turn>" in self.tok.get_vocab() else None
        return ids + ([end_turn] if end_turn is not None else [])
