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
        # whole words only, case-sensitive: a PERSON span "Max" must not turn "max_rate" or "Maximum"
        # into "<PERSON>_rate"
        self.pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in vals) + r")(?!\w)") if vals else None
        # our own prose (rule messages) only loses values that cannot be ordinary lowercase words
        distinctive = [v for v in vals if v != v.lower() or any(c.isdigit() or c in "@:/" for c in v)]
        self.prose_pattern = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in distinctive) + r")(?!\w)")
                              if distinctive else None)

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
        """Record-derived text (evidence, excerpts, tables, figures): every found value goes."""
        if not self.pattern or not isinstance(s, str):
            return s
        return self.pattern.sub(lambda m: f"<{self.types.get(m.group(0), 'PII')}>", s)

    def prose(self, s: str) -> str:
        """A check's own message, which may quote data: distinctive values go."""
        if not self.prose_pattern or not isinstance(s, str):
            return s
        return self.prose_pattern.sub(lambda m: f"<{self.types.get(m.group(0), 'PII')}>", s)

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
