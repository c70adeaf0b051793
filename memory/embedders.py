"""Builds the configured :class:`~contracts.ports.Embedder`."""

from __future__ import annotations

from contracts.ports import Embedder
from memory.config import EmbedderConfig, HashingEmbedderConfig, OpenAIEmbedderConfig
from memory.hashing import HashingEmbedder

__all__ = ["build_embedder"]


def build_embedder(config: EmbedderConfig) -> Embedder:
    """Return the embedder a config names.

    The OpenAI and sentence-transformers embedders are imported only when
    chosen, so the default path needs neither the network nor torch.
    """
    if isinstance(config, HashingEmbedderConfig):
        return HashingEmbedder(config)
    if isinstance(config, OpenAIEmbedderConfig):
        from memory.openai_embedder import OpenAIEmbedder

        return OpenAIEmbedder(config)
    from memory.sentence_embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(config)
