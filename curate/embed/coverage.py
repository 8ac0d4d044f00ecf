"""Coverage of a reference set: does the training data represent what the model will be asked?

The reference set (`--reference`: production queries, a target taxonomy, eval prompts) is
clustered (or grouped by its labels when both sides are classification data: per-class coverage),
and for each reference record we find its nearest training record. A reference record is covered
when that neighbour is at least `similarity` close. Per reference cluster: how many reference
records it holds, how many training records land on it, which share of it is covered, and its
status: `uncovered` (almost nothing close in training), `thin` (far fewer training records than
its share of the reference would call for), `covered`.

Distribution-level figures are the k-NN precision / recall / density / coverage of Naeem et al.
2020 ("Reliable Fidelity and Diversity Metrics for Generative Models"), with the reference set as
the "real" sample and the training set as the "generated" one, on cosine distance.

With the static tier (large data, curate/embed/static.py), static vectors retrieve and the fp32
model decides: each reference record's `static_k` nearest training records by static cosine are the
candidates; the reference records and those candidates are encoded by the fp32 model, and a
reference record is covered when its best candidate is at fp32 cosine >= `similarity` (the
nearest-training cosine shown is that fp32 one). Reference groups are clustered on the fp32
reference vectors. A group's training supply counts the candidates whose fp32-nearest reference
record is in the group (a training record in no reference's static top-k is counted nowhere), and the
k-NN distribution figures and the map use the static vectors of both sets (bench/embed_tiers.py
measures how many decisions flip against fp32 everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curate.embed.encode import EmbedConfig, Embeddings, dataset_texts, record_texts
from curate.embed.topics import characteristic_words, cluster
from curate.stages import register_stage


@dataclass
class CoverageConfig(EmbedConfig):  # the EmbedConfig fields come from the embed stage (curate/engine/graph.py)
    group_by: str = "auto"  # reference groups: auto (labels when both sides have them, else clusters), label, cluster
    distance_threshold: float = 0.7  # reference clustering cut (see topics.py); short queries need a looser cut
    k: int = 0  # number of reference clusters; 0 = automatic
    knn: int = 5  # k of the k-NN precision/recall/density/coverage figures
    static_k: int = 64  # static tier only: training candidates per reference record, decided on fp32 cosine


def nearest(a: np.ndarray, b: np.ndarray, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each row of a: index of and cosine to its nearest row of b (unit vectors)."""
    if len(a) == 0 or len(b) == 0:
        return np.full(len(a), -1), np.zeros(len(a), dtype=np.float32)
    idx, sim = np.empty(len(a), dtype=int), np.empty(len(a), dtype=np.float32)
    for s in range(0, len(a), block):
        m = a[s:s + block] @ b.T
        idx[s:s + block] = m.argmax(1)
        sim[s:s + block] = m.max(1)
    return idx, sim


def top_k(a: np.ndarray, b: np.ndarray, k: int, block: int = 2048) -> np.ndarray:
    """For each row of a: the indices of its k nearest rows of b (unordered), n_a x min(k, n_b)."""
    k = min(k, len(b))
    out = np.zeros((len(a), k), dtype=np.int64)
    if k == 0:
        return out
    for s in range(0, len(a), block):
        m = a[s:s + block] @ b.T
        out[s:s + block] = np.argpartition(-m, k - 1, axis=1)[:, :k] if k < len(b) else np.arange(len(b))
    return out


@dataclass
class ExactNeighbours:
    """Static retrieval, fp32 decision: the fp32 vectors of the reference set and of the training records
    that are among some reference record's `k` static nearest (`rows`, sorted), and those lists."""

    ref: np.ndarray  # fp32, one row per reference record
    rows: np.ndarray  # training rows that are someone's candidate
    train: np.ndarray  # fp32 of those rows
    candidates: np.ndarray  # n_ref x k positions into `rows`

    @classmethod
    def of(cls, embedding: Embeddings, train_texts: list[str], reference, cfg: "CoverageConfig") -> "ExactNeighbours":
        train_static, ref_static = embedding.vectors, embedding.of(reference)
        cand = top_k(ref_static, train_static, cfg.static_k)
        rows = np.unique(cand)
        ref_vecs = embedding.exact(dataset_texts(reference, cfg.side))
        train = embedding.exact([train_texts[i] for i in rows]) if len(rows) else np.zeros((0, ref_vecs.shape[1]),
                                                                                               dtype=np.float32)
        return cls(ref_vecs, rows, train, np.searchsorted(rows, cand))

    def nearest(self) -> tuple[np.ndarray, np.ndarray]:
        """Each reference record's best candidate (a training row) and its fp32 cosine."""
        if not self.candidates.size:
            return np.full(len(self.ref), -1), np.zeros(len(self.ref), dtype=np.float32)
        sims = np.einsum("id,ikd->ik", self.ref, self.train[self.candidates])
        best = sims.argmax(1)
        return self.rows[self.candidates[np.arange(len(best)), best]], sims.max(1).astype(np.float32)


_BLOCK_CELLS = 1 << 24  # similarity cells per block (64 MB of float32): memory O(block x n), never n x n


