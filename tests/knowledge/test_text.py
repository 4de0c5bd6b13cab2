"""Normalisation, language detection, transliteration and stemming (no model needed)."""

from knowledge.matching.text import (
    char_key,
    detect_language,
    detransliterate,
    normalize,
    stem,
    tokens,
    transliterate,
    transliterations,
)


def test_normalize_strips_case_punctuation_emoji_and_yo() -> None:
    assert normalize("Где мой ЗАКАЗ?!! 😡😡") == "где мой заказ"
    assert normalize("Ещё   раз…") == "еще раз"


def test_normalize_fixes_latin_lookalikes_inside_cyrillic_words() -> None:
    # "кaрта" with a Latin "a", "cтатус" with a Latin "c"
    assert normalize("кaрта cтатус") == "карта статус"
    # and Cyrillic look-alikes inside a Latin word
    assert normalize("pаssword") == "password"


def test_detect_language_four_languages() -> None:
    assert detect_language("Где мой заказ?") == "ru"
    assert detect_language("Де моє замовлення?") == "uk"
    assert detect_language("Що з моєю карткою") == "uk"
    assert detect_language("Unde este comanda mea?") == "ro"
    assert detect_language("Cum îmi schimb parola") == "ro"
    assert detect_language("Where is my order?") == "en"
    assert detect_language("12345 !!!") is None


def test_transliterate_chat_russian() -> None:
    assert transliterate("zakaz") == "заказ"
    assert transliterate("shchas") == "щас"
    assert transliterate("moy") == "мой"


def test_ambiguous_spellings_take_the_reading_the_kb_knows() -> None:
    assert transliterations("schet")[:2] == ["щет", "счет"]
    assert "это" in transliterations("eto") and "пользуется" in transliterations("pol'zuetsya")
    vocabulary = {stem(w, "ru") for w in ("счет", "пополнить", "пользоваться", "иметь", "карта")}
    assert detransliterate("kak popolnit' schet", vocabulary) == "как пополнить счет"
    assert detransliterate("skol'ko kart mogu imet'?", vocabulary) == "сколько карт могу иметь"
    # an English text keeps its words, even next to a transliterated one
    assert detransliterate("my schet is blocked", vocabulary) == "my счет is blocked"


def test_detransliterate_uses_the_vocabulary() -> None:
    vocabulary = {stem("заказ", "ru"), stem("где", "ru"), "order"}
    assert detransliterate("gde zakaz?", vocabulary) == "где заказ"
    # once two words read as Russian, the others follow ("moy" is not a KB word)
    assert detransliterate("gde moy zakaz?", vocabulary) == "где мой заказ"
    assert detransliterate("moy zakaz", vocabulary) == "moy заказ"  # one reading is not enough
    # English words that the KB knows stay as they are
    assert detransliterate("where is my order", vocabulary) == "where is my order"
    # without a vocabulary a text with no English stop words is converted whole
    assert detransliterate("gde moy zakaz") == "где мой заказ"


def test_tokens_are_stemmed_by_script() -> None:
    assert tokens("Заказы заказов") == [stem("заказы", "ru")] * 2
    assert tokens("ordering orders", "en") == ["order", "order"]
    assert tokens("comenzile mele", "ro")[0] == stem("comenzile", "ro")


def test_char_key_folds_ukrainian_letters() -> None:
    assert char_key("Їжак і ґанок") == "ижак и ганок"
