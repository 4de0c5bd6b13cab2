"""The Markdown FAQ reader (the format is described in ``knowledge.sources``): one entry per
``##`` heading, ``Also:``/``Q:``/``Tags:``/``Language:``/``ID:`` lines, ``{#id}`` anchors and
YAML front matter for the file's defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from core.errors import SourceError
from knowledge.sources.drafts import Draft, opt_str, question_id, str_list

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ANCHOR = re.compile(r"\s*\{#([^}\s]+)\}\s*$")
META = re.compile(r"^(also|q|tags|language|lang|id)\s*:\s*(.*)$", re.IGNORECASE)


def read_markdown(path: Path, text: str) -> list[Draft]:
    lines = text.splitlines()
    defaults, offset = front_matter(path, lines)
    headings = [(i, m) for i in range(offset, len(lines)) if (m := HEADING.match(lines[i]))]
    if not headings:
        raise SourceError(str(path), "no headings: write each question as a '## ' heading")
    level = 2 if any(len(m.group(1)) == 2 for _, m in headings) else 1
    starts = [(i, m) for i, m in headings if len(m.group(1)) <= level]
    drafts = []
    for n, (i, m) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        if len(m.group(1)) == level:
            drafts.append(markdown_entry(path, i + 1, m.group(2), lines[i + 1 : end], defaults))
    return drafts


def front_matter(path: Path, lines: list[str]) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].strip() != "---":
        return {}, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise SourceError(str(path), "front matter opened with '---' is never closed", line=1)
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceError(
            str(path),
            f"invalid front matter: {getattr(exc, 'problem', exc)}",
            line=mark.line + 2 if mark is not None else 1,
        ) from None
    if not isinstance(data, dict):
        raise SourceError(str(path), "front matter must be 'key: value' lines", line=1)
    return data, end + 1


def markdown_entry(
    path: Path, line: int, heading: str, body: list[str], defaults: dict[str, Any]
) -> Draft:
    anchor = ANCHOR.search(heading)
    question = ANCHOR.sub("", heading).strip()
    if not question:
        raise SourceError(str(path), "empty heading", line=line)
    meta: dict[str, list[str]] = {}
    rest = list(body)
    while rest and (
        not rest[0].strip()
        or META.match(rest[0].strip())
        or (rest[0].lstrip().startswith("- ") and "also" in meta)
    ):
        item = rest.pop(0).strip()
        if item.startswith("- "):
            meta["also"].append(item[2:].strip())
        elif (m := META.match(item)) is not None:
            key = {"q": "also", "lang": "language"}.get(m.group(1).lower(), m.group(1).lower())
            meta.setdefault(key, []).extend(v.strip() for v in m.group(2).split("|"))
    answer = "\n".join(rest).strip()
    entry_id = anchor.group(1) if anchor else next(iter(meta.get("id", [])), "") or slug(question)
    lang = (
        next(iter(meta.get("language", [])), "") or opt_str(defaults.get("language")) or ""
    ).lower() or None
    tags = str_list(defaults.get("tags")) + str_list(",".join(meta.get("tags", [])))
    questions = [question, *(q for q in meta.get("also", []) if q)]
    return Draft(
        entry_id, str(path), line, questions, [(lang, answer)] if answer else [], lang, tags
    )


def slug(text: str) -> str:
    words = re.findall(r"\w+", text.lower())
    return "-".join(words)[:60] or question_id(text)
