"""Paraphrases from a local causal LM: Gemma 3 270M from its package by default, any local model by path.

The model continues a two-example pattern (text -> the same request in other words, numbers and
names kept); K samples per text (temperature 0.8, top-p 0.95), seeded per text so a run is
reproducible. The first line of a sample is the paraphrase (the model goes on with a new "Text:"). A sample that reached the token limit
without ending is marked unfinished and the gate rejects it as truncated. Nothing is downloaded.
"""

from __future__ import annotations

# Few-shot, plain text: Gemma 3 270M as packaged echoed an instruction given through its chat template
# (the instruction itself came back as the "paraphrase"); two worked examples make the task a pattern
# to continue, which base and instruction-tuned models both follow.
FEW_SHOT = ("Each text is followed by the same request in other words, with every number and name kept.\n\n"
            "Text: How do I reset my password?\nIn other words: What should I do to set a new password?\n\n"
            "Text: I paid 20 dollars for shipping to Anna but it has not arrived.\n"
            "In other words: My delivery to Anna, which cost me 20 dollars, still hasn't come.\n\n"
            "Text: {text}\nIn other words:")


def _clean(out: str, source: str) -> str:
    out = out.strip()
    if "\n" in out and "\n" not in source:
        out = out.split("\n", 1)[0].strip()
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
        return self.tok((self.tok.bos_token or "") + FEW_SHOT.format(text=text), add_special_tokens=False)["input_ids"]

    def paraphrase(self, text: str, k: int, *, seed: int) -> list[tuple[str, list[str], int]]:
        """k (paraphrase, ops, unfinished token limit or 0) for `text`."""
        import torch

        ids = self.prompt_ids(text)
        n_src = len(self.tok(text, add_special_tokens=False)["input_ids"])
        limit = min(self.max_new_tokens, 2 * n_src + 16)
        torch.manual_seed(self.seed * 7919 + seed)
        stops = self._stop_ids() + (self._newline_ids() if "\n" not in text else [])
        with torch.inference_mode():
            gen = self.net.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                    do_sample=True, temperature=self.temperature, top_p=self.top_p,
                                    max_new_tokens=limit, num_return_sequences=k,
                                    pad_token_id=self.tok.pad_token_id, eos_token_id=stops)
        out = []
        stops = set(stops)
        for row in gen[:, len(ids):].tolist():
            ended = any(t in stops for t in row)
            if ended:
                row = row[:min(row.index(t) for t in stops if t in row)]
            raw = self.tok.decode(row, skip_special_tokens=True)
            # the pattern's next example starting ends the paraphrase as well as an end token does
            ended = ended or ("\n" in raw.strip() and "\n" not in text)
            para = _clean(raw, text)
            out.append((para, [f"paraphrase by {self.name} (temperature {self.temperature}, seed {seed})"],
                        0 if ended else limit))
        return out

    def _newline_ids(self) -> list[int]:
        """Tokens holding a line break: the end of a one-line paraphrase (the pattern's next example)."""
        if not hasattr(self, "_nl"):
            toks = self.tok.convert_ids_to_tokens(list(range(len(self.tok))))
            self._nl = [i for i, t in enumerate(toks) if t and ("\n" in t or t in ("<0x0A>", "Ċ"))]
        return self._nl

    def _stop_ids(self) -> list[int]:
        ids = [self.tok.eos_token_id] if self.tok.eos_token_id is not None else []
        end_turn = self.tok.convert_tokens_to_ids("<end_of_turn>") if "<end_of_turn>" in self.tok.get_vocab() else None
        return ids + ([end_turn] if end_turn is not None else [])
