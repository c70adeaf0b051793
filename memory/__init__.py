"""agentrt memory: partitioned vector memory, facts and working state behind enforced access.

The service (:class:`MemoryService`) runs in-process or as the memory actor;
everything else reaches it through its port, ``MemoryRef``: a proxy of it
(``agentrt.actors.proxy.memory_proxy``) over the actor or an in-process transport.
"""

from __future__ import annotations

from agentrt.memory.access import Mode, allows, may_administer, may_grant, owns
from agentrt.memory.config import (
    EmbedderConfig,
    HashingEmbedderConfig,
    IndexConfig,
    MemoryConfig,
    OpenAIEmbedderConfig,
    RetentionPolicy,
    SentenceTransformerEmbedderConfig,
)
from agentrt.memory.conflicts import Rule, choose_fact
from agentrt.memory.embedders import build_embedder
from agentrt.memory.hashing import HashingEmbedder
from agentrt.memory.index import PartitionIndex
from agentrt.memory.openai_embedder import OpenAIEmbedder
from agentrt.memory.ranking import HybridRanking, terms
from agentrt.memory.sentence_embedder import SentenceTransformerEmbedder
from agentrt.memory.service import MemoryService

__all__ = [
    "EmbedderConfig",
    "HashingEmbedder",
    "HashingEmbedderConfig",
    "HybridRanking",
    "IndexConfig",
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
