"""The web chat: a visitor on the shop's site talks to the same conversation as on Telegram.

A visitor is an identity on the ``web`` channel whose id is random and whose token is that id
signed with ``CXC_WEBCHAT_SECRET`` (:func:`sign`); the page keeps the token and sends it with
every request, so nobody can read or write another visitor's chat without it. A message gets
the bot's reply at once (:func:`say`); what comes later (an operator's reply, a pulse) waits in
the delivery log until the page fetches it (:func:`news`, ``core.platform.pickup``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets

from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.config import Settings
from core.conversation.inbound import Identity, Inbound
from core.conversation.replies import Reply
from core.conversation.turn import Conversation
from core.errors import ConfigError, NotFound, RateLimited
from core.models import OutboundDelivery
from core.platform import pickup
from core.ports import RateLimiter

WEB = pickup.WEB


def new_token(settings: Settings) -> str:
    """A new visitor's signed token."""
    return sign(secrets.token_urlsafe(12), settings)


def sign(visitor: str, settings: Settings) -> str:
    return f"{visitor}.{_mac(visitor, settings)}"


def visitor_of(token: str, settings: Settings) -> str:
    """The visitor behind a signed token; NotFound for a forged or malformed one."""
    visitor, _, mac = token.partition(".")
    if not visitor or not hmac.compare_digest(mac, _mac(visitor, settings)):
        raise NotFound("chat", token[:12])
    return visitor


def _mac(visitor: str, settings: Settings) -> str:
    if settings.webchat_secret is None:
        raise ConfigError("the web chat is off: set CXC_WEBCHAT_SECRET")
    key = settings.webchat_secret.get_secret_value().encode()
    digest = hmac.new(key, f"web:{visitor}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


async def say(
    session: AsyncSession,
    conversation: Conversation,
    *,
    token: str,
    text: str,
    language: str | None = None,
    limiter: RateLimiter | None = None,
) -> Reply:
    """The visitor's message, and the bot's reply to it (empty when a person owns the case).
    Over the visitor's limit (``CXC_RATE_LIMIT_WEBCHAT``) it is refused before anything is
    stored: RateLimited, worded in the visitor's language."""
    visitor = visitor_of(token, conversation.settings)
    await _within_limit(limiter, visitor, language or i18n.detect_language(text))
    identity = Identity(WEB, visitor, language=language)
    return await conversation.handle(session, Inbound(identity=identity, text=text))


async def pick(
    session: AsyncSession,
    conversation: Conversation,
    *,
    token: str,
    message_id: int,
    index: int,
    language: str | None = None,
    limiter: RateLimiter | None = None,
) -> Reply:
    """The visitor chose candidate ``index`` of the bot's clarifying message ``message_id``;
    counted against the visitor's limit like a message."""
    visitor = visitor_of(token, conversation.settings)
    await _within_limit(limiter, visitor, language)
    identity = Identity(WEB, visitor)
    return await conversation.pick(session, who=identity, message_id=message_id, index=index)


async def _within_limit(limiter: RateLimiter | None, visitor: str, language: str | None) -> None:
    wait = await limiter.hit(visitor) if limiter is not None else None
    if wait is not None:
        seconds = math.ceil(wait)
        notice = i18n.text(language, "bot.slow_down", seconds=seconds)
        raise RateLimited(notice, retry_after_s=seconds)


async def news(
    session: AsyncSession, *, token: str, settings: Settings, after: int = 0
) -> list[OutboundDelivery]:
    """What was sent to the visitor after the cursor ``after`` (operator replies, pulses)."""
    visitor = visitor_of(token, settings)
    return await pickup.pick_up(session, external_id=visitor, after=after)
