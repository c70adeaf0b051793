"""Configuration of the memory service: where it persists, how it embeds, indexes and forgets.

Every model here is frozen and built by the caller (``cluster/`` reads files and
the environment; this module never does), so a config travels to a restarted
actor unchanged and the restarted service opens the same directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentrt.actors.transport import ActorOptions
from agentrt.contracts.memory import Partition, Scope

__all__ = [
    "EmbedderConfig",
    "HashingEmbedderConfig",
    "IndexConfig",
    "MemoryConfig",
    "OpenAIEmbedderConfig",
    "RetentionPolicy",
    "SentenceTransformerEmbedderConfig",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class HashingEmbedderConfig(BaseModel):
    """The default embedder: feature hashing of words, word pairs and character n-grams.

    Attributes:
        dim: Vector dimension.
        char_ngrams: Lengths of the character n-grams taken inside each word.
        word_weight: Weight of a word unigram.
        bigram_weight: Weight of a pair of adjacent words.
        char_weight: Weight of one character n-gram (many per word, so small).
    """

    model_config = _FROZEN

    kind: Literal["hashing"] = "hashing"
    dim: int = Field(default=384, ge=8, le=8192)
    char_ngrams: tuple[int, ...] = (3, 4)
    word_weight: float = Field(default=1.0, ge=0)
    bigram_weight: float = Field(default=0.7, ge=0)
    char_weight: float = Field(default=0.25, ge=0)


class OpenAIEmbedderConfig(BaseModel):
    """An OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, vLLM, Ollama, LiteLLM, ...).

    Attributes:
        base_url: The API root, e.g. ``http://127.0.0.1:8000/v1``.
        api_key: Sent as a bearer token; local servers accept any value.
        model: The embedding model name.
        dim: The dimension the endpoint returns; a different one is an error.
        send_dimensions: Ask the endpoint for ``dim`` (models that can shorten their output).
        batch_size: Texts per request.
        timeout_s: Per-request timeout.
        max_retries: Retries of transient HTTP failures by the client.
    """

    model_config = _FROZEN

    kind: Literal["openai"] = "openai"
    base_url: str
    api_key: str = "not-needed"
    model: str = "text-embedding-3-small"
    dim: int = Field(default=1536, ge=1, le=16384)
    send_dimensions: bool = False
    batch_size: int = Field(default=256, ge=1, le=4096)
    timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=2, ge=0)


class SentenceTransformerEmbedderConfig(BaseModel):
    """A local sentence-transformers model (the ``sentence-transformers`` extra).

    Attributes:
        model: A model name or a local directory holding the model.
        device: Torch device, e.g. ``cpu``.
        batch_size: Texts per forward pass.
    """

    model_config = _FROZEN

    kind: Literal["sentence_transformers"] = "sentence_transformers"
    model: str = "sentence-transformers/all-MiniLM-L6-v2"
    device: str = "cpu"
    batch_size: int = Field(default=64, ge=1)


EmbedderConfig = Annotated[
    HashingEmbedderConfig | OpenAIEmbedderConfig | SentenceTransformerEmbedderConfig,
    Field(discriminator="kind"),
]
"""Which embedder the service builds."""


class IndexConfig(BaseModel):
    """How a partition's vectors are indexed.

    A partition is searched exactly (flat inner product) until it holds
    ``approximate_above`` vectors, then moves to HNSW; it moves back when it
    shrinks below half of that, so a sweep never leaves a tiny HNSW graph.

    Attributes:
        approximate_above: Vector count past which a partition uses HNSW.
        hnsw_m: HNSW graph degree (memory and recall grow with it).
        hnsw_ef_construction: Candidate list while building (recall vs insert speed).
        hnsw_ef_search: Candidate list while searching (recall vs latency).
        candidates_per_hit: Vector candidates fetched per requested hit, re-ranked by the hybrid score.
        compact_dead_fraction: Rebuild an HNSW partition when this share of it is removed.
        faiss_threads: OpenMP threads for adding vectors and building graphs (None: the process default).
        search_threads: OpenMP threads for a search. One query at a time gains nothing from
            more threads and loses to their wake-up cost, so the default is 1 (None: the process default).
        snapshot_every: Write a partition's index to disk after this many rows were added or removed
            since its last snapshot (and on stop), so a restart loads it instead of rebuilding it
            from SQLite (None: never).
        snapshot_above: Partitions with fewer rows are not snapshotted (rebuilding them is cheap).
    """

    model_config = _FROZEN

    approximate_above: int = Field(default=10_000, ge=1)
    hnsw_m: int = Field(default=32, ge=4, le=128)
    hnsw_ef_construction: int = Field(default=40, ge=8)
    hnsw_ef_search: int = Field(default=96, ge=8)
    candidates_per_hit: int = Field(default=2, ge=1, le=50)
    compact_dead_fraction: float = Field(default=0.2, gt=0, lt=1)
    faiss_threads: int | None = Field(default=None, ge=1)
    search_threads: int | None = Field(default=1, ge=1)
    snapshot_every: int | None = Field(default=10_000, ge=1)
    snapshot_above: int = Field(default=1_000, ge=0)


class RetentionPolicy(BaseModel):
    """How long stored memory lives.

    The expiry of a record or fact is the earliest of what the writer asked for
    (``ttl_s`` / ``expires_at``) and what this policy allows for its partition:
    a per-partition limit if one is set, else the limit of its scope. Working
    state of a run lives as long as the run scope allows.

    Attributes:
        scope_ttl_s: Longest life per scope (missing scope: no limit).
        partition_ttl_s: Longest life per partition, keyed ``tenant/scope/owner``.
        sweep_interval_s: How often the actor removes expired memory.
        sweep_batch: Most rows removed per table in one sweep, so a sweep stays short.
        recency_half_life_s: Age at which a record's recency weight halves in search.
    """

    model_config = _FROZEN

    scope_ttl_s: dict[Scope, float] = Field(default_factory=lambda: {Scope.RUN: 30 * 86_400.0})
    partition_ttl_s: dict[str, float] = Field(default_factory=dict)
    sweep_interval_s: float = Field(default=60.0, gt=0)
    sweep_batch: int = Field(default=5_000, ge=1)
    recency_half_life_s: float = Field(default=7 * 86_400.0, gt=0)

    def ttl_for(self, partition: Partition) -> float | None:
        """Return the longest life allowed in ``partition``, in seconds, or None for no limit."""
        key = f"{partition.tenant}/{partition.scope.value}/{partition.owner}"
        if key in self.partition_ttl_s:
            return self.partition_ttl_s[key]
        return self.scope_ttl_s.get(partition.scope)


class MemoryConfig(BaseModel):
    """Everything a :class:`~agentrt.memory.service.MemoryService` needs.

    Attributes:
        data_dir: Directory of the SQLite database (created if missing).
        embedder: Which embedder to build (ignored when one is passed to the service).
        index: Vector index thresholds and HNSW parameters.
        retention: Expiry limits and the sweep.
        source_ranks: Default source order for ``source_rank`` fact resolution, most trusted first.
        default_allowed_categories: Categories stored long term for a tenant that set no
            consent policy; None allows every category. ``"*"`` in a policy allows all.
        synchronous: SQLite ``synchronous`` mode with WAL. NORMAL survives a process
            crash; FULL also survives power loss at the cost of an fsync per commit.
        read_audit_delay_s: Longest time a search's audit row waits before it is committed
            (at most 50 ms; see :mod:`agentrt.memory._audit` for the durability rule of read rows).
        read_audit_batch: Number of queued search audit rows committed at once without waiting.
        actor: Ray options for the memory actor.
    """

    model_config = _FROZEN

    data_dir: Path
    embedder: EmbedderConfig = Field(default_factory=HashingEmbedderConfig)
    index: IndexConfig = Field(default_factory=IndexConfig)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    source_ranks: tuple[str, ...] = ()
    default_allowed_categories: tuple[str, ...] | None = ("general",)
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    read_audit_delay_s: float = Field(default=0.05, gt=0, le=0.05)
    read_audit_batch: int = Field(default=100, ge=1, le=1_000)
    actor: ActorOptions = Field(
        default_factory=lambda: ActorOptions(name="memory", max_restarts=-1, max_task_retries=0, max_concurrency=64)
    )
