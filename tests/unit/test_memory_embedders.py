"""Embedders: hashing by default, an OpenAI-compatible endpoint over real HTTP, sentence-transformers if installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from agentrt.actors.openai_backend.server import OpenAIProtocolServer
from agentrt.contracts import ConfigError, Embedder, Identity, MemoryQuery, MemoryWrite, ModelError, Partition, Scope
from agentrt.memory import (
    HashingEmbedder,
    HashingEmbedderConfig,
    MemoryConfig,
    MemoryService,
    OpenAIEmbedder,
    OpenAIEmbedderConfig,
    SentenceTransformerEmbedderConfig,
    build_embedder,
)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


def test_hashing_embedder_rows_are_unit_length_with_the_configured_dimension() -> None:
    embedder = HashingEmbedder(HashingEmbedderConfig(dim=96))
    vectors = embedder.embed(["quarterly revenue by region", "", "!!!", "a b"])
    assert vectors.shape == (4, 96) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_hashing_embedder_is_deterministic_across_instances_and_batches() -> None:
    first = HashingEmbedder().embed(["net revenue is reported after refunds", "units shipped"])
    second = HashingEmbedder().embed(["units shipped", "net revenue is reported after refunds"])
    assert np.array_equal(first[0], second[1]) and np.array_equal(first[1], second[0])


def test_hashing_embedder_puts_related_texts_closer_than_unrelated_ones() -> None:
    e = HashingEmbedder()
    invoice, invoices, weather = e.embed(
        ["the invoice for march is overdue", "invoices for march are overdue", "sunny weather expected in lisbon"]
    )
    assert cosine(invoice, invoices) > 0.5
    assert cosine(invoice, invoices) > cosine(invoice, weather) + 0.3


def test_default_embedder_is_the_hashing_one_and_satisfies_the_port() -> None:
    embedder = build_embedder(HashingEmbedderConfig(dim=384))
    assert isinstance(embedder, HashingEmbedder) and isinstance(embedder, Embedder) and embedder.dim == 384


def test_openai_embedder_returns_unit_rows_in_input_order_over_http() -> None:
    with OpenAIProtocolServer(embedding_dim=48) as server:
        config = OpenAIEmbedderConfig(base_url=server.base_url, model="embed-test", dim=48, batch_size=2)
        embedder = build_embedder(config)
        assert isinstance(embedder, OpenAIEmbedder) and isinstance(embedder, Embedder)
        texts = ["alpha beta", "gamma", "alpha beta", "delta epsilon", "zeta"]
        batched = embedder.embed(texts)
        one_by_one = np.concatenate([embedder.embed([t]) for t in texts])
        embedder.close()
    assert batched.shape == (5, 48)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert np.allclose(batched, one_by_one, atol=1e-6)
    assert np.allclose(batched[0], batched[2]) and not np.allclose(batched[0], batched[1])


def test_openai_embedder_asks_for_its_dimension_when_configured_to() -> None:
    with OpenAIProtocolServer(embedding_dim=8) as server:
        config = OpenAIEmbedderConfig(base_url=server.base_url, dim=24, send_dimensions=True)
        vectors = OpenAIEmbedder(config).embed(["shorter vectors please"])
    assert vectors.shape == (1, 24)


def test_openai_embedder_rejects_a_dimension_it_did_not_expect() -> None:
    with OpenAIProtocolServer(embedding_dim=16) as server:
        embedder = OpenAIEmbedder(OpenAIEmbedderConfig(base_url=server.base_url, dim=32))
        with pytest.raises(ModelError, match="dimension 16"):
            embedder.embed(["mismatch"])


def test_openai_embedder_failure_is_a_model_error() -> None:
    server = OpenAIProtocolServer().start()
    url = server.base_url
    server.stop()
    embedder = OpenAIEmbedder(OpenAIEmbedderConfig(base_url=url, dim=8, max_retries=0, timeout_s=2))
    with pytest.raises(ModelError, match="embeddings endpoint failed"):
        embedder.embed(["nobody is listening"])


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is not None, reason="package installed")
def test_sentence_transformers_embedder_without_the_extra_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="sentence-transformers"):
        build_embedder(SentenceTransformerEmbedderConfig())


def test_sentence_transformers_embedder_embeds_unit_rows(tmp_path: object) -> None:
    pytest.importorskip("sentence_transformers")
    model = SentenceTransformerEmbedderConfig().model
    try:
        embedder = build_embedder(SentenceTransformerEmbedderConfig(model=model))
    except OSError as exc:  # no model weights can be fetched here
        pytest.skip(f"model {model} not available offline: {exc}")
    vectors = embedder.embed(["hello world", "goodbye"])
    assert vectors.shape == (2, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


async def test_service_embeds_with_an_openai_endpoint_when_configured(tmp_path: Path) -> None:
    caller = Identity(tenant="acme", agent="researcher")
    partition = Partition(tenant="acme", scope=Scope.AGENT, owner="researcher")
    with OpenAIProtocolServer(embedding_dim=64) as server:
        config = MemoryConfig(data_dir=tmp_path, embedder=OpenAIEmbedderConfig(base_url=server.base_url, dim=64))
        service = MemoryService(config)
        texts = ("refund policy is thirty days", "office plants need water", "refund requests go to billing")
        await service.write(MemoryWrite(caller=caller, partition=partition, texts=texts))
        hits = await service.search(MemoryQuery(caller=caller, partitions=(partition,), text="refund policy", k=3))
        await service.stop()
    assert hits.hits[0].record.text == "refund policy is thirty days"
    assert {h.record.text for h in hits.hits[:2]} == {texts[0], texts[2]}
