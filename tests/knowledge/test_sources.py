"""FAQ readers: every format parses; every class of bad input names the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import SourceError
from knowledge import DEMO_KB
from knowledge.sources import CsvColumns, load_sources
from tests.knowledge.conftest import BROKEN, GOOD_FILES, KB_DIR, write


def by_id(paths: list[Path], **kw: object) -> dict:
    return {e.id: e for e in load_sources(paths, **kw)}  # type: ignore[arg-type]


def test_csv_rows_sharing_an_id_are_phrasings_and_other_languages_translations() -> None:
    entries = by_id([KB_DIR / "faq.csv"])
    delivery = entries["delivery-time"]
    assert delivery.questions == (
        "How long does delivery take?",
        "When will my order arrive?",
        "Сколько идёт доставка?",
        "Когда привезут мой заказ?",
    )
    assert delivery.language == "en"
    assert delivery.answer.startswith("Orders placed before 14:00")
    assert delivery.answer_in("ru").startswith("Заказы до 14:00")
    assert delivery.tags == ("delivery",)
    assert entries["refund"].tags == ("refunds", "payment")
    assert delivery.source.endswith("faq.csv")


def test_tsv_with_alias_columns_and_no_language() -> None:
    hours = by_id([KB_DIR / "faq.tsv"])["hours"]
    assert hours.questions == ("What are your opening hours?", "When are you open?")
    assert hours.language is None and hours.translations == ()


def test_csv_column_names_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path / "kb.csv", "intent;utt;reply\nrefund;Money back?;In 5 days.\n")
    entries = load_sources([path], columns=CsvColumns(id="intent", question="utt", answer="reply"))
    assert [(e.id, e.questions, e.answer) for e in entries] == [
        ("refund", ("Money back?",), "In 5 days.")
    ]
    with pytest.raises(SourceError, match="no column 'answer_text'") as err:
        load_sources([path], columns=CsvColumns(answer="answer_text"))
    assert err.value.line == 1


def test_json_and_yaml_entries_with_translations_and_generated_ids() -> None:
    entries = by_id([KB_DIR / "faq.json", KB_DIR / "faq.yaml"])
    promo = entries["promo-code"]
    assert promo.questions == ("My promo code does not work", "How do I use a coupon?")
    assert promo.answer_in("ru").startswith("Введите код")
    gift = next(e for e in entries.values() if e.questions == ("Do you sell gift cards?",))
    assert gift.id.startswith("q-") and gift.language == "en"
    assert gift.answer_in("ru") == "Да, от 500 до 10 000 ₽."
    cancel = entries["cancel-order"]
    assert cancel.tags == ("order", "cancel")
    assert cancel.answer_in("ru").startswith("Отмените заказ")


def test_markdown_headings_extras_and_translations_across_files() -> None:
    entries = by_id([KB_DIR / "faq.md", KB_DIR / "faq.ru.md"])
    contact = entries["contact-human"]
    assert contact.questions == (
        "How do I contact support?",
        "I want to talk to a person",
        "Connect me to an operator",
        "Хочу поговорить с человеком",
        "Как связаться с поддержкой?",
    )
    assert contact.tags == ("support", "contact")
    assert contact.answer.startswith('Write "operator"')
    assert "### Opening hours of support" in contact.answer  # deeper headings stay in the body
    assert contact.answer_in("ru").startswith("Напишите «оператор»")
    pickup = entries["can-i-pick-up-my-order-myself"]
    assert pickup.questions[1:] == ("Is there click and collect?", "Есть самовывоз?")
    assert pickup.answer == "Yes: choose Pickup at checkout."


def test_a_folder_means_its_files_and_all_formats_merge() -> None:
    assert {e.id for e in load_sources([KB_DIR])} == {e.id for e in load_sources(GOOD_FILES)}
    assert len(load_sources(GOOD_FILES)) == 8


def test_demo_kb_is_bilingual() -> None:
    entries = load_sources([DEMO_KB])
    assert 25 <= len(entries) <= 40
    for entry in entries:
        assert len(entry.questions) >= 4, entry.id
        assert entry.language == "en" and entry.answer_in("ru") != entry.answer, entry.id


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("missing_question.csv", 3, "row has no question"),
        ("empty_id.csv", 4, "row has an empty id"),
        ("conflict.csv", 4, "two different answers in language en"),
        ("latin1.csv", 4, "not valid UTF-8"),
        ("bad.yaml", 7, "invalid YAML"),
        ("bad.json", 4, "invalid JSON"),
        ("no_question.json", 3, "entry hours has no question"),
        ("no_question_column.csv", 1, "no question column"),
        ("no_answer.md", 1, "has no answer"),
        ("empty.csv", None, "file is empty"),
        ("notes.txt", None, "unsupported file type '.txt'"),
    ],
)
def test_bad_input_names_file_and_line(name: str, line: int | None, message: str) -> None:
    with pytest.raises(SourceError, match=message) as err:
        load_sources([BROKEN / name])
    assert err.value.path == str(BROKEN / name)
    assert err.value.line == line
    assert str(err.value).startswith(f"{BROKEN / name}{f':{line}' if line else ''}: ")


def test_missing_file_and_validation_of_all_files_before_returning(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="file not found"):
        load_sources([KB_DIR / "faq.csv", tmp_path / "nope.csv"])
    with pytest.raises(SourceError) as err:  # a good file first does not get through alone
        load_sources([KB_DIR / "faq.csv", BROKEN / "conflict.csv"])
    assert err.value.path.endswith("conflict.csv")


def test_conflicting_answers_across_files(tmp_path: Path) -> None:
    other = write(
        tmp_path / "more.yaml",
        "entries:\n  - id: refund\n    question: Refund?\n    language: en\n    answer: Never.\n",
    )
    with pytest.raises(SourceError, match="two different answers") as err:
        load_sources([KB_DIR / "faq.csv", other])
    assert err.value.path == str(other) and err.value.line == 2
    assert "faq.csv:6" in str(err.value)


def test_answer_is_optional_when_asked(tmp_path: Path) -> None:
    path = write(tmp_path / "kb.csv", "text,intent\nhi there,greet\nhello,greet\n")
    [entry] = load_sources([path], require_answer=False)
    assert (entry.id, entry.questions, entry.answer) == ("greet", ("hi there", "hello"), "")
    with pytest.raises(SourceError, match="has no answer"):
        load_sources([path])
