"""Builds the configured :class:`~agentrt.contracts.ports.Embedder`."""

from __future__ import annotations

from agentrt.contracts.ports import Embedder
from agentrt.memory.config import EmbedderConfig, HashingEmbedderConfig, OpenAIEmbedderConfig
from agentrt.memory.hashing import HashingEmbedder

__all__ = ["build_embedder"]


def build_embedder(config: EmbedderConfig) -> Embedder:
    """Return the embedder a config names.

    The OpenAI and sentence-transformers embedders are imported only when
    chosen, so the default path needs neither the network nor torch.
    """
    if isinstance(config, HashingEmbedderConfig):
        return HashingEmbedder(config)
    if isinstance(config, OpenAIEmbedderConfig):
        from agentrt.memory.openai_embedder import OpenAIEmbedder  # noqa: PLC0415  (loads openai only when used)

        return OpenAIEmbedder(config)
    from agentrt.memory.sentence_embedder import SentenceTransformerEmbedder  # noqa: PLC0415  (optional extra)

    return SentenceTransformerEmbedder(config)
