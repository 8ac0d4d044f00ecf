"""How many of the budget each group gets.

Each group gets budget * demand share, rounded by largest remainder, never more than it has
eligible records; what a small group cannot take is shared again among the others by the same
rule. Demand is equal per group without a reference (a classifier needs every class, whatever its
frequency in the pool) and the reference's share per group with one (spend where users ask).
"""

from __future__ import annotations

import numpy as np


def allocate(budget: int, demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Records per group: sums to min(budget, capacity.sum()), each <= capacity."""
    demand = np.asarray(demand, dtype=float)
    capacity = np.asarray(capacity, dtype=int)
    out = np.zeros(len(capacity), dtype=int)
    left = min(int(budget), int(capacity.sum()))
    open_ = (capacity > 0) & (demand > 0)
    if not open_.any():
        open_ = capacity > 0
        demand = np.ones(len(capacity))
    while left > 0 and open_.any():
        share = np.where(open_, demand, 0.0)
        ideal = left * share / share.sum()
        room = capacity - out
        take = np.minimum(np.floor(ideal).astype(int), room)
        rest = left - int(take.sum())
        if rest > 0:  # largest remainders first, then the larger demand, then the lower index
            frac = np.where(open_ & (take < room), ideal - np.floor(ideal), -1.0)
            order = np.lexsort((np.arange(len(frac)), -share, -frac))
            for g in order[:rest]:
                if frac[g] >= 0:
                    take[g] += 1
        if take.sum() == 0:  # every open group's share rounds to 0: give one each by demand
            for g in np.argsort(-share, kind="stable")[:left]:
                if open_[g] and room[g] > 0:
                    take[g] += 1
        out += take
        left -= int(take.sum())
        open_ &= out < capacity
    return out
