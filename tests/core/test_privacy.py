"""Personal data in free text is found and masked (phones in any format, cards by Luhn, IBANs,
e-mails, and values the system knows to be personal), and ordinary text is left alone."""

from __future__ import annotations

import pytest

from core.privacy import PiiKind, find_pii, has_pii, mask, mask_cards

TEXT = (
    "Я Ольга Петренко, позвоните +7 912 000-02-37 или 8 (912) 000-02-38, "
    "карта 4111 1111 1111 1111, IBAN MD24AG000225100013104168, почта Olga.P@mail.ru, "
    "заказ A-10452, промокод SORRY-7KQ2"
)


def test_every_kind_is_found_once() -> None:
    kinds = [s.kind for s in find_pii(TEXT, known=["Ольга Петренко", "A-10452", "SORRY-7KQ2"])]
    assert kinds.count(PiiKind.PHONE) == 2
    assert kinds.count(PiiKind.CARD) == 1
    assert kinds.count(PiiKind.IBAN) == 1
    assert kinds.count(PiiKind.EMAIL) == 1
    assert kinds.count(PiiKind.KNOWN) == 3


def test_mask_leaves_nothing_personal_and_keeps_the_card_tail() -> None:
    masked = mask(TEXT, known=["Ольга Петренко", "a-10452", "SORRY-7KQ2"])
    for secret in ("912", "4111 1111", "MD24", "Olga.P", "Петренко", "A-10452", "SORRY"):
        assert secret not in masked
    assert "•••• 1111" in masked and "[phone]" in masked and "[email]" in masked
    assert not has_pii(masked)


def test_cards_alone_for_every_role() -> None:
    assert mask_cards("pay 5500-0000-0000-0004 now, call +79120000237") == (
        "pay •••• 0004 now, call +79120000237"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Где мой заказ? Курьер обещал приехать в 14:30, прошло 2 часа",
        "Cât costă livrarea în Chișinău? 50 lei?",
        "Order 1234567 was late by 3 days",  # a short order-like number is no phone or card
        "Скільки коштує доставка до 2025 року?",
    ],
)
def test_ordinary_messages_have_no_pii(text: str) -> None:
    assert find_pii(text) == []


def test_short_known_values_do_not_mask_words() -> None:
    assert mask("Li said it is ok", known=["Li"]) == "Li said it is ok"


@pytest.mark.parametrize(
    "text",
    ["sunați-mă la 069 123 456", "мій номер 067 123 45 67", "telefon 0721 234 567"],
)
def test_national_numbers_of_every_served_country_are_phones(text: str) -> None:
    assert "[phone]" in mask(text)  # the default region is RU: these are MD, UA, RO numbers
