"""agentrt memory: partitioned vector memory, facts and working state behind enforced access.

The service (:class:`MemoryService`) runs in-process or as the memory actor;
everything else reaches it through :class:`MemoryClient` (a ``MemoryRef``).
"""

from __future__ import annotations

from memory.access import Mode, allows, may_administer, may_grant, owns
from memory.client import MemoryClient
from memory.config import (
    EmbedderConfig,
    HashingEmbedderConfig,
    IndexConfig,
    MemoryConfig,
    OpenAIEmbedderConfig,
    RetentionPolicy,
    SentenceTransformerEmbedderConfig,
)
from memory.conflicts import Rule, choose_fact
from memory.embedders import build_embedder
from memory.hashing import HashingEmbedder
from memory.index import PartitionIndex
from memory.openai_embedder import OpenAIEmbedder
from memory.ranking import HybridRanking, terms
from memory.sentence_embedder import SentenceTransformerEmbedder
from memory.service import MemoryService

__all__ = [
    "EmbedderConfig",
    "HashingEmbedder",
    "HashingEmbedderConfig",
    "HybridRanking",
    "IndexConfig",
    "MemoryClient",
    "MemoryConfig",
    "MemoryService",
    "Mode",
    "OpenAIEmbedder",
    "OpenAIEmbedderConfig",
    "PartitionIndex",
    "RetentionPolicy",
    "Rule",
    "SentenceTransformerEmbedder",
    "SentenceTransformerEmbedderConfig",
    "allows",
    "build_embedder",
    "choose_fact",
    "may_administer",
    "may_grant",
    "owns",
    "terms",
]
