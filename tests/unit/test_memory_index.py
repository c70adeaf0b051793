"""The partition index: exact inner product while small, HNSW past the threshold, removals masked then compacted."""

from __future__ import annotations

import numpy as np
import pytest

from agentrt.contracts import ContractError, VectorIndex
from agentrt.memory import IndexConfig, PartitionIndex


def clustered(n: int, dim: int = 32, centers: int = 8, seed: int = 0) -> np.ndarray:
    """Unit vectors in Gaussian clusters around random centers."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centers, dim))
    x = middle[rng.integers(0, centers, n)] + 0.35 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def exact_top(data: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    order = np.argsort(-(data @ query))[:k]
    return [int(ids[i]) for i in order]


def test_exact_search_returns_nearest_ids_with_cosine_scores_and_pads_missing_hits() -> None:
    data = clustered(20)
    ids = np.arange(100, 120, dtype=np.int64)
    index = PartitionIndex(32)
    index.add(ids, data)
    assert isinstance(index, VectorIndex) and len(index) == 20 and not index.approximate
    scores, found = index.search(data[3], 25)
    assert found[0, 0] == 103 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert list(found[0, :20]) == exact_top(data, ids, data[3], 20)
    assert list(found[0, 20:]) == [-1] * 5


def test_empty_index_returns_only_padding() -> None:
    scores, found = PartitionIndex(8).search(np.ones((1, 8), dtype=np.float32), 3)
    assert found.tolist() == [[-1, -1, -1]]


def test_index_switches_to_hnsw_past_the_threshold_and_keeps_recall() -> None:
    data = clustered(600)
    ids = np.arange(600, dtype=np.int64)
    index = PartitionIndex(32, IndexConfig(approximate_above=200, hnsw_ef_search=64))
    index.add(ids[:150], data[:150])
    assert not index.approximate
    index.add(ids[150:], data[150:])
    assert index.approximate and len(index) == 600
    queries = clustered(50, seed=7)
    recall = np.mean(
        [len(set(index.search(q, 10)[1][0].tolist()) & set(exact_top(data, ids, q, 10))) / 10 for q in queries]
    )
    assert recall >= 0.95


def test_removed_vectors_are_never_returned_from_exact_or_hnsw_index() -> None:
    data = clustered(300)
    ids = np.arange(300, dtype=np.int64)
    for threshold in (1000, 100):
        index = PartitionIndex(32, IndexConfig(approximate_above=threshold, compact_dead_fraction=0.5))
        index.add(ids, data)
        assert index.remove(np.array([5, 6, 999], dtype=np.int64)) == 2
        assert index.remove(np.array([5], dtype=np.int64)) == 0
        found = index.search(data[5:7], 10)[1]
        assert 5 not in found and 6 not in found and len(index) == 298


def test_hnsw_index_compacts_after_many_removals_and_returns_to_exact_when_small() -> None:
    data = clustered(400)
    ids = np.arange(400, dtype=np.int64)
    index = PartitionIndex(32, IndexConfig(approximate_above=100, compact_dead_fraction=0.2))
    index.add(ids, data)
    index.remove(ids[:150])
    assert index.approximate and len(index) == 250
    found = set(index.search(data[200], 50)[1][0].tolist())
    assert 200 in found and found <= set(range(150, 400))
    index.remove(ids[150:380])
    assert not index.approximate and len(index) == 20
    assert set(index.search(data[390], 30)[1][0].tolist()) - {-1} == set(range(380, 400))


def test_index_rejects_reused_ids_and_wrong_shapes() -> None:
    index = PartitionIndex(8)
    index.add(np.array([1, 2], dtype=np.int64), clustered(2, dim=8))
    with pytest.raises(ContractError):
        index.add(np.array([2], dtype=np.int64), clustered(1, dim=8))
    with pytest.raises(ContractError):
        index.add(np.array([3], dtype=np.int64), clustered(1, dim=9))
