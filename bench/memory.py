"""Memory benchmark: insert throughput, search latency and HNSW recall, on the index and in the actor.

Two layers, at 10k and 100k records of 384 dimensions:

1. The partition index on its own (``PartitionIndex``, exact flat inner product
   and HNSW), on clustered unit vectors: Gaussian clusters around random centers
   with a low-dimensional spread inside each cluster, which is how real
   embeddings behave (isotropic random vectors defeat every approximate index
   and measure nothing useful). Recall@10 of HNSW is measured against exact
   search on the same data, with an efSearch sweep.
2. The memory service inside a Ray actor (hashing embedder, SQLite, redaction,
   audit), fed topic-clustered synthetic texts in batches: insert throughput,
   search latency timed inside the actor and round trip through the client,
   and the first search after the actor is killed and restarted: once with the
   partition's index snapshot on disk, once with it deleted (index rebuilt from
   SQLite, the floor the snapshot is measured against).

    .venv/bin/python bench/memory.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Run as a script, this folder is first on sys.path and this file would shadow the memory package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import faiss  # noqa: E402
import numpy as np  # noqa: E402
import ray  # noqa: E402

from agentrt.actors.host import ActorOptions, RayTransport, ServiceClient, spawn  # noqa: E402
from agentrt.actors.proxy import PortProxy  # noqa: E402
from agentrt.contracts import Identity, MemoryAck, MemoryQuery, MemoryRef, MemoryWrite, Partition, Scope  # noqa: E402
from agentrt.memory import HashingEmbedder, IndexConfig, MemoryConfig, MemoryService, PartitionIndex  # noqa: E402

DIM = 384
CALLER = Identity(tenant="bench", agent="researcher", run_id="r1")
PARTITION = Partition(tenant="bench", scope=Scope.AGENT, owner="researcher")
INDEX = IndexConfig(faiss_threads=2)


def clustered(n: int, seed: int, centers: int = 200, spread_dim: int = 16) -> np.ndarray:
    """Unit vectors around ``centers`` random centers, each cluster spread over a random low-dimensional subspace."""
    rng = np.random.default_rng(1234)  # the same clusters for data and queries
    middle = rng.standard_normal((centers, DIM)).astype(np.float32) / np.sqrt(DIM)
    basis = rng.standard_normal((centers, spread_dim, DIM)).astype(np.float32) * (3 / np.sqrt(DIM))
    draw = np.random.default_rng(seed)
    which = draw.integers(0, centers, n)
    latent = draw.standard_normal((n, spread_dim)).astype(np.float32)
    x = middle[which] + np.einsum("nk,nkd->nd", latent, basis[which]) + 0.02 * draw.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def percentiles(samples: list[float]) -> str:
    ms = np.asarray(samples) * 1e3
    return f"p50 {np.percentile(ms, 50):7.3f} ms  p99 {np.percentile(ms, 99):7.3f} ms"


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def recall_at_10(truth: np.ndarray, found: np.ndarray) -> float:
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))


def fill(index: PartitionIndex, data: np.ndarray, batch: int = 5_000) -> float:
    """Add ``data`` in batches; return records per second."""
    start = time.perf_counter()
    for i in range(0, len(data), batch):
        index.add(np.arange(i, min(i + batch, len(data)), dtype=np.int64), data[i : i + batch])
    return len(data) / (time.perf_counter() - start)


def bench_index(n: int, queries: np.ndarray, data: np.ndarray) -> None:
    """Exact and HNSW partition indexes on the same clustered data."""
    exact = PartitionIndex(DIM, INDEX.model_copy(update={"approximate_above": 10**9}))
    rate = fill(exact, data)
    lat = timed(lambda: exact.search(queries[np.random.randint(len(queries))], 10), min(300, 30_000_000 // n))
    truth = exact.search(queries, 10)[1]
    print(f"  exact  IndexFlatIP      insert {rate:9.0f} rec/s   search {percentiles(lat)}   recall@10 1.000")
    approx = PartitionIndex(DIM, INDEX.model_copy(update={"approximate_above": 1}))
    rate = fill(approx, data)
    lat = timed(lambda: approx.search(queries[np.random.randint(len(queries))], 10), 1000)
    found = np.vstack([approx.search(q, 10)[1] for q in queries])
    print(
        f"  approx HNSW M={INDEX.hnsw_m} ef={INDEX.hnsw_ef_search:<4} insert {rate:9.0f} rec/s   "
        f"search {percentiles(lat)}   recall@10 {recall_at_10(truth, found):.3f}"
    )
    sweep_ef(data, queries, truth)


def sweep_ef(data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> None:
    """Recall and latency of one HNSW graph (same M and efConstruction) across efSearch values."""
    graph = faiss.IndexHNSWFlat(DIM, INDEX.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = INDEX.hnsw_ef_construction
    graph.add(data)
    for ef in (16, 32, 64, 96, 128, 256):
        graph.hnsw.efSearch = ef
        found = graph.search(queries, 10)[1]
        lat = timed(lambda g=graph: g.search(queries[np.random.randint(len(queries))][None, :], 10), 500)
        print(f"    efSearch {ef:<4} recall@10 {recall_at_10(truth, found):.3f}   search {percentiles(lat)}")


def topic_texts(n: int, seed: int) -> list[str]:
    """Synthetic notes: each mostly words of one of 300 topics, plus a few common words and a number."""
    rng = random.Random(seed)
    vocab = [
        f"{a}{b}{c}" for a in "bcdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ar", "en") for c in "bdklmnrst"
    ]
    topics = [random.Random(t).sample(vocab, 30) for t in range(300)]
    out = []
    for _ in range(n):
        words = rng.sample(topics[rng.randrange(300)], 10) + rng.sample(vocab, 3)
        out.append(" ".join(words) + f" #{rng.randrange(10**6)}")
    return out


def bench_text_recall(n: int) -> None:
    """Recall@10 of the configured HNSW on hashing-embedded topic texts (the service's real vectors)."""
    data = HashingEmbedder().embed(topic_texts(n, seed=1))
    queries = HashingEmbedder().embed([" ".join(t.split()[:6]) for t in topic_texts(300, seed=2)])
    exact = faiss.IndexFlatIP(DIM)
    exact.add(data)
    truth = exact.search(queries, 10)[1]
    approx = PartitionIndex(DIM, INDEX.model_copy(update={"approximate_above": 1}))
    fill(approx, data)
    found = np.vstack([approx.search(q, 10)[1] for q in queries])
    print(f"  HNSW on hashing-embedded texts: recall@10 {recall_at_10(truth, found):.3f}")


class TimedMemory(MemoryRef, Protocol):
    """The memory port with one more method: a search timed inside the actor."""

    async def timed_search(self, request: MemoryQuery) -> MemoryAck:
        """Search; the reply's detail is the time it took in nanoseconds."""
        ...

    async def write_snapshots(self) -> MemoryAck:
        """Wait until every loaded partition's index snapshot is on disk."""
        ...


class TimedMemoryService(MemoryService):
    """The memory service with one extra method that times a search inside the actor."""

    async def timed_search(self, request: MemoryQuery) -> MemoryAck:
        start = time.perf_counter_ns()
        await self.search(request)
        return MemoryAck(detail=str(time.perf_counter_ns() - start))

    async def write_snapshots(self) -> MemoryAck:
        await self._core.flush_snapshots()
        return MemoryAck(detail="")


async def bench_actor(n: int, queries: int) -> None:
    """Insert and search through the memory service inside a Ray actor."""
    config = MemoryConfig(data_dir=Path(tempfile.mkdtemp(prefix="agentrt-bench-")), index=INDEX)
    handle = spawn(functools.partial(TimedMemoryService, config), TimedMemory, ActorOptions(num_cpus=1, max_restarts=2))
    timed: TimedMemory = PortProxy(TimedMemory, ServiceClient(RayTransport(handle)))  # type: ignore[assignment]
    client: MemoryRef = timed
    texts = topic_texts(n, seed=1)
    await handle.ping.remote()  # actor start-up is not insert time
    start = time.perf_counter()
    for i in range(0, n, 1000):
        await client.write(MemoryWrite(caller=CALLER, partition=PARTITION, texts=tuple(texts[i : i + 1000])))
    rate = n / (time.perf_counter() - start)
    asks = [" ".join(t.split()[:6]) for t in topic_texts(queries, seed=2)]
    inside, round_trip = [], []
    for text in asks:
        query = MemoryQuery(caller=CALLER, partitions=(PARTITION,), text=text, k=10)
        start = time.perf_counter()
        ack = await timed.timed_search(query)
        round_trip.append(time.perf_counter() - start)
        inside.append(int(ack.detail) / 1e9)
    print(f"  actor insert (batches of 1000, embed+redact+SQLite+FAISS)  {rate:9.0f} rec/s")
    print(f"  actor search inside the actor (k=10)      {percentiles(inside)}")
    print(f"  actor search round trip via its proxy     {percentiles(round_trip)}")
    await timed.write_snapshots()
    await bench_restart(handle, client, asks[0], "loads the index snapshot")
    for path in (config.data_dir / "snapshots").glob("*"):
        path.unlink()
    await bench_restart(handle, client, asks[0], "snapshot deleted: rebuilds the index from SQLite")
    ray.kill(handle)


async def bench_restart(handle: ray.actor.ActorHandle, client: MemoryRef, text: str, how: str) -> None:
    """Kill the actor; time the first search once it is back."""
    pid = await handle.__ray_call__.remote(lambda _host: os.getpid())
    ray.kill(handle, no_restart=False)
    while True:
        try:
            if await handle.__ray_call__.remote(lambda _host: os.getpid()) != pid:
                break
        except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError):
            pass
        await asyncio.sleep(0.05)
    start = time.perf_counter()
    hits = await client.search(MemoryQuery(caller=CALLER, partitions=(PARTITION,), text=text, k=10))
    print(f"  first search after a restart ({how}): {time.perf_counter() - start:.2f} s, {len(hits.hits)} hits")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k records only, fewer queries")
    args = parser.parse_args()
    sizes = (10_000,) if args.quick else (10_000, 100_000)
    print(
        f"memory benchmark: dim {DIM}, HNSW M={INDEX.hnsw_m} efConstruction={INDEX.hnsw_ef_construction} "
        f"efSearch={INDEX.hnsw_ef_search}, switch to HNSW above {IndexConfig().approximate_above} records, "
        f"{os.cpu_count()} cores"
    )
    queries = clustered(300 if args.quick else 1000, seed=99)
    for n in sizes:
        print(f"\n== index only, {n:,} clustered vectors")
        bench_index(n, queries, clustered(n, seed=n))
        bench_text_recall(n)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}},
    )
    for n in sizes:
        print(f"\n== memory service in a Ray actor, {n:,} records")
        asyncio.run(bench_actor(n, 200 if args.quick else 500))
    ray.shutdown()


if __name__ == "__main__":
    main()
