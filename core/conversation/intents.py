"""What a customer's words ask for, recognised from phrases (ru, uk, ro, en): "still not fixed"
(:func:`recognize` gives :attr:`Intent.REOPEN`), a message that must go to a person (a request
for one, an angry complaint, a legal threat, harm: :attr:`Intent.HUMAN`, the reason from
:func:`handover_reason`), a greeting or thanks on its own (:func:`small_talk`) and "where is
my order?" (:func:`asks_order_status`). Buttons and
commands state their intent on the :class:`Inbound`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

from core.conversation.handover import Handover, handover

if TYPE_CHECKING:
    from core.conversation.inbound import Inbound


class Intent(StrEnum):
    MESSAGE = "message"
    HUMAN = "human"
    """/human or "Talk to a person"."""
    REOPEN = "reopen"
    """"Still not fixed": reopen the last resolved case when it is within the reopen window."""


STILL_NOT_FIXED = (
    "still not fixed",
    "still not working",
    "still broken",
    "not fixed",
    "still doesn't work",
    "still does not work",
    "всё ещё не",
    "все еще не",
    "всё еще не",
    "все ещё не",
    "не решено",
    "не решена",
    "по-прежнему не",
    "досі не",
    "все ще не",
    "не вирішено",
    "tot nu",
    "încă nu",
    "inca nu",
    "nu e rezolvat",
    "nu este rezolvat",
)


ORDER_STATUS = (
    "where is my order",
    "where's my order",
    "status of my order",
    "my order status",
    "order status",
    "track my order",
    "где мой заказ",
    "где заказ",
    "где же мой заказ",
    "статус заказа",
    "статус моего заказа",
    "когда привезут заказ",
    "когда доставят заказ",
    "де моє замовлення",
    "де замовлення",
    "статус замовлення",
    "коли доставлять замовлення",
    "unde este comanda",
    "unde e comanda",
    "unde îmi este comanda",
    "unde imi este comanda",
    "statusul comenzii",
)


def asks_order_status(text: str) -> bool:
    """ "Where is my order?" in ru, uk, ro or en."""
    lowered = " ".join(text.lower().replace("ё", "е").replace("’", "'").split())
    return any(phrase in lowered for phrase in ORDER_STATUS)


def recognize(inbound: Inbound) -> Intent:
    """The intent of ``inbound``: the one a button or command stated, else read from the text."""
    if inbound.intent != Intent.MESSAGE:
        return inbound.intent
    if inbound.text and is_still_not_fixed(inbound.text):
        return Intent.REOPEN
    if handover_reason(inbound) is not None:
        return Intent.HUMAN
    return Intent.MESSAGE


def handover_reason(inbound: Inbound) -> Handover | None:
    """Why the words or the sticker of ``inbound`` must go to a person, if they must."""
    emoji = next((a.emoji for a in inbound.attachments if a.kind == "sticker" and a.emoji), None)
    return handover(inbound.text, emoji=emoji)


def is_still_not_fixed(text: str) -> bool:
    lowered = text.lower().replace("’", "'")
    return any(phrase in lowered for phrase in STILL_NOT_FIXED)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


GREETINGS = _words(
    "hi hello hey hiya morning afternoon evening привет приветствую здравствуйте здравствуй "
    "здрасте добрый доброе доброго вітаю привіт добрий salut bună buna neața neata"
)
GREETING_EXTRA = _words(
    "there good day all everyone день утро вечер всем ранку вечора дня ziua dimineața "
    "dimineata seara"
)
THANKS = _words(
    "thanks thank thx ty спасибо спс благодарю дякую мерси mulțumesc multumesc mersi mulțam "
    "mulțumiri"
)
THANKS_EXTRA = _words(
    "you very much a lot so ok okay great cool большое огромное вам тебе очень ок хорошо "
    "отлично супер понятно дуже щиро тобі добре чудово mult foarte frumos vă îți bine super"
)


def small_talk(text: str) -> str | None:
    """Says "greeting" or "thanks" when the message is only that (ru/uk/ro/en), else None.

    Such messages are not questions: answering them from the FAQ or handing them to a person
    would both be wrong. A greeting with a question in it is a question.
    """
    words = set(re.findall(r"[^\W\d_]+", text.lower().replace("ё", "е")))
    if not words or len(words) > 6:
        return None
    greeting = GREETINGS | GREETING_EXTRA
    if words & GREETINGS and words <= greeting:
        return "greeting"
    if words & THANKS and words <= THANKS | THANKS_EXTRA | greeting:
        return "thanks"
    return None
