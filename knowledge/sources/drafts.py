"""Entries as read from one place in one file (:class:`Draft`), merged by id into validated
``FaqEntry`` objects (:func:`merge`); the value helpers the readers share."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.domain import FaqEntry
from core.errors import SourceError

TAG_SPLIT = re.compile(r"[,;|]")


@dataclass(slots=True)
class Draft:
    """One entry as read from one place in one file, before merging by id."""

    id: str
    path: str
    line: int | None
    questions: list[str] = field(default_factory=list)
    answers: list[tuple[str | None, str]] = field(default_factory=list)
    language: str | None = None
    tags: list[str] = field(default_factory=list)


def question_id(question: str) -> str:
    return "q-" + hashlib.sha1(question.encode("utf-8")).hexdigest()[:10]


def opt_str(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def str_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = TAG_SPLIT.split(value) if isinstance(value, str) and "\n" not in value else value
    if isinstance(items, str):
        items = [items]
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def merge(drafts: Sequence[Draft], *, require_answer: bool = True) -> list[FaqEntry]:
    """Group drafts by id; different-language answers become translations."""
    groups: dict[str, list[Draft]] = {}
    for draft in drafts:
        groups.setdefault(draft.id, []).append(draft)
    return [merge_group(group, require_answer) for group in groups.values()]


def merge_group(group: list[Draft], require_answer: bool) -> FaqEntry:
    first = group[0]
    answers: dict[str | None, tuple[str, Draft]] = {}
    questions: dict[str, None] = {}
    tags: dict[str, None] = {}
    for draft in group:
        questions.update(dict.fromkeys(draft.questions))
        tags.update(dict.fromkeys(draft.tags))
        for lang, text in draft.answers:
            if lang in answers and answers[lang][0] != text:
                other = answers[lang][1]
                raise SourceError(
                    draft.path,
                    f"entry {draft.id!r} has two different answers"
                    f" in language {lang or '(unset)'}; the other is at"
                    f" {other.path}:{other.line} (set 'language' to mark a"
                    " translation)",
                    line=draft.line,
                )
            if lang is None and answers and None not in answers:
                raise SourceError(
                    draft.path,
                    f"entry {draft.id!r} has answers in several"
                    " languages; give this one a 'language'",
                    line=draft.line,
                )
            answers.setdefault(lang, (text, draft))
    if require_answer and not answers:
        raise SourceError(first.path, f"entry {first.id!r} has no answer", line=first.line)
    primary_lang = next(iter(answers), first.language)
    primary = answers.pop(primary_lang, ("", first))[0]
    return FaqEntry(
        id=first.id,
        questions=tuple(questions),
        answer=primary,
        language=primary_lang,
        tags=tuple(tags),
        source=first.path,
        translations=tuple((lang or "", text) for lang, (text, _) in answers.items()),
    )
