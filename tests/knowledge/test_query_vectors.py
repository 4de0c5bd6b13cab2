"""The query vectors a process keeps (``knowledge.store.embeddings.QueryVectors``): a text asked
again (a case's suggestions opened again, the FAQ asked with the text the case memory just
embedded) skips the encoders; the least recently used goes first; ``CXC_EMBEDDING_CACHE=0``
keeps none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.config import Settings
from knowledge.store import embeddings
from knowledge.store.embeddings import QueryVectors, build_embeddings


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts the encoders were run on (the real encoders, recorded)."""
    calls: list[str] = []
    real = embeddings.local_vectors

    def recording(e5: Any, use: Any, texts: list[str], is_query: bool) -> np.ndarray:
        calls.extend(texts)
        return real(e5, use, texts, is_query)

    monkeypatch.setattr(embeddings, "local_vectors", recording)
    embeddings.query_vectors.resize(0)  # what other tests of this process embedded is gone
    embeddings.query_vectors.resize(embeddings.QUERY_CACHE)
    yield calls
    embeddings.query_vectors.resize(embeddings.QUERY_CACHE)


def test_the_least_recently_used_vector_goes_first() -> None:
    kept = QueryVectors(size=2)
    kept.put("a", np.ones(3, dtype=np.float32))
    kept.put("b", np.zeros(3, dtype=np.float32))
    assert kept.get("a") is not None  # "a" used again: "b" is now the oldest
    kept.put("c", np.ones(3, dtype=np.float32))
    assert kept.get("b") is None and kept.get("a") is not None and len(kept) == 2
    kept.resize(1)
    assert len(kept) == 1 and kept.get("a") is not None  # the one used last


def test_a_query_asked_again_skips_the_encoders(tmp_path: Path, encoded: list[str]) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    memory_side, faq_side = (
        build_embeddings(settings, "query"),
        build_embeddings(settings, "passage"),
    )
    first = memory_side.embed_query("Курьер опоздал на два часа")
    again = faq_side.embed_query("Курьер опоздал на два часа")
    other = faq_side.embed_query("Где мой заказ?")
    assert encoded == ["Курьер опоздал на два часа", "Где мой заказ?"]
    assert again == first and other != first and len(first) == sum(memory_side.views)


def test_no_vectors_are_kept_with_a_cache_of_zero(tmp_path: Path, encoded: list[str]) -> None:
    settings = Settings(data_dir=tmp_path, embedding_cache=0, _env_file=None)  # type: ignore[call-arg]
    vectors = build_embeddings(settings, "query")
    assert vectors.embed_query("Где мой заказ?") == vectors.embed_query("Где мой заказ?")
    assert encoded == ["Где мой заказ?", "Где мой заказ?"]
