"""No customer's personal data reaches another customer's case.

What an operator is shown about *other* customers' cases (the similar resolved cases behind a
suggestion) is their resolution code and outcome, never their text (``similar_cases``). Before
suggestions leave the core, :func:`guard` checks each outgoing text against the personal values
of every other customer whose case was a source (``core.customers.personal``), and masks any it
finds (and logs it: it means a source of the draft let one through).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from core.customers.personal import PersonalValues
from core.privacy import find_contacts, find_pii, mask

log = logging.getLogger(__name__)


class Guard:
    """The personal values of other customers, prepared once for every text of one suggestion:
    a text is searched once for any of them (one pattern), and value by value only when that
    finds one; phones and e-mails are compared whatever their format."""

    def __init__(
        self, *, others: Iterable[PersonalValues], own: PersonalValues, region: str = "RU"
    ) -> None:
        shared = {v.casefold() for v in own.values}
        self.values = sorted(
            {
                value
                for other in others
                if other.customer_id != own.customer_id
                for value in other.values
                if value.casefold() not in shared
            }
        )
        """Theirs alone: values this customer shares with them (a first name) do not count."""
        self.region = region
        self._norms = {value: _norm(value) for value in self.values}
        longest_first = sorted(self.values, key=len, reverse=True)
        alternatives = "|".join(re.escape(v) for v in longest_first)
        self._any = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def leaks(self, text: str) -> list[str]:
        """The values ``text`` contains, as written or (phones, e-mails) in any format."""
        if not self.values:
            return []
        found = set()
        if self._any.search(text) is not None:
            found = {value for value in self.values if _contains(text, value)}
        contacts = {_norm(s.text) for s in find_contacts(text, region=self.region)}
        found |= {value for value, norm in self._norms.items() if norm and norm in contacts}
        return sorted(found)

    def guard(self, text: str) -> str:
        """``text`` if it holds none of the values, else with them masked."""
        found = self.leaks(text)
        if not found:
            return text
        log.warning(
            "personal data of another customer masked in a suggestion (%d value(s))", len(found)
        )
        masked = mask(text, region=self.region, known=found)
        contacts = {_norm(v) for v in found}
        for span in reversed(find_pii(masked, region=self.region)):
            if _norm(span.text) in contacts:
                masked = masked[: span.start] + f"[{span.kind.value}]" + masked[span.end :]
        return masked


def leaks(
    text: str, *, others: Iterable[PersonalValues], own: PersonalValues, region: str = "RU"
) -> list[str]:
    """The personal values of other customers that ``text`` contains (values this customer
    shares with them, such as a common first name, are not theirs alone and do not count)."""
    return Guard(others=others, own=own, region=region).leaks(text)


def guard(
    text: str, *, others: Iterable[PersonalValues], own: PersonalValues, region: str = "RU"
) -> str:
    """``text`` if it holds no other customer's personal values, else with them masked."""
    return Guard(others=others, own=own, region=region).guard(text)


def _contains(text: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE) is not None


def _norm(value: str) -> str:
    """A phone by its last ten digits, anything else case-folded."""
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7 and not re.search(r"[^\d\s()+.-]", value):
        return digits[-10:]
    return value.strip().casefold()
