"""The handover rules on the development sets: they send to a person the messages labelled
``oos_human`` and none of the in-scope ones (shared/eval/support_faq, written for this)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.conversation.handover import Handover, handover

SETS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "support_faq"


def _rows(name: str) -> list[dict[str, str]]:
    path = SETS / name / "queries.csv"
    if not path.exists():
        pytest.skip(f"{path} is not here (the development sets live beside the repository)")
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("name", ["food_delivery", "telecom_md"])
def test_no_in_scope_message_is_handed_over_and_most_angry_ones_are(name: str) -> None:
    rows = _rows(name)
    in_scope = [r["text"] for r in rows if r["label"] != "oos"]
    human = [r["text"] for r in rows if r["kind"] == "oos_human"]
    assert [t for t in in_scope if handover(t)] == []
    assert sum(handover(t) is not None for t in human) >= len(human) - 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ОПЕРАТОР!!!", Handover.PERSON),
        ("human please", Handover.PERSON),
        ("daite operatora pozhaluista", Handover.PERSON),
        ("мне нужен человек, а не бот", Handover.PERSON),
        ("передаю справу юристу", Handover.LEGAL),
        ("ребёнку стало плохо, ездили в больницу", Handover.HARM),
        ("a treia oară scriu, bătaie de joc", Handover.ANGRY),
    ],
)
def test_each_kind(text: str, kind: Handover) -> None:
    assert handover(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "хочу уйти к другому оператору со своим номером",  # switching operators is a question
        "можно заказать на 6 человек?",
        "Я хочу получить карту, но я живу в США",
        "What stores can I use my card in?",
        "Какой размер стеклоочистителей подходит?",
    ],
)
def test_questions_stay_questions(text: str) -> None:
    assert handover(text) is None


def test_an_angry_sticker_and_angry_emoji() -> None:
    assert handover("", emoji="😡") == Handover.ANGRY
    assert handover("🤬🤬") == Handover.ANGRY
    assert handover("", emoji="👍") is None
