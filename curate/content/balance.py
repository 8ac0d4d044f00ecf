"""Language of each record, for the dataset-level balance checks (labels, main language).

Stage `language` (row-local) writes:
    language             ISO 639-1 code from py3langid (offline, ~30 us a record), or "und" when the
                         text is too short or the identifier is unsure: short replies ("ok thanks")
                         are classified almost at random, so they never count as off-language
    language_confidence  the identifier's probability for that language (0 for "und")

Label counts for `min_records_per_label` / `max_label_imbalance` come straight from the records'
`label` field (classification format), so they need no stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curate.stages import register_stage

FENCE_RE = re.compile(r"```.*?(?:```|\Z)", re.S)
URL_RE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+")
_IDENTIFIER = None


@dataclass
class LanguageConfig:
    min_words: int = 4  # texts with fewer words are "und": too short to identify
    min_confidence: float = 0.9  # below this probability the language is "und"
    max_chars: int = 2000  # only the first characters are read: enough to identify, keeps long records cheap


def identifier():
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


def detect(text: str, cfg: LanguageConfig) -> tuple[str, float]:
    text = URL_RE.sub(" ", FENCE_RE.sub(" ", text))[: cfg.max_chars]  # code and links are no language
    if len(re.findall(r"[^\W\d_]{2,}", text)) < cfg.min_words:
        return "und", 0.0
    lang, prob = identifier().classify(text)
    return (lang, float(prob)) if prob >= cfg.min_confidence else ("und", 0.0)


@register_stage("language", config=LanguageConfig, columns=("language", "language_confidence"), row_local=True)
def language(batch: dict[str, list], *, config: LanguageConfig) -> dict[str, list]:
    """Language of each record's text (prompt and answer together), "und" when unsure."""
    langs, confs = [], []
    for prompt, response in zip(batch["prompt"], batch["response"]):
        lang, conf = detect(f"{prompt or ''}\n{response or ''}", config)
        langs.append(lang)
        confs.append(round(conf, 4))
    return {"language": langs, "language_confidence": confs}
