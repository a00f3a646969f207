"""Retrieval metrics and a paired significance test, small enough to check by hand
(tests/test_bench_metrics.py does, on a made-up ranking)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def average_precision(ranking: Sequence[str], relevant: set[str]) -> float:
    """Mean of the precision at each relevant document's rank, over all relevant documents."""
    if not relevant:
        return 0.0
    found = 0
    total = 0.0
    for rank, doc in enumerate(ranking, 1):
        if doc in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def precision_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for doc in ranking[:k] if doc in relevant) / k


def recall_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for doc in ranking[:k] if doc in relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    """1/rank of the first relevant document within the first ``k``, else 0."""
    return next((1 / rank for rank, doc in enumerate(ranking[:k], 1) if doc in relevant), 0.0)


def ndcg_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary-relevance nDCG: gain 1 for a relevant document, discounted by log2(rank + 1)."""
    dcg = sum(1 / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], 1) if doc in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def randomization_test(a: Sequence[float], b: Sequence[float], rounds: int = 10_000, seed: int = 7) -> float:
    """Two-sided p-value of a paired randomization test on the mean difference:
    how often swapping each pair at random gives a difference at least as large."""
    if len(a) != len(b) or not a:
        raise ValueError("the two systems need scores for the same, non-empty set of queries")
    differences = [x - y for x, y in zip(a, b, strict=True)]
    observed = abs(sum(differences))
    rng = random.Random(seed)
    extreme = 0
    for _ in range(rounds):
        if abs(sum(d if rng.random() < 0.5 else -d for d in differences)) >= observed - 1e-12:
            extreme += 1
    return (extreme + 1) / (rounds + 1)
