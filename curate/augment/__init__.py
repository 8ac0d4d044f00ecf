"""Augmentation: new training records for thin labels or topics, each passing a quality gate (`curate augment`).

protect.py   which parts of a text an edit may touch: words, never code, numbers, placeholders, URLs, e-mails, quotes
synonyms.py  an offline thesaurus from the embedder's own word space (no WordNet download at run time)
eda.py       rule-based edits (Wei & Zou 2019): synonym replacement, random insertion, swap, deletion
lm.py        paraphrases from a local causal LM (Gemma 3 270M from its package by default)
gate.py      the quality gate on every candidate: empty, protected content changed, duplicate, eval leak,
             PII added, label inconsistent with its neighbours; a rejection names its reason and number
run.py       the outline: audit -> groups (select's) -> thin groups -> candidates -> gate -> rows + manifest
"""
