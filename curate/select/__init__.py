"""Selection: which records are worth keeping under a budget (`curate select`), what is missing (`curate gaps`).

facility.py  weighted facility location, greedy: the most representative, least redundant records
quota.py     how many records each group (label or topic) gets: equal, or by reference demand
score.py     a usefulness score per record (classification: the probe classifier's margin), a stage
ifd.py       the SFT usefulness score: answer perplexity and IFD under a causal LM, a stage
subset.py    the outline: exclude what the gate flags -> group -> quota -> facility location -> reasons
gaps.py      the reference topics training misses or covers thinly, as a labelling queue
"""