def _rows_per_block(n: int) -> int:
    return max(1, _BLOCK_CELLS // max(n, 1))


def kth_neighbour_distance(x: np.ndarray, k: int) -> np.ndarray:
    """Cosine distance from each row to its k-th nearest other row (in blocks of rows)."""
    n = len(x)
    k = min(k, n - 1)
    if k < 1:
        return np.full(n, np.inf)
    out = np.empty(n, dtype=np.float64)
    step = _rows_per_block(n)
    for s in range(0, n, step):
        d = 1.0 - x[s:s + step] @ x.T
        d[np.arange(len(d)), np.arange(s, s + len(d))] = np.inf  # not its own neighbour
        out[s:s + step] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return out


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """k-NN precision, recall, density, coverage (Naeem et al. 2020) on cosine distance.

    Computed over blocks of reference rows: a 100k-record training set against 3k reference
    queries never holds the 3k x 100k (let alone 100k x 100k) distance matrix at once.
    """
    if len(real) < 2 or len(fake) < 2:
        return {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    r_rad, f_rad = kth_neighbour_distance(real, k), kth_neighbour_distance(fake, k)
    fake_in = np.zeros(len(fake), dtype=bool)  # precision: a training point inside some reference ball
    inside_total, recalled, covered = 0, 0, 0
    step = _rows_per_block(len(fake))
    for s in range(0, len(real), step):
        d = 1.0 - real[s:s + step] @ fake.T  # real block x fake
        inside = d <= r_rad[s:s + step, None]
        fake_in |= inside.any(0)
        inside_total += int(inside.sum())
        recalled += int((d <= f_rad[None, :]).any(1).sum())
        covered += int((d.min(1) <= r_rad[s:s + step]).sum())
    return {"precision": float(fake_in.mean()), "recall": recalled / len(real),
            "density": float(inside_total / (min(k, len(real) - 1) * len(fake))),
            "coverage": covered / len(real)}


def reference_groups(ref, ref_vecs: np.ndarray, train_has_labels: bool, cfg: CoverageConfig) -> tuple[np.ndarray, list[str], str]:
    """(group index per reference record, group names, how grouped)."""
    labels = [r["label"] for r in ref.records]
    use_labels = cfg.group_by == "label" or (cfg.group_by == "auto" and train_has_labels and all(lab is not None for lab in labels))
    if use_labels:
        names = sorted(set(map(str, labels)))
        pos = {n: i for i, n in enumerate(names)}
        return np.array([pos[str(lab)] for lab in labels], dtype=int), names, "label"
    groups = cluster(ref_vecs, k=cfg.k, distance_threshold=cfg.distance_threshold)
    words = characteristic_words(dataset_texts(ref, cfg.side), groups)
    return groups, [f"#{c}: {words[c]}" for c in range(int(groups.max()) + 1 if len(groups) else 0)], "cluster"


def training_supply(train_ds, train_vecs: np.ndarray, ref_vecs: np.ndarray, groups: np.ndarray, names: list[str],
                    how: str, similarity: float, exact: ExactNeighbours | None = None) -> dict:
    """What training supplies to each reference group.

    `neighbours[g]`: training records whose nearest reference record is in group g at cosine >=
    `similarity` (a training record on a subject the reference never asks about lands on none);
    `of_class[g]` (grouped by label only): training records carrying group g's label.
    """
    if exact is None:
        t_idx, t_sim = nearest(train_vecs, ref_vecs)
        t_group = np.where(t_sim >= similarity, groups[t_idx] if len(ref_vecs) else -1, -1)
    else:  # only the fp32-encoded candidates can be supply (module docstring)
        t_idx, t_sim = nearest(exact.train, exact.ref)
        t_group = np.full(len(train_vecs), -1, dtype=np.int64)
        t_group[exact.rows] = np.where(t_sim >= similarity, groups[t_idx] if len(exact.ref) else -1, -1)
    neighbours = np.bincount(t_group[t_group >= 0], minlength=len(names)) if len(names) else np.zeros(0, dtype=int)
    out = {"train_group": t_group, "neighbours": neighbours, "of_class": None}
    if how == "label":
        from collections import Counter

        counts = Counter(str(r["label"]) for r in train_ds.records)
        out["of_class"] = np.array([counts.get(name, 0) for name in names], dtype=int)
    return out


def coverage_report(train_ds, train_vecs: np.ndarray, ref, ref_vecs: np.ndarray, cfg: CoverageConfig, *,
                    similarity: float = 0.6, thin_ratio: float = 0.25, min_train: int = 3,
                    uncovered_below: float = 0.2, examples: int = 3, exact: ExactNeighbours | None = None) -> dict:
    """Everything the coverage check reports: per-reference-record, per-group and distribution figures.

    A group's training supply is, grouped by label, the training records of that class (a class with
    100 training records is not uncovered because few of them are near neighbours of its reference
    records: the nearest-neighbour coverage is shown beside it); grouped by cluster, the training
    records whose nearest reference record lies in the cluster (`training_neighbours`).

    `exact`: the vectors given are static ones (retrieval); coverage is decided on these fp32 ones.
    """
    train_labels = [r["label"] for r in train_ds.records]
    has_labels = all(lab is not None for lab in train_labels) and len(train_labels) > 0
    static_ref = ref_vecs
    if exact is not None:
        ref_vecs = exact.ref
    groups, names, how = reference_groups(ref, ref_vecs, has_labels, cfg)
    near_idx, near_sim = nearest(ref_vecs, train_vecs) if exact is None else exact.nearest()
    covered = near_sim >= similarity
    supply = training_supply(train_ds, train_vecs, ref_vecs, groups, names, how, similarity, exact=exact)
    ref_texts, train_texts = dataset_texts(ref, cfg.side), dataset_texts(train_ds, cfg.side)
    n_ref, n_train = len(ref_vecs), len(train_vecs)
    rows, by_index = [], {}
    for g, name in enumerate(names):
        members = np.where(groups == g)[0]
        if not len(members):
            continue
        n_near = int(supply["neighbours"][g])
        expected = len(members) / max(n_ref, 1) * n_train
        cov_share = float(covered[members].mean())
        row = {"reference_group": name, "status": "", "reference_records": int(len(members)),
               "reference_share": round(len(members) / max(n_ref, 1), 4)}
        if how == "label":
            n_class = int(supply["of_class"][g])
            status = "uncovered" if n_class == 0 else "thin" if n_class < max(min_train, thin_ratio * expected) else "covered"
            same = float(np.mean([str(train_labels[near_idx[i]]) == name for i in members])) if n_train else 0.0
            row.update({"training_records_of_class": n_class, "training_share": round(n_class / max(n_train, 1), 4)})
        else:
            status = ("uncovered" if n_near == 0 or cov_share < uncovered_below else
                      "thin" if n_near < max(min_train, thin_ratio * expected) else "covered")
            row["training_share"] = round(n_near / max(n_train, 1), 4)
        row.update({"status": status, "training_neighbours": n_near, "covered_share": round(cov_share, 3),
                    "mean_nearest_similarity": round(float(near_sim[members].mean()), 3)})
        if how == "label":
            row["nearest_has_same_label"] = round(same, 3)
        worst = members[np.argsort(near_sim[members])][:examples]
        row["examples"] = " | ".join(f"{ref.ids[i]}: {ref_texts[i][:90]} (nearest train {near_sim[i]:.2f}: "
                                     f"{train_texts[near_idx[i]][:60] if n_train else '-'})" for i in worst)
        rows.append(row)
        by_index[g] = row
    order = {"uncovered": 0, "thin": 1, "covered": 2}
    rows.sort(key=lambda r: (order[r["status"]], r["covered_share"], -r["reference_records"]))
    thin_mass = sum(r["reference_records"] for r in rows if r["status"] != "covered") / max(n_ref, 1)
    return {"groups": rows, "groups_by_index": by_index, "grouped_by": how, "record_coverage": float(covered.mean()) if n_ref else 0.0,
            "group_coverage": float(np.mean([r["status"] == "covered" for r in rows])) if rows else 0.0,
            "thin_mass": round(thin_mass, 4), "prdc": prdc(static_ref, train_vecs, cfg.knn),
            "ref_groups": groups, "ref_nearest_similarity": near_sim, "ref_nearest_index": near_idx, "ref_covered": covered,
            "train_group": supply["train_group"]}


def describe_group(row: dict) -> str:
    """One reference group as the coverage finding names it, with the counts its status was decided on."""
    supply = (f"{row['training_records_of_class']} training records of that class" if "training_records_of_class" in row
              else f"{row['training_neighbours']} training records nearest to it")
    return (f"{row['status']} '{row['reference_group']}': {row['reference_records']} reference, {supply}; "
            f"nearest-neighbour coverage {row['covered_share']:.0%}")


@register_stage("coverage", config=CoverageConfig, columns=("nearest_reference", "nearest_reference_similarity"),
                inputs=("reference",), reads=("embedding",))
def coverage(batch: dict[str, list], *, config: CoverageConfig, embedding: Embeddings, reference=None) -> dict[str, list]:
    """Each training record's nearest reference record and its cosine similarity (needs --reference)."""
    n = len(batch["id"])
    if reference is None or n == 0:
        return {"nearest_reference": [None] * n, "nearest_reference_similarity": [None] * n}
    if embedding.static:  # fp32 for the records that are some reference record's candidate, None elsewhere
        ex = ExactNeighbours.of(embedding, record_texts(batch, config.side), reference, config)
        idx, sim = nearest(ex.train, ex.ref)
        near, near_sim = [None] * n, [None] * n
        for r, i, x in zip(ex.rows, idx, np.round(sim, 4).astype(float)):
            near[r], near_sim[r] = reference.ids[i], x
        return {"nearest_reference": near, "nearest_reference_similarity": near_sim}
    idx, sim = nearest(embedding.vectors, embedding.of(reference))
    return {"nearest_reference": [reference.ids[i] for i in idx],
            "nearest_reference_similarity": np.round(sim, 4).astype(float).tolist()}
