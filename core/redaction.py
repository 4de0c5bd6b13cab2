"""Personal data replaced by numbered placeholders before text leaves for a language model,
and put back in what comes back.

The spans are found by ``core.privacy.find_pii`` (phones, e-mails, card numbers, IBANs,
passport, identity and order numbers, street addresses, and the values the system knows to be
personal: the customer's names, identities, order numbers, addresses and promo codes from
``core.customers.personal``). The same value always gets the same placeholder (``<PHONE_1>``,
``<EMAIL_1>``, ``<CARD_1>``, ``<IBAN_1>``, ``<PASSPORT_1>``, ``<ID_1>``, ``<ORDER_1>``,
``<ADDRESS_1>``, ``<NAME_1>``; a known value with digits ``<REF_1>``), so the model can refer
to it without seeing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.privacy import PiiKind, find_pii

_LABELS = {
    PiiKind.PHONE: "PHONE",
    PiiKind.EMAIL: "EMAIL",
    PiiKind.CARD: "CARD",
    PiiKind.IBAN: "IBAN",
    PiiKind.KNOWN: "NAME",
    PiiKind.PASSPORT: "PASSPORT",
    PiiKind.ID_NUMBER: "ID",
    PiiKind.ORDER: "ORDER",
    PiiKind.ADDRESS: "ADDRESS",
}
PLACEHOLDER = re.compile(r"<(?:PHONE|EMAIL|CARD|IBAN|NAME|REF|PASSPORT|ID|ORDER|ADDRESS)_\d+>")


@dataclass(slots=True)
class Redactor:
    """One conversation's placeholder mapping: ``redact`` before sending, ``restore`` after."""

    region: str = "RU"
    known: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    """Placeholder -> the original value."""

    def redact(self, text: str) -> str:
        out, last = [], 0
        for span in find_pii(text, region=self.region, known=self.known):
            out.append(text[last : span.start])
            out.append(self._placeholder(span.kind, span.text))
            last = span.end
        out.append(text[last:])
        return "".join(out)

    def restore(self, text: str) -> str:
        """``text`` with the placeholders this redactor made put back (others stay as they are:
        the guard refuses a reply that holds one)."""
        return PLACEHOLDER.sub(lambda m: self.values.get(m.group(), m.group()), text)

    def unknown_placeholders(self, text: str) -> list[str]:
        return [p for p in PLACEHOLDER.findall(text) if p not in self.values]

    def _placeholder(self, kind: PiiKind, value: str) -> str:
        for placeholder, known in self.values.items():
            if known == value:
                return placeholder
        label = _LABELS[kind]
        if kind is PiiKind.KNOWN and any(ch.isdigit() for ch in value):
            label = "REF"  # a known order number, address or promo code, not a name
        count = sum(1 for p in self.values if p.startswith(f"<{label}_"))
        placeholder = f"<{label}_{count + 1}>"
        self.values[placeholder] = value
        return placeholder


def redactor(*, region: str = "RU", known: Iterable[str] = ()) -> Redactor:
    return Redactor(region=region, known=tuple(k for k in known if k))
