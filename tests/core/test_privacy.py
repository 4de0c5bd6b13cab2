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
        "Item 1234567 was late by 3 days",  # an article number is no phone, card or order
        "заказал 100 штук, в паспорте ошибка, жду 3 дня",
        "order of 500 items, заказ №2, #1 priority",
        "улица была перекрыта, курьер не приехал",
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


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("where is order #A-10452?", PiiKind.ORDER, "A-10452"),
        ("заказ № 10452 не пришёл", PiiKind.ORDER, "10452"),
        ("номер заказа 7788-99", PiiKind.ORDER, "7788-99"),
        ("comanda nr. 55512 a întârziat", PiiKind.ORDER, "55512"),
        ("замовлення 884213 не прийшло", PiiKind.ORDER, "884213"),
        ("паспорт 45 06 123456, выдан", PiiKind.PASSPORT, "45 06 123456"),
        ("Мой паспорт: серия 4506 номер 123456", PiiKind.PASSPORT, "4506 номер 123456"),
        ("паспорт AB 123456", PiiKind.PASSPORT, "AB 123456"),
        ("мой ИНН 500100732259", PiiKind.ID_NUMBER, "500100732259"),
        ("ІПН 1759013776", PiiKind.ID_NUMBER, "1759013776"),
        ("CNP-ul meu e 1800101221144", PiiKind.ID_NUMBER, "1800101221144"),  # its check digit
        (
            "доставьте на ул. Ленина, д. 5, кв. 12 завтра",
            PiiKind.ADDRESS,
            "ул. Ленина, д. 5, кв. 12",
        ),
        ("вул. Хрещатик 22, кв 5", PiiKind.ADDRESS, "вул. Хрещатик 22, кв 5"),
        (
            "str. Ștefan cel Mare nr. 12, ap. 4, Chișinău",
            PiiKind.ADDRESS,
            "str. Ștefan cel Mare nr. 12, ap. 4",
        ),
        ("ship to 221B Baker Street, Apt 3 today", PiiKind.ADDRESS, "221B Baker Street, Apt 3"),
    ],
)
def test_documents_orders_and_addresses_are_found_by_their_words(
    text: str, kind: PiiKind, value: str
) -> None:
    assert [(s.kind, s.text) for s in find_pii(text)] == [(kind, value)]
    assert value not in mask(text)


def test_a_card_in_an_order_message_is_a_card_and_keeps_its_tail() -> None:
    text = "заказ 10452 оплачен картой 4111 1111 1111 1111"
    assert mask(text) == "заказ [order] оплачен картой •••• 1111"
