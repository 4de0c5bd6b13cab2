"""Off-topic negatives: the bundled list, its vectors, and what they do to a small FAQ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.domain import Decision, FaqEntry
from knowledge import DEMO_KB
from knowledge.matching import background
from knowledge.matching.background import off_topic, off_topic_texts
from knowledge.matching.decision import Phrasing
from knowledge.matching.fit import fit_matcher
from knowledge.matching.matcher import Matcher
from knowledge.sources import load_sources
from knowledge.store.embeddings import LocalEmbeddings, OpenAICompatibleEmbeddings
from tests.knowledge.conftest import FakeEmbeddingsServer
from tests.knowledge.test_matcher import THRESHOLDS, VIEWS, Local, ask, phrasings_of, vectors_of

Demo = tuple[list[FaqEntry], list[Phrasing], np.ndarray]
# Held out from knowledge/data/offtopic.txt: greetings, thanks, trivia in the four languages.
UNSEEN = (
    "who won the world cup in 2018",
    "how many legs does a spider have",
    "спасибо",
    "какой курс евро",
    "дякую",
    "cine este președintele româniei",
)


@pytest.fixture(scope="module")
def e5() -> Local:
    return Local()


@pytest.fixture(scope="module")
def demo(e5: Local) -> tuple[list[FaqEntry], list[Phrasing], np.ndarray]:
    """The demo FAQ (31 entries): big enough for the stacker to be trained on the KB itself."""
    entries = load_sources([DEMO_KB])
    phrasings = phrasings_of(entries)
    return entries, phrasings, vectors_of(e5, phrasings)


def test_shipped_vectors_are_what_the_bundled_model_computes(e5: Local, tmp_path: Path) -> None:
    texts, vectors = off_topic(LocalEmbeddings("query"), LocalEmbeddings.name, tmp_path)
    assert len(texts) >= 200 and vectors.shape == (len(texts), sum(VIEWS))
    assert not (tmp_path / "off-topic").exists()  # read from the package, nothing computed
    sample = list(range(0, len(texts), 40))
    fresh = e5.query([texts[i] for i in sample])
    assert np.allclose(vectors[sample], fresh, atol=1e-5)
    assert not set(UNSEEN) & set(off_topic_texts())


def test_other_embeddings_are_computed_once_then_read_from_the_cache(
    fake_embeddings: FakeEmbeddingsServer, tmp_path: Path
) -> None:
    embeddings = OpenAICompatibleEmbeddings(
        base_url=fake_embeddings.base_url, model="fake-embed-1", api_key="sk-test"
    )
    texts, first = off_topic(embeddings, embeddings.name, tmp_path)
    assert fake_embeddings.texts() == list(texts)
    assert len(list((tmp_path / "off-topic").glob("*.npy"))) == 1
    background._memo.clear()  # a new process: the disk cache answers
    _, again = off_topic(embeddings, embeddings.name, tmp_path)
    assert len(fake_embeddings.texts()) == len(texts)
    assert np.array_equal(first, again)


def fit(demo: Demo, negatives: bool, tmp_path: Path) -> Matcher:
    entries, phrasings, vectors = demo
    bg = off_topic(LocalEmbeddings("query"), LocalEmbeddings.name, tmp_path)
    return fit_matcher(
        entries, phrasings, vectors, THRESHOLDS, background=bg if negatives else None, views=VIEWS
    )


def test_unseen_off_topic_messages_are_escalated_with_less_confidence(
    e5: Local, demo: Demo, tmp_path: Path
) -> None:
    plain, trained = fit(demo, False, tmp_path), fit(demo, True, tmp_path)
    before = [ask(plain, e5, t).confidence for t in UNSEEN]
    after = [ask(trained, e5, t) for t in UNSEEN]
    assert all(m.decision == Decision.ESCALATE for m in after), after
    assert np.mean([m.confidence for m in after]) < np.mean(before) / 2
    for text, entry in (
        ("can I pay cash to the courier", "payment-methods"),
        ("где мой заказ", "order-tracking"),
    ):
        m = ask(trained, e5, text)
        assert (m.decision, m.ranked[0].entry_id) == (Decision.ANSWER, entry)


def test_a_kb_that_covers_a_listed_topic_still_answers_it(
    e5: Local, demo: Demo, tmp_path: Path
) -> None:
    listed = "what will the weather be like tomorrow"
    assert listed in off_topic_texts()
    weather = FaqEntry(
        "forecast",
        ("What's the forecast for tomorrow?", "Какая погода будет завтра?", "Will it rain?"),
        "Open the Forecast tab: it shows the next seven days for your city.",
    )
    entries, phrasings, vectors = demo
    added = phrasings_of([weather])
    grown = ([*entries, weather], [*phrasings, *added], np.vstack([vectors, vectors_of(e5, added)]))
    m = ask(fit(grown, True, tmp_path), e5, listed)
    assert (m.decision, m.ranked[0].entry_id) == (Decision.ANSWER, "forecast")
