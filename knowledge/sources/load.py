"""Reading FAQ files: CSV/TSV, JSON and YAML here, Markdown in ``knowledge.sources.markdown``.

The formats are described in ``knowledge.sources``. ``validate_entries`` is the check a set of
entries passes before it replaces a knowledge base.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.domain import FaqEntry
from core.errors import InvalidInput, SourceError
from knowledge.sources.drafts import TAG_SPLIT, Draft, merge, opt_str, question_id, str_list
from knowledge.sources.markdown import read_markdown

SUFFIXES = (".csv", ".tsv", ".json", ".yaml", ".yml", ".md", ".markdown")
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "entry_id", "entry", "faq_id", "key", "intent", "category", "label", "ид"),
    "question": (
        "question",
        "questions",
        "q",
        "text",
        "query",
        "utterance",
        "instruction",
        "phrasing",
        "вопрос",
    ),
    "answer": ("answer", "a", "response", "reply", "ответ"),
    "language": ("language", "lang", "locale", "язык"),
    "tags": ("tags", "tag", "keywords", "теги"),
}


@dataclass(frozen=True, slots=True)
class CsvColumns:
    """CSV column names; ``None`` means "find it by the usual aliases"."""

    id: str | None = None
    question: str | None = None
    answer: str | None = None
    language: str | None = None
    tags: str | None = None


def load_sources(
    paths: Sequence[Path], *, columns: CsvColumns | None = None, require_answer: bool = True
) -> list[FaqEntry]:
    """Read and validate every file, then merge entries by id. Raises SourceError."""
    files = _expand(paths)
    drafts: list[Draft] = []
    for path in files:
        drafts.extend(read_file(path, columns=columns or CsvColumns()))
    return merge(drafts, require_answer=require_answer)


def _expand(paths: Sequence[Path]) -> list[Path]:
    if not paths:
        raise SourceError("-", "no knowledge source files given")
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
            )
            if not found:
                raise SourceError(str(path), "folder holds no .csv/.json/.yaml/.md files")
            files.extend(found)
        elif not path.is_file():
            raise SourceError(str(path), "file not found")
        elif path.suffix.lower() not in SUFFIXES:
            raise SourceError(
                str(path),
                f"unsupported file type {path.suffix or '(none)'!r};"
                f" use one of {', '.join(SUFFIXES)}",
            )
        else:
            files.append(path)
    return files


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            str(path), "not valid UTF-8 text (save the file as UTF-8)", line=line
        ) from None


def read_file(path: Path, *, columns: CsvColumns) -> list[Draft]:
    text = read_text(path)
    suffix = path.suffix.lower()
    if not text.strip():
        raise SourceError(str(path), "file is empty")
    if suffix in (".csv", ".tsv"):
        return read_csv(path, text, columns, delimiter="\t" if suffix == ".tsv" else None)
    if suffix in (".md", ".markdown"):
        return read_markdown(path, text)
    return read_structured(path, text)


# -- CSV ---------------------------------------------------------------------------------


def find_column(header: Sequence[str], role: str, explicit: str | None) -> str | None:
    """The header name for ``role``: the explicit one (which must exist) or the first alias."""
    lowered = {name.strip().lower(): name for name in header}
    if explicit is not None:
        if explicit.strip().lower() not in lowered:
            raise KeyError(explicit)
        return lowered[explicit.strip().lower()]
    return next((lowered[a] for a in ALIASES[role] if a in lowered), None)


def csv_rows(path: Path, text: str, delimiter: str | None = None) -> Iterable[tuple[int, dict]]:
    """(line number, row) pairs from a CSV text with a header; the header must exist."""
    first = text.split("\n", 1)[0]
    if delimiter is None:
        delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        start = reader.line_num + 1
        for values in reader:
            if any(v.strip() for v in values):
                if len(values) > len(header):
                    raise SourceError(
                        str(path),
                        f"row has {len(values)} fields but the header has {len(header)}",
                        line=start,
                    )
                yield start, dict(zip(header, values, strict=False))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SourceError(str(path), f"malformed CSV: {exc}", line=reader.line_num) from None


def csv_header(text: str, delimiter: str | None = None) -> list[str]:
    first = text.split("\n", 1)[0]
    delimiter = delimiter or max(",;\t", key=first.count)
    return next(csv.reader([first], delimiter=delimiter))


def read_csv(path: Path, text: str, columns: CsvColumns, *, delimiter: str | None) -> list[Draft]:
    header = csv_header(text, delimiter)
    names: dict[str, str | None] = {}
    for role in ALIASES:
        try:
            names[role] = find_column(header, role, getattr(columns, role))
        except KeyError as exc:
            raise SourceError(
                str(path), f"no column {exc.args[0]!r} (header: {header})", line=1
            ) from None
    if names["question"] is None:
        raise SourceError(str(path), f"no question column (header: {header})", line=1)
    drafts = []
    for line, row in csv_rows(path, text, delimiter):
        question = (row.get(names["question"] or "") or "").strip()
        if not question:
            raise SourceError(str(path), "row has no question", line=line)
        entry_id = question_id(question)
        if names["id"] is not None:
            entry_id = (row.get(names["id"]) or "").strip()
            if not entry_id:
                raise SourceError(str(path), "row has an empty id", line=line)
        lang = (row.get(names["language"] or "") or "").strip().lower() or None
        answer = (row.get(names["answer"] or "") or "").strip()
        tags = [t.strip() for t in TAG_SPLIT.split(row.get(names["tags"] or "") or "")]
        drafts.append(
            Draft(
                entry_id,
                str(path),
                line,
                [question],
                [(lang, answer)] if answer else [],
                lang,
                [t for t in tags if t],
            )
        )
    if not drafts:
        raise SourceError(str(path), "no data rows under the header", line=1)
    return drafts


# -- JSON / YAML -------------------------------------------------------------------------


def read_structured(path: Path, text: str) -> list[Draft]:
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise SourceError(str(path), f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SourceError(
            str(path), f"invalid YAML: {getattr(exc, 'problem', exc)}", line=line
        ) from None
    default_lang = None
    if isinstance(data, dict):
        default_lang = opt_str(data.get("language"))
        data = data.get("entries")
    if not isinstance(data, list) or not data:
        raise SourceError(str(path), "expected a non-empty list of entries (or 'entries:')")
    lines = item_lines(text)
    return [
        structured_draft(path, item, lines[i] if i < len(lines) else None, default_lang)
        for i, item in enumerate(data)
    ]


def item_lines(text: str) -> list[int]:
    """1-based start lines of the entry list items (JSON is parsed as YAML for positions)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if getattr(k, "value", None) == "entries"), None)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def structured_draft(path: Path, item: Any, line: int | None, default_lang: str | None) -> Draft:
    def fail(message: str) -> SourceError:
        return SourceError(str(path), message, line=line)

    if not isinstance(item, dict):
        raise fail("an entry must be a mapping with id, question(s) and answer")
    entry_id = opt_str(item.get("id"))
    questions = str_list(item.get("questions", item.get("question")))
    if not questions:
        raise fail(f"entry {entry_id or '(no id)'} has no question")
    if entry_id is None:
        entry_id = question_id(questions[0])
    lang = (opt_str(item.get("language")) or default_lang or "").lower() or None
    raw = item.get("answer")
    answers: list[tuple[str | None, str]] = []
    if isinstance(raw, dict):
        answers = [(str(k).lower(), str(v).strip()) for k, v in raw.items() if str(v).strip()]
        lang = lang or (answers[0][0] if answers else None)
    elif raw is not None and str(raw).strip():
        answers = [(lang, str(raw).strip())]
    translations = item.get("translations") or {}
    if not isinstance(translations, dict):
        raise fail("'translations' must map a language to its answer")
    answers += [(str(k).lower(), str(v).strip()) for k, v in translations.items()]
    return Draft(entry_id, str(path), line, questions, answers, lang, str_list(item.get("tags")))


def validate_entries(entries: Sequence[FaqEntry]) -> None:
    """Raise InvalidInput unless ``entries`` may replace a knowledge base: some entries, unique
    non-empty ids, a question each."""
    if not entries:
        raise InvalidInput("no knowledge entries to ingest (an empty source would wipe the KB)")
    seen: set[str] = set()
    for entry in entries:
        if not entry.id.strip():
            raise InvalidInput(f"an entry has an empty id (source {entry.source or '?'})")
        if entry.id in seen:
            raise InvalidInput(f"entry id {entry.id!r} occurs twice")
        if not any(q.strip() for q in entry.questions):
            raise InvalidInput(f"entry {entry.id!r} has no question")
        seen.add(entry.id)
