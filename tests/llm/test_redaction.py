"""Placeholders for personal data before text leaves for a language model."""

from __future__ import annotations

from core.redaction import redactor


def test_each_value_gets_one_numbered_placeholder_and_comes_back() -> None:
    red = redactor(known=("Ирина Котова",))
    text = (
        "Ирина Котова: +7 916 123-45-67, irina@mail.ru, +7 916 123-45-67, "
        "карта 4111 1111 1111 1111, второй телефон +373 69 123 456"
    )
    redacted = red.redact(text)
    assert redacted == (
        "<NAME_1>: <PHONE_1>, <EMAIL_1>, <PHONE_1>, карта <CARD_1>, второй телефон <PHONE_2>"
    )
    assert red.restore(redacted) == text


def test_placeholders_it_did_not_make_stay_and_are_reported() -> None:
    red = redactor()
    red.redact("call +7 916 123-45-67")
    assert red.restore("<PHONE_1> or <PHONE_2>") == "+7 916 123-45-67 or <PHONE_2>"
    assert red.unknown_placeholders("<PHONE_1> or <PHONE_2>") == ["<PHONE_2>"]


def test_text_without_personal_data_is_unchanged() -> None:
    red = redactor()
    assert (
        red.redact("Доставка занимает 2-3 дня, до 14:00.") == "Доставка занимает 2-3 дня, до 14:00."
    )
    assert not red.values
