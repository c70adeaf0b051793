"""The default embedder: deterministic feature hashing, no model and no network.

Each text becomes a sparse bag of features — lower-cased word unigrams, pairs of
adjacent words and character n-grams inside each word (so ``invoice`` and
``invoices`` share most of their features) — hashed with CRC-32 into ``dim``
signed buckets and L2-normalised. CRC-32 rather than ``hash()`` because the
vectors are persisted and compared across processes, where ``hash()`` is salted.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from agentrt.memory.config import HashingEmbedderConfig

__all__ = ["HashingEmbedder"]

_WORD = re.compile(r"\w+")
_EMPTY = "\x00empty"
_CACHE_LIMIT = 200_000


class HashingEmbedder:
    """Feature-hashing embedder: fast, deterministic, dependency-free.

    Args:
        config: Dimension, n-gram lengths and feature weights.

    Example:
        >>> e = HashingEmbedder(HashingEmbedderConfig(dim=64))
        >>> e.embed(["net revenue by region"]).shape
        (1, 64)
    """

    def __init__(self, config: HashingEmbedderConfig | None = None) -> None:
        self._config = config or HashingEmbedderConfig()
        # Word features repeat across texts (Zipf); hashing each word once makes batches cheap.
        self._word_cache: dict[str, tuple[list[int], list[float]]] = {}

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._config.dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one unit-length row per text, shape ``(len(texts), dim)``."""
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for row, text in enumerate(texts):
            c, v = self._features(text)
            rows.extend([row] * len(c))
            cols.extend(c)
            vals.extend(v)
        # bincount sums repeated buckets like np.add.at, at a fraction of its cost.
        flat = np.asarray(rows, dtype=np.int64) * self.dim + np.asarray(cols, dtype=np.int64)
        sums = np.bincount(flat, weights=np.asarray(vals, dtype=np.float64), minlength=len(texts) * self.dim)
        out = sums.astype(np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        # Signed buckets can cancel to zero; such a row falls back to the empty-text vector.
        for empty in np.flatnonzero(norms[:, 0] == 0):
            bucket, sign = self._bucket(_EMPTY, 1.0)
            out[empty, bucket] = sign
            norms[empty, 0] = 1.0
        out /= norms
        return out

    def _features(self, text: str) -> tuple[list[int], list[float]]:
        words = _WORD.findall(text.lower())
        if not words:
            c, v = self._bucket(_EMPTY, 1.0)
            return [c], [v]
        cols: list[int] = []
        vals: list[float] = []
        for word in words:
            word_cols, word_vals = self._word_features(word)
            cols.extend(word_cols)
            vals.extend(word_vals)
        weight = self._config.bigram_weight
        if weight:
            for first, second in zip(words, words[1:], strict=False):
                c1, v1 = self._bucket(f"b:{first} {second}", weight)
                cols.append(c1)
                vals.append(v1)
        return cols, vals

    def _word_features(self, word: str) -> tuple[list[int], list[float]]:
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        cols: list[int] = []
        vals: list[float] = []
        c, v = self._bucket(f"w:{word}", self._config.word_weight)
        cols.append(c)
        vals.append(v)
        padded = f"<{word}>"
        for n in self._config.char_ngrams:
            for i in range(max(len(padded) - n + 1, 0)):
                c, v = self._bucket(f"c:{padded[i : i + n]}", self._config.char_weight)
                cols.append(c)
                vals.append(v)
        if len(self._word_cache) >= _CACHE_LIMIT:
            self._word_cache.clear()
        self._word_cache[word] = (cols, vals)
        return cols, vals

    def _bucket(self, feature: str, weight: float) -> tuple[int, float]:
        h = zlib.crc32(feature.encode("utf-8"))
        # The top bit picks the sign so colliding features cancel on average instead of piling up.
        return (h & 0x7FFFFFFF) % self.dim, weight if h >> 31 else -weight
