"""Contact reasons: a small taxonomy (YAML, ``core/policy/contact_reasons.yaml`` by default,
``CXC_CONTACT_REASONS`` for another file) and the reason of every case, kept in ``Case.topic``.

A case gets its reason automatically the first time the bot answers it, escalates it or it is
resolved (:func:`assign`): the FAQ entry it was answered with (the taxonomy's ``entries``), else
that entry's tags (``tags``), else the words of the customer's first messages (``keywords``: the
reason with the most hits, then the longest matched words, then the first listed), else the
default. A reason already set
(by an operator, or ``recovery: ...`` on a recovery case) is never overwritten automatically;
an operator confirms or changes it when resolving (:func:`check`, then ``lifecycle.resolve``
records it on the case and on the resolution event).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.errors import InvalidInput
from core.models import Author, Case, Message
from core.platform.records import fetch

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "policy" / "contact_reasons.yaml"
FIRST_MESSAGES = 3


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    labels: dict[str, str]
    entries: frozenset[str]
    tags: frozenset[str]
    keywords: tuple[re.Pattern[str], ...]

    def hits(self, text: str) -> tuple[int, int]:
        """How many keywords the text holds, and how many characters they cover (a longer
        phrase is the more specific on a tie)."""
        found = [m for pattern in self.keywords if (m := pattern.search(text))]
        return len(found), sum(len(m.group(0)) for m in found)


@dataclass(frozen=True, slots=True)
class Taxonomy:
    reasons: tuple[Reason, ...]
    default: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def label(self, code: str, language: str = "en") -> str:
        reason = next((r for r in self.reasons if r.code == code), None)
        if reason is None:
            return code
        return reason.labels.get(language) or reason.labels.get("en") or code

    def classify(
        self, *, entry_id: str | None = None, tags: tuple[str, ...] = (), text: str = ""
    ) -> str:
        """The reason for a case answered with ``entry_id`` (tagged ``tags``) whose customer
        wrote ``text``."""
        for reason in self.reasons:
            if entry_id is not None and entry_id in reason.entries:
                return reason.code
        for reason in self.reasons:
            if reason.tags.intersection(tags):
                return reason.code
        lowered = text.lower()
        best, most = self.default, (0, 0)
        for reason in self.reasons:
            hits = reason.hits(lowered)
            if hits > most:
                best, most = reason.code, hits
        return best


def load(path: Path | None = None) -> Taxonomy:
    """The taxonomy in ``path`` (the bundled retail default when None), read once per file."""
    return _load(Path(path or DEFAULT_FILE).resolve())


def for_settings(settings: Settings | None) -> Taxonomy:
    return load(settings.contact_reasons if settings is not None else None)


@cache
def _load(path: Path) -> Taxonomy:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        reasons = tuple(_reason(code, spec or {}) for code, spec in document["reasons"].items())
        default = str(document.get("default", "other"))
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"contact reasons {path}: {exc}") from None
    if default not in {r.code for r in reasons}:
        raise InvalidInput(f"contact reasons {path}: the default {default!r} is not a reason")
    return Taxonomy(reasons, default)


def _reason(code: Any, spec: dict[str, Any]) -> Reason:
    words = [str(k).lower().strip() for k in spec.get("keywords", []) if str(k).strip()]
    return Reason(
        code=str(code),
        labels={str(k): str(v) for k, v in (spec.get("label") or {}).items()},
        entries=frozenset(str(e) for e in spec.get("entries", [])),
        tags=frozenset(str(t) for t in spec.get("tags", [])),
        keywords=tuple(re.compile(rf"(?<!\w){re.escape(w)}") for w in words),
    )


async def assign(
    session: AsyncSession,
    *,
    case_id: int,
    taxonomy: Taxonomy,
    entry_id: str | None = None,
    tags: tuple[str, ...] = (),
    final: bool = True,
) -> Case:
    """Give the case its reason if it has none yet (see the module docstring). Not ``final``
    (the conversation is still going on), the default reason is not given: a later message or
    the resolution may still tell."""
    case = await fetch(session, Case, case_id, kind="case")
    if case.topic is not None:
        return case
    text = await first_words(session, case_id=case_id)
    code = taxonomy.classify(entry_id=entry_id or case.knowledge_entry_id, tags=tags, text=text)
    if code == taxonomy.default and not final:
        return case
    case.topic = code
    session.add(case)
    await session.commit()
    return case


def check(taxonomy: Taxonomy, code: str) -> str:
    """An operator's choice of reason: one of the taxonomy's codes, else InvalidInput."""
    if code not in taxonomy.codes:
        raise InvalidInput(f"unknown contact reason {code!r}; one of {', '.join(taxonomy.codes)}")
    return code


async def first_words(session: AsyncSession, *, case_id: int) -> str:
    """The customer's first messages on the case, joined."""
    stmt = (
        select(Message.text)
        .where(Message.case_id == case_id, Message.author == Author.CUSTOMER)
        .order_by(col(Message.id))
        .limit(FIRST_MESSAGES)
    )
    return "\n".join((await session.exec(stmt)).all())
