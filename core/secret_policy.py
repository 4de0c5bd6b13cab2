"""What ``CXC_ENV=production`` refuses at start-up: a secret left unset where the product needs
one, a placeholder (``changeme``), a common or guessable one (``password``, ``12345678``,
judged by zxcvbn) and one of our own signing secrets shorter than 16 characters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from zxcvbn import zxcvbn

if TYPE_CHECKING:
    from core.config import Settings

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "token", "xxx", "placeholder", "test"}
SIGNING = ("telegram_webhook_secret", "pulse_link_secret", "webchat_secret", "metrics_token")
"""Secrets this product checks or signs with: long and random (``openssl rand -hex 32``)."""
CREDENTIALS = (
    "telegram_token",
    "llm_api_key",
    "embeddings_api_key",
    "smtp_password",
    "hubspot_token",
    "amocrm_token",
    "bitrix24_url",
)
"""Credentials another service issued: refused only when a placeholder or guessable."""
MIN_SIGNING_CHARS = 16
MIN_SCORE = 3
"""zxcvbn's score (0-4) a secret must reach: 3 is "safely unguessable" online and offline."""


def weakness(value: str, *, signing: bool) -> str | None:
    """Why ``value`` is too weak for production, or None."""
    if value.strip().lower() in PLACEHOLDERS:
        return "holds a placeholder secret"
    if signing and len(value) < MIN_SIGNING_CHARS:
        return f"is shorter than {MIN_SIGNING_CHARS} characters"
    if zxcvbn(value[:100])["score"] < MIN_SCORE:
        return "is a common or guessable secret"
    return None


def required(settings: Settings) -> list[str]:
    """The secrets production needs given what is turned on."""
    needed = []
    if settings.pulse_enabled:
        needed.append("pulse_link_secret")  # survey links on e-mail and the web chat
    if settings.telegram_token is not None:
        needed.append("telegram_webhook_secret")  # the webhook refuses unsigned updates
    return needed


def production_problems(settings: Settings) -> list[str]:
    """One line per refused setting, naming its variable (never its value)."""
    problems = []
    for name in required(settings):
        if getattr(settings, name) is None:
            problems.append(f"CXC_{name.upper()} is not set (production needs it)")
    for name in (*SIGNING, *CREDENTIALS):
        value: SecretStr | None = getattr(settings, name)
        if value is not None:
            why = weakness(value.get_secret_value(), signing=name in SIGNING)
            if why:
                problems.append(f"CXC_{name.upper()} {why}")
    password = _database_password(settings.database_url)
    if password is not None and weakness(password, signing=False):
        problems.append("CXC_DATABASE_URL holds a weak database password")
    return problems


def _database_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return make_url(url).password  # type: ignore[return-value]
    except ArgumentError:
        return None
