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
from core.privacy import PiiKind, find_pii, mask

log = logging.getLogger(__name__)


def leaks(
    text: str, *, others: Iterable[PersonalValues], own: PersonalValues, region: str = "RU"
) -> list[str]:
    """The personal values of other customers that ``text`` contains (values this customer
    shares with them, such as a common first name, are not theirs alone and do not count)."""
    found: list[str] = []
    spans = [s for s in find_pii(text, region=region) if s.kind in (PiiKind.PHONE, PiiKind.EMAIL)]
    contacts = {_norm(s.text) for s in spans}
    for other in others:
        if other.customer_id == own.customer_id:
            continue
        for value in other.values:
            if value in own:
                continue
            if _contains(text, value) or (_norm(value) in contacts and _norm(value)):
                found.append(value)
    return sorted(set(found))


def guard(
    text: str, *, others: Iterable[PersonalValues], own: PersonalValues, region: str = "RU"
) -> str:
    """``text`` if it holds no other customer's personal values, else with them masked."""
    others = list(others)
    found = leaks(text, others=others, own=own, region=region)
    if not found:
        return text
    log.warning(
        "personal data of another customer masked in a suggestion (%d value(s))", len(found)
    )
    masked = mask(text, region=region, known=found)
    contacts = {_norm(v) for v in found}
    for span in reversed(find_pii(masked, region=region)):
        if _norm(span.text) in contacts:
            masked = masked[: span.start] + f"[{span.kind.value}]" + masked[span.end :]
    return masked


def _contains(text: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE) is not None


def _norm(value: str) -> str:
    """A phone by its last ten digits, anything else case-folded."""
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7 and not re.search(r"[^\d\s()+.-]", value):
        return digits[-10:]
    return value.strip().casefold()
