"""Keep raw PII out of everything curate writes.

Reports quote records (excerpts, evidence). Every value the PII stage found is replaced by its
entity type before any report, summary or log line is written, whichever check produced the text.
"""

from __future__ import annotations

import re


class Sanitizer:
    def __init__(self, values: dict[str, str]):  # raw value -> entity type
        vals = sorted((v for v in values if len(v.strip()) >= 3), key=len, reverse=True)
        self.types = values
        self.pattern = re.compile("|".join(re.escape(v) for v in vals)) if vals else None

    @classmethod
    def from_signals(cls, ds, signals) -> "Sanitizer":
        values: dict[str, str] = {}
        if "pii_spans" not in signals.columns:
            return cls(values)
        for rec, spans in zip(ds.records, signals["pii_spans"]):
            if spans is None or len(spans) == 0:
                continue
            texts = {f["name"]: f["text"] for f in rec["fields"]}
            for s in spans:
                text = texts.get(s["field"])
                if text is not None:
                    values[text[int(s["start"]):int(s["end"])]] = s["entity_type"]
        return cls(values)

    def text(self, s: str) -> str:
        if not self.pattern or not isinstance(s, str):
            return s
        return self.pattern.sub(lambda m: f"<{self.types.get(m.group(0), 'PII')}>", s)

    def clean(self, obj):
        """Sanitise every string inside nested dicts/lists (keys too)."""
        if self.pattern is None:
            return obj
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {self.text(k) if isinstance(k, str) else k: self.clean(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.clean(v) for v in obj]
        return obj
