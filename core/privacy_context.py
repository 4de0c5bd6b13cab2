"""Personal data recognised by the words around it or by its check digits: order numbers,
passport numbers, personal tax and identity numbers, street addresses.

No pattern finds every one of these; what the system knows (a customer's order numbers and
address from the CRM) is masked as a known value besides (``core.privacy``). These finders
catch the ones a customer types: "заказ № 10452", "паспорт 45 06 123456", "ул. Ленина, д. 5,
кв. 12", "CNP 1800101221144". Identity numbers with a checksum (a Romanian CNP, a Russian
personal INN) are found without a keyword by ``python-stdnum``; the others need their keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from stdnum.ro import cnp
from stdnum.ru import inn

Span = tuple[int, int, str]
"""(start, end, text) of one value."""

_ORDER = re.compile(
    r"(?:\border\b|\bзаказ(?:а|у|ом|е|ы)?\b|\bзамовлення\b|\bcomand[aă]\b|\bcomenzii\b|№|#)"
    r"[\s:]*(?:№|#|no\.?|nr\.?|номер)?[\s:]*"
    r"(?P<value>(?=[A-ZА-Я]{0,4}[-/]?\d)[A-ZА-Я0-9][A-ZА-Я0-9/-]{2,30}[A-ZА-Я0-9])",
    re.IGNORECASE,
)
_PASSPORT = re.compile(
    r"(?:\bpassport|\bпаспорт\w*|\bpa[sș]aport\w*|\bbuletin)[^\d\n]{0,25}?"
    r"(?P<value>(?:(?<!\w)[A-ZА-ЯІЇЄ]{1,2}[\s-]?)?\d[\d\s-]{2,12}\d"
    r"(?:\s*(?:номер|№|nr\.?|no\.?)\s*\d{5,7})?)",
    re.IGNORECASE,
)
_TAX_ID = re.compile(
    r"(?:\bИНН|\bІПН|\bРНОКПП|\bСНИЛС|\bCNP|\bIDNP|\bidentification number)[\s:№#]*"
    r"(?P<value>\d[\d\s-]{7,14}\d)",
    re.IGNORECASE,
)
_STREET = (
    r"ул\.|улиц\w+|вул\.|вулиц\w+|пр-т|просп\.|проспект\w*|пер\.|переул\w+|провул\w+|"
    r"бульвар\w*|б-р|шоссе|наб\.|набережн\w+|str\.|strada|bd\.|bulevardul|"
    r"[șş]os\.|[șş]oseaua|aleea|calea"
)
_ADDRESS = re.compile(
    rf"(?P<value>(?<!\w)(?:{_STREET})\s*[^\d\n,;]{{2,40}}?,?\s*"
    r"(?:д\.|дом|буд\.|будинок|nr\.?)?\s*\d+[\w/-]*"
    r"(?:,?\s*(?:кв\.?|квартира|apt\.?|ap\.|bl\.|sc\.)\s*\d+\w*)*)",
    re.IGNORECASE,
)
_ADDRESS_EN = re.compile(
    r"(?P<value>\b\d+[A-Za-z]?\s+(?:[A-Z][a-z]+\s){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr)\b\.?"
    r"(?:,?\s*(?:Apt|Suite|Unit)\.?\s*\w+)?)"
)
_DIGITS = re.compile(r"(?<![\d+])\d{12,13}(?!\d)")


def _groups(pattern: re.Pattern[str]) -> Callable[[str], Iterator[Span]]:
    def find(text: str) -> Iterator[Span]:
        for m in pattern.finditer(text):
            yield m.start("value"), m.end("value"), m.group("value").strip()

    return find


def orders(text: str) -> Iterator[Span]:
    """Order numbers after their word ("order", "заказ", "замовлення", "comanda", №, #) that
    hold at least three digits (not "заказ №2", not a word)."""
    for start, end, value in _groups(_ORDER)(text):
        if sum(ch.isdigit() for ch in value) >= 3:
            yield start, end, value


def passports(text: str) -> Iterator[Span]:
    yield from _groups(_PASSPORT)(text)


def identity_numbers(text: str) -> Iterator[Span]:
    """Tax and identity numbers after their name, and Romanian CNPs and Russian personal INNs
    anywhere (their check digits)."""
    yield from _groups(_TAX_ID)(text)
    for m in _DIGITS.finditer(text):
        value = m.group()
        if (len(value) == 13 and cnp.is_valid(value)) or (len(value) == 12 and inn.is_valid(value)):
            yield m.start(), m.end(), value


def addresses(text: str) -> Iterator[Span]:
    """A street (its word in Russian, Ukrainian, Romanian or English) with a house number, and
    a flat when one follows."""
    yield from _groups(_ADDRESS)(text)
    yield from _groups(_ADDRESS_EN)(text)
