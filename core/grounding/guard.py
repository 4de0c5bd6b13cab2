"""Whether a model's reply is grounded in the FAQ entries it was given.

A reply is refused when it cites no entry or one that was not retrieved, holds a placeholder it
was not given, or says something the sources do not: a number (amounts, dates, order numbers),
a currency, a link, personal data, a refund or compensation promise, or a day or month. The
bot never promises money, refunds or dates on its own; the sources may.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from enum import StrEnum

from core.privacy import find_pii
from core.redaction import PLACEHOLDER


class Rejection(StrEnum):
    EMPTY = "empty"
    NO_SOURCE = "no_source"
    UNKNOWN_SOURCE = "unknown_source"
    PLACEHOLDER = "placeholder"
    NUMBER = "number"
    MONEY = "money"
    LINK = "link"
    PERSONAL = "personal_data"
    PROMISE = "promise"
    DATE = "date"
    TOO_LONG = "too_long"


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|ru|ua|md|ro|info|biz"
    r"|xyz|link|me|co|app|shop|site|online|top|ly|gl)\b(?:/\S*)?"
)
_MONEY = re.compile(
    r"(?i)[$€£₽₴]|\b(?:usd|eur|rub|uah|mdl|ron|lei|leu|dollars?|euros?|руб\w*|грн|гривн\w*"
    r"|доллар\w*|евро|євро|bani|копе\w*)\b"
)
_PROMISE = re.compile(
    r"(?i)\b(?:refund\w*|reimburs\w*|compensat\w*|money back|cashback|voucher\w*|free of charge"
    r"|guarantee\w*|возвр\w*|верн[её]\w*|вернуть|компенс\w*|возмест\w*|бесплатн\w*|гарант\w*"
    r"|поверн\w*|відшкод\w*|безкоштовн\w*|rambursa\w*|ramburs\w*|returna\w*|restitui\w*"
    r"|compensa\w*|gratuit\w*|garant\w*|despăgub\w*|promit\w*|обеща\w*|обіця\w*|promis\w*)"
)
_DATE = re.compile(
    r"(?i)\b(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|january|february|march|april|june|july|august|september|october|november|december"
    r"|сегодня|завтра|послезавтра|понедельник\w*|вторник\w*|сред[ау]|четверг\w*|пятниц\w*"
    r"|суббот\w*|воскресень\w*|январ\w*|феврал\w*|март\w*|апрел\w*|июн\w*|июл\w*|август\w*"
    r"|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*|сьогодні|післязавтра|понеділ\w*|вівтор\w*"
    r"|середу|четвер\w*|п'ятниц\w*|субот\w*|неділ\w*|січн\w*|січень|лютого|березн\w*|березень"
    r"|квітн\w*|квітень|травн\w*|травень|червн\w*|червень|липн\w*|липень|серпн\w*|серпень"
    r"|вересн\w*|вересень|жовтн\w*|жовтень|листопад\w*|грудн\w*|грудень|astăzi|mâine|marți"
    r"|miercuri|joi|vineri|sâmbătă|duminică|ianuarie|februarie|martie|aprilie|iunie"
    r"|iulie|septembrie|octombrie|noiembrie|decembrie)\b"
)
MAX_GROWTH = 3
"""A reply may be at most this many times as long as the sources it was given (plus a few
hundred characters): a longer one is saying something else."""


def check(
    reply: str,
    *,
    cited: Sequence[str],
    retrieved: Collection[str],
    sources: Sequence[str],
    placeholders: Collection[str] = (),
) -> Rejection | None:
    """Why ``reply`` (in redacted form, as the model wrote it) may not be shown, or None.
    ``sources`` are the texts the model was given (redacted the same way)."""
    if not reply.strip():
        return Rejection.EMPTY
    if not cited:
        return Rejection.NO_SOURCE
    if any(c not in retrieved for c in cited):
        return Rejection.UNKNOWN_SOURCE
    if any(p not in placeholders for p in PLACEHOLDER.findall(reply)):
        return Rejection.PLACEHOLDER
    given = "\n".join(sources)
    if len(reply) > MAX_GROWTH * len(given) + 300:
        return Rejection.TOO_LONG
    return _unsupported(PLACEHOLDER.sub(" ", reply), PLACEHOLDER.sub(" ", given))


def _unsupported(reply: str, given: str) -> Rejection | None:
    lowered = given.lower()
    if any(span.text.lower() not in lowered for span in find_pii(reply)):
        return Rejection.PERSONAL
    given_numbers = {_digits(n) for n in _NUMBER.findall(given)}
    if any(_digits(n) not in given_numbers for n in _NUMBER.findall(reply)):
        return Rejection.NUMBER
    for rejection, pattern in (
        (Rejection.LINK, _LINK),
        (Rejection.MONEY, _MONEY),
        (Rejection.PROMISE, _PROMISE),
        (Rejection.DATE, _DATE),
    ):
        if any(m.group().lower() not in lowered for m in pattern.finditer(reply)):
            return rejection
    return None


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)
