"""Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint, through the ``openai`` package."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import openai
from numpy.typing import NDArray

from agentrt.contracts.errors import ModelError
from agentrt.memory.config import OpenAIEmbedderConfig

__all__ = ["OpenAIEmbedder"]


class OpenAIEmbedder:
    """Embeds texts by calling an OpenAI-compatible embeddings endpoint.

    Rows are re-normalised here, since not every server returns unit vectors.
    Texts reaching this embedder have already been redacted by the service.

    Args:
        config: Endpoint, model, expected dimension and batching.

    Raises:
        ModelError: From :meth:`embed`, when the endpoint fails or answers with
            the wrong number of vectors or the wrong dimension.
    """

    def __init__(self, config: OpenAIEmbedderConfig) -> None:
        self._config = config
        self._client = openai.OpenAI(
            base_url=config.base_url,
            api_key=config.api_key,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
        )

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._config.dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one unit-length row per text, shape ``(len(texts), dim)``."""
        size = self._config.batch_size
        parts = [self._embed_batch(list(texts[i : i + size])) for i in range(0, len(texts), size)]
        if not parts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(parts, axis=0)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _embed_batch(self, texts: list[str]) -> NDArray[np.float32]:
        dimensions = self.dim if self._config.send_dimensions else openai.omit
        try:
            reply = self._client.embeddings.create(model=self._config.model, input=texts, dimensions=dimensions)
        except openai.OpenAIError as exc:
            raise ModelError(
                f"embeddings endpoint failed: {type(exc).__name__}: {exc}", model=self._config.model
            ) from exc
        rows = sorted(reply.data, key=lambda item: item.index)
        if len(rows) != len(texts):
            raise ModelError(f"embeddings endpoint returned {len(rows)} vectors for {len(texts)} texts")
        out = np.asarray([row.embedding for row in rows], dtype=np.float32)
        if out.ndim != 2 or out.shape[1] != self.dim:
            raise ModelError(f"embeddings endpoint returned dimension {out.shape[-1]}, expected {self.dim}")
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0):
            raise ModelError("embeddings endpoint returned a zero or non-finite vector")
        unit: NDArray[np.float32] = out / norms
        return unit
