"""Everything the bot says, in Russian, Ukrainian, Romanian and English: the ``bot.*``
messages of the catalogue (``core.i18n``), worded by ``core.conversation.wording``."""

from __future__ import annotations

from core import i18n
from core.conversation.wording import LANGUAGE_NAMES, render_reply, t

__all__ = ["DEFAULT", "LANGUAGES", "LANGUAGE_NAMES", "language_of", "render_reply", "t"]

LANGUAGES = i18n.LANGUAGES
DEFAULT = i18n.DEFAULT


def language_of(code: str | None) -> str:
    """Telegram's language_code ('ru', 'en-US', 'uk') -> one of LANGUAGES."""
    return i18n.language_of(code)
