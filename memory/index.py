"""The vector index of one partition: exact while small, HNSW as it grows.

Every partition has its own index, so a similarity search can only ever reach
vectors of the partition it was asked about (the service still re-checks each
hit against the partition's rows and the retention policy). Vectors are unit length and scored by inner
product, which is their cosine similarity.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import faiss
import numpy as np
from numpy.typing import NDArray

from agentrt.contracts.errors import ContractError
from agentrt.memory.config import IndexConfig

__all__ = ["PartitionIndex"]


@contextmanager
def _omp_threads(count: int | None) -> Iterator[None]:
    # The setting is per calling thread, and the memory actor calls FAISS from its one event-loop thread.
    if count is None:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class PartitionIndex:
    """A :class:`~agentrt.contracts.ports.VectorIndex` that switches from exact to approximate search.

    Exact search is ``IndexIDMap2(IndexFlatIP)``. Past ``config.approximate_above``
    vectors the index is rebuilt as ``IndexIDMap2(IndexHNSWFlat)`` (inner product).
    HNSW graphs cannot drop nodes, so removals from an HNSW index are masked out
    of searches with an id selector and the graph is rebuilt once the masked
    share passes ``config.compact_dead_fraction``.

    Args:
        dim: Vector dimension.
        config: Switch threshold and HNSW parameters.
    """

    def __init__(self, dim: int, config: IndexConfig | None = None) -> None:
        self._dim = dim
        self._config = config or IndexConfig()
        self._index = self._new_index(approximate=False)
        self._approximate = False
        self._live: set[int] = set()
        self._dead: set[int] = set()
        self._params: faiss.SearchParameters | None = None
        self._selector_refs: tuple[object, ...] = ()

    @property
    def approximate(self) -> bool:
        """Whether searches currently go through HNSW."""
        return self._approximate

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    def __len__(self) -> int:
        """Number of live vectors."""
        return len(self._live)

    def to_bytes(self) -> NDArray[np.uint8]:
        """Return the FAISS index serialized (masked ids included; a restore removes them again)."""
        return faiss.serialize_index(self._index)

    def stored_ids(self) -> NDArray[np.int64]:
        """Return every id the FAISS index holds, masked ones included."""
        if self._index.ntotal == 0:
            return np.zeros(0, dtype=np.int64)
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    @classmethod
    def from_bytes(cls, data: NDArray[np.uint8], dim: int, config: IndexConfig | None = None) -> PartitionIndex:
        """Restore an index written by :meth:`to_bytes`.

        Raises:
            ContractError: When the bytes are not an id-mapped flat or HNSW index of ``dim``.
        """
        restored = cls(dim, config)
        index = faiss.deserialize_index(data)
        if not isinstance(index, faiss.IndexIDMap2) or index.d != dim:
            raise ContractError("not an id-mapped index of this dimension")
        inner = faiss.downcast_index(index.index)
        if isinstance(inner, faiss.IndexHNSWFlat):
            inner.hnsw.efSearch = restored._config.hnsw_ef_search
            inner.hnsw.efConstruction = restored._config.hnsw_ef_construction
            restored._approximate = True
        elif not isinstance(inner, faiss.IndexFlatIP):
            raise ContractError(f"unexpected inner index {type(inner).__name__}")
        restored._index = index
        restored._live = set(restored.stored_ids().tolist())
        if len(restored._live) != index.ntotal:
            raise ContractError("index ids are not unique")
        restored._mask_dead()
        return restored

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        """Add vectors under new ids (ids must not be present already)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(ids), self._dim):
            raise ContractError(f"expected vectors of shape ({len(ids)}, {self._dim}), got {vectors.shape}")
        fresh = set(ids.tolist())
        if len(fresh) != len(ids) or fresh & self._live or fresh & self._dead:
            raise ContractError("vector ids must be new and unique")
        with _omp_threads(self._config.faiss_threads):
            if not self._approximate and len(self._live) + len(ids) > self._config.approximate_above:
                self._rebuild(approximate=True, extra=(ids, vectors))
            else:
                self._index.add_with_ids(vectors, ids)
        self._live |= fresh

    def search(self, queries: NDArray[np.float32], k: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Return scores and ids of the ``k`` best matches per query; id -1 pads missing hits."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self._dim)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        reach = min(k, len(self._live))
        if reach == 0 or len(queries) == 0:
            return scores, ids
        with _omp_threads(self._config.search_threads):
            if self._approximate:
                found_scores, found_ids = self._index.search(queries, reach, params=self._params)
            else:
                found_scores, found_ids = self._index.search(queries, reach)
        scores[:, :reach] = found_scores
        ids[:, :reach] = found_ids
        return scores, ids

    def remove(self, ids: NDArray[np.int64]) -> int:
        """Remove ids; return how many were present."""
        present = self._live & set(np.asarray(ids, dtype=np.int64).tolist())
        if not present:
            return 0
        self._live -= present
        if not self._approximate:
            self._index.remove_ids(np.fromiter(present, dtype=np.int64, count=len(present)))  # type: ignore[arg-type]
        else:
            self._dead |= present
            with _omp_threads(self._config.faiss_threads):
                if len(self._live) < self._config.approximate_above // 2:
                    self._rebuild(approximate=False)
                elif len(self._dead) > self._config.compact_dead_fraction * self._index.ntotal:
                    self._rebuild(approximate=True)
                else:
                    self._mask_dead()
        return len(present)

    def _new_index(self, *, approximate: bool) -> faiss.IndexIDMap2:
        if not approximate:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self._dim))
        graph = faiss.IndexHNSWFlat(self._dim, self._config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = self._config.hnsw_ef_construction
        graph.hnsw.efSearch = self._config.hnsw_ef_search
        return faiss.IndexIDMap2(graph)

    def _rebuild(
        self, *, approximate: bool, extra: tuple[NDArray[np.int64], NDArray[np.float32]] | None = None
    ) -> None:
        ids, vectors = self._live_vectors()
        if extra is not None:
            ids = np.concatenate([ids, extra[0]])
            vectors = np.concatenate([vectors, extra[1]])
        index = self._new_index(approximate=approximate)
        if len(ids):
            index.add_with_ids(vectors, ids)
        self._index, self._approximate = index, approximate
        self._dead.clear()
        self._mask_dead()

    def _live_vectors(self) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        total = self._index.ntotal
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self._dim), dtype=np.float32)
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        vectors = self._index.index.reconstruct_n(0, total)
        if self._dead:
            keep = ~np.isin(ids, np.fromiter(self._dead, dtype=np.int64, count=len(self._dead)))
            ids, vectors = ids[keep], vectors[keep]
        return ids, np.ascontiguousarray(vectors, dtype=np.float32)

    def _mask_dead(self) -> None:
        if not self._approximate:
            self._params, self._selector_refs = None, ()
            return
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # faiss's stubs omit it
        params.efSearch = self._config.hnsw_ef_search
        if self._dead:
            dead = np.fromiter(self._dead, dtype=np.int64, count=len(self._dead))
            batch = faiss.IDSelectorBatch(dead)
            negated = faiss.IDSelectorNot(batch)
            params.sel = negated
            # The SWIG objects do not own each other: keep them alive as long as the params.
            self._selector_refs = (dead, batch, negated)
        else:
            self._selector_refs = ()
        self._params = params
