"""Embeddings from a local sentence-transformers model (the optional ``sentence-transformers`` extra)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from agentrt.contracts.errors import ConfigError
from agentrt.memory.config import SentenceTransformerEmbedderConfig

__all__ = ["SentenceTransformerEmbedder"]


class SentenceTransformerEmbedder:
    """Embeds texts with a sentence-transformers model loaded in this process.

    The package is imported when the embedder is built, not when this module is,
    so the runtime does not need torch unless this embedder is configured.

    Args:
        config: Model name or directory, device and batch size.

    Raises:
        ConfigError: When ``sentence-transformers`` is not installed.
    """

    def __init__(self, config: SentenceTransformerEmbedderConfig) -> None:
        try:
            module = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise ConfigError(
                "the sentence-transformers embedder needs the 'sentence-transformers' extra installed",
                package="sentence-transformers",
            ) from exc
        self._config = config
        self._model = module.SentenceTransformer(config.model, device=config.device)
        dim = self._model.get_sentence_embedding_dimension()
        if not isinstance(dim, int) or dim <= 0:
            raise ConfigError(f"model {config.model!r} does not declare its embedding dimension", model=config.model)
        self._dim = dim

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one unit-length row per text, shape ``(len(texts), dim)``."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        out = self._model.encode(
            list(texts),
            batch_size=self._config.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self._dim)
