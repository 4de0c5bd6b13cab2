"""Typo repair against the knowledge base's own words."""

from __future__ import annotations

from knowledge.matching.spelling import Repaired, Speller
from knowledge.matching.text import tokens

KB = [
    "Где моя доставка? Курьер не приехал",
    "Как оформить возврат товара",
    "I did not receive my refund",
    "Why was my card declined",
    "How do I top up",
]


def speller() -> tuple[Speller, frozenset[str]]:
    return Speller(KB), frozenset(t for text in KB for t in tokens(text))


def test_one_edit_typos_are_repaired_to_the_kb_word() -> None:
    s, stems = speller()
    assert s.fix("где моя доствка", stems) == "где моя доставка"  # a dropped letter
    assert s.fix("I did not recieve my refund", stems) == "i did not receive my refund"  # swap
    assert s.fix("Как офромить вовзрат", stems) == "как оформить возврат"


def test_known_words_short_words_and_numbers_are_kept() -> None:
    s, stems = speller()
    assert s.fix("declined", stems) == "declined"
    assert s.fix("my car", stems) == "my car"  # a word in its own right, though not the KB's
    assert s.fix("заказ 123456", stems) == "заказ 123456"
    assert s.fix("доставки", stems) == "доставки"  # unseen form whose stem the KB knows


def test_common_words_are_not_repaired_but_misspelt_short_words_are() -> None:
    s, stems = speller()
    # "cart" and "cared" are one edit from the KB's "card", but they are words in their own right
    assert s.fix("my cart was declined", stems) == "my cart was declined"
    assert s.fix("nobody cared", stems) == "nobody cared"
    assert s.fix("my crad was declined", stems) == "my card was declined"  # not a word
    assert s.fix("где моя доствка", stems) == "где моя доставка"


def test_short_non_words_become_the_kbs_function_words() -> None:
    s, stems = speller()
    assert s.fix("hjw do i tpo up", stems) == "how do i top up"
    assert s.fix("wyh was myy card declined", stems) == "why was my card declined"
    assert s.fix("гед моя доставка", stems) == "где моя доставка"
    # single letters, and short non-words with no function word of the KB one edit away, stay
    assert s.fix("m card declined", stems) == "m card declined"
    assert s.fix("zqx card", stems) == "zqx card"


def test_repair_counts_the_words_it_replaced() -> None:
    s, stems = speller()
    assert s.repair("hjw do i tpo up", stems) == Repaired("how do i top up", 2)
    assert s.repair("Как офромить вовзрат", stems) == Repaired("как оформить возврат", 2)
    # a known word, a common word, a number and a word with no KB neighbour are not repairs
    assert s.repair("my cart 123 zqx declined", stems) == Repaired("my cart 123 zqx declined", 0)


def test_unrelated_words_are_not_forced_onto_the_kb() -> None:
    s, stems = speller()
    assert s.fix("capital of australia", stems) == "capital of australia"
    assert s.fix("погода в париже", stems) == "погода в париже"


def test_transliterated_word_with_a_typo_is_found_in_cyrillic() -> None:
    s, stems = speller()
    assert s.fix("dostvka", stems) == "доставка"


def test_words_added_later_are_known() -> None:
    s, stems = speller()
    assert s.fix("промокод", stems) == "промокод"
    s.add("Промокод не применяется")
    assert s.fix("промакод", stems) == "промокод"
