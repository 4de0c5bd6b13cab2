"""Personal data in free text: find it, mask it, and keep it out of what others may see.

Found with maintained libraries where one exists: phone numbers with ``phonenumbers`` (any
format; national ones of the default region and of Russia, Ukraine, Moldova and Romania), card
numbers by their Luhn check and IBANs by their check digits (``python-stdnum``), e-mail
addresses by their syntax; order, passport and identity numbers and street addresses by the
words around them (``core.privacy_context``). Values the system itself knows to be personal
(a customer's name, order numbers, promo codes, addresses) are passed in as ``known`` and
masked wherever they occur.

A card number is always shown as its last four digits; the other kinds become a placeholder
such as ``[phone]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import phonenumbers
from stdnum import iban, luhn

from core import privacy_context


class PiiKind(StrEnum):
    CARD = "card"
    IBAN = "iban"
    EMAIL = "email"
    PHONE = "phone"
    KNOWN = "personal"
    PASSPORT = "passport"
    ID_NUMBER = "id_number"
    ORDER = "order"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class PiiSpan:
    start: int
    end: int
    kind: PiiKind
    text: str


_CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_MIN_PHONE_DIGITS = 5  # no phone number of any served region is shorter
_MIN_KNOWN = 3  # shorter known values ("Li", "12") would mask ordinary words and numbers


def find_pii(text: str, *, region: str = "RU", known: Iterable[str] = ()) -> list[PiiSpan]:
    """Every personal-data span in ``text``, in order, without overlaps (the earlier kind in
    IBAN, card, e-mail, phone, known, passport, identity number, order, address order wins an
    overlap: an IBAN's digits can pass Luhn)."""
    spans: list[PiiSpan] = []
    for found in (
        _ibans(text),
        _cards(text),
        _matches(_EMAIL, text, PiiKind.EMAIL),
        _phones(text, region),
        _known(text, known),
        _context(privacy_context.passports(text), PiiKind.PASSPORT),
        _context(privacy_context.identity_numbers(text), PiiKind.ID_NUMBER),
        _context(privacy_context.orders(text), PiiKind.ORDER),
        _context(privacy_context.addresses(text), PiiKind.ADDRESS),
    ):
        for span in found:
            if not any(span.start < s.end and s.start < span.end for s in spans):
                spans.append(span)
    return sorted(spans, key=lambda s: s.start)


def find_contacts(text: str, *, region: str = "RU") -> list[PiiSpan]:
    """The e-mail addresses and phone numbers in ``text`` (the part of :func:`find_pii` that
    identifies someone whatever its format), in order; overlaps with other kinds are kept."""
    emails = _matches(_EMAIL, text, PiiKind.EMAIL) if "@" in text else []
    phones = _phones(text, region) if sum(c.isdigit() for c in text) >= _MIN_PHONE_DIGITS else []
    return sorted(emails + phones, key=lambda s: s.start)


def mask(text: str, *, region: str = "RU", known: Iterable[str] = ()) -> str:
    """``text`` with every personal-data span replaced (cards keep their last four digits)."""
    out, last = [], 0
    for span in find_pii(text, region=region, known=known):
        out.append(text[last : span.start])
        out.append(_placeholder(span))
        last = span.end
    out.append(text[last:])
    return "".join(out)


def mask_cards(text: str) -> str:
    """Only card numbers masked (last four digits kept): what every role may see."""
    out, last = [], 0
    for span in _cards(text):
        out.append(text[last : span.start] + _placeholder(span))
        last = span.end
    return "".join(out) + text[last:]


def has_pii(text: str, *, region: str = "RU", known: Iterable[str] = ()) -> bool:
    return bool(find_pii(text, region=region, known=known))


@dataclass(frozen=True, slots=True)
class Disclosure:
    """How much personal data one viewer may see in free text: card numbers are always masked
    (their last four digits kept); phones, e-mails and IBANs too, unless ``contacts``.
    Who gets which is decided in ``core.platform.auth.disclosure_for``."""

    contacts: bool
    region: str = "RU"

    def text(self, value: str) -> str:
        return mask_cards(value) if self.contacts else mask(value, region=self.region)

    def data(self, value: Any) -> Any:
        """``value`` with every string inside it (dicts, lists) passed through :meth:`text`."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def _placeholder(span: PiiSpan) -> str:
    if span.kind is PiiKind.CARD:
        return "•••• " + re.sub(r"\D", "", span.text)[-4:]
    return f"[{span.kind.value}]"


def _matches(pattern: re.Pattern[str], text: str, kind: PiiKind) -> list[PiiSpan]:
    return [PiiSpan(m.start(), m.end(), kind, m.group()) for m in pattern.finditer(text)]


def _cards(text: str) -> list[PiiSpan]:
    return [
        span
        for span in _matches(_CARD, text, PiiKind.CARD)
        if 13 <= len(digits := re.sub(r"\D", "", span.text)) <= 19 and luhn.is_valid(digits)
    ]


def _ibans(text: str) -> list[PiiSpan]:
    return [s for s in _matches(_IBAN, text.upper(), PiiKind.IBAN) if iban.is_valid(s.text)]


SERVED_REGIONS = ("RU", "UA", "MD", "RO")
"""National phone formats recognised besides the configured default region: the countries whose
languages the product speaks. A number with a country code is recognised whatever its region."""


def normalize_phone(value: str, region: str = "RU") -> str | None:
    """``value`` in E.164 ("+7 912 000-02-37" and "8 (912) 000-02-37" are "+79120000237"), or
    None when it is no phone number. A national format is read in ``region`` and must be a valid
    number there; one written with its country code need only have a possible length (numbers
    reserved for examples and new ranges are phones too)."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    international = value.lstrip().startswith("+")
    if not phonenumbers.is_valid_number(number) and not (
        international and phonenumbers.is_possible_number(number)
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phones(text: str, region: str) -> list[PiiSpan]:
    leniency = phonenumbers.Leniency.VALID
    spans: dict[tuple[int, int], PiiSpan] = {}
    for where in dict.fromkeys((region, *SERVED_REGIONS)):
        for m in phonenumbers.PhoneNumberMatcher(text, where, leniency=leniency):
            spans.setdefault((m.start, m.end), PiiSpan(m.start, m.end, PiiKind.PHONE, m.raw_string))
    return sorted(spans.values(), key=lambda s: s.start)


def _context(found: Iterable[tuple[int, int, str]], kind: PiiKind) -> list[PiiSpan]:
    return [PiiSpan(start, end, kind, value) for start, end, value in found]


def _known(text: str, known: Iterable[str]) -> list[PiiSpan]:
    spans: list[PiiSpan] = []
    values = {v.strip() for v in known if v and len(v.strip()) >= _MIN_KNOWN}
    for value in sorted(values, key=len, reverse=True):  # a whole name wins over its parts
        pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
        spans.extend(_matches(pattern, text, PiiKind.KNOWN))
    return spans
