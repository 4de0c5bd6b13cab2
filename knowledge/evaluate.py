"""The ``cxc eval`` engine: build a throwaway KB from a CSV, ask every labelled query, score it
(the metrics: ``knowledge.scores``).

Every query goes through the same path as ``/v1/ask``: a message that must go to a person
(``core.conversation.handover``) escalates at once, anything else is
``KnowledgeBase.ask_sync``. The index lives in a temporary folder (embedded Chroma, collection
``eval``) that is deleted afterwards. KB rows whose id equals the out-of-scope label (e.g.
CLINC150's ``oos`` training rows) are left out of the KB. Column names default to the usual
aliases (see ``knowledge.sources``), so CLINC150 (``text,intent``) and BANKING77
(``text,category``) files work without options.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import Settings
from core.conversation.handover import handover
from core.domain import Answer, Decision
from core.errors import InvalidInput, SourceError
from knowledge.retriever import KnowledgeBase, build_knowledge
from knowledge.scores import Query, misses, score, score_groups, sweep_thresholds
from knowledge.sources import (
    CsvColumns,
    csv_header,
    csv_rows,
    find_column,
    load_sources,
    read_text,
)

Progress = Callable[[int, int], None]
TEXT_ALIASES = ("text", "query", "question", "utterance", "instruction", "message")
LABEL_ALIASES = ("label", "intent", "category", "id", "entry_id")


@dataclass(frozen=True, slots=True)
class EvalColumns:
    """Column names of the KB and queries files (the ``cxc eval`` options).

    A name left at its default (or ``None``) is looked up by alias, so ``text,intent`` files
    work without options; a name given otherwise must exist. The answer column is optional.
    """

    kb_id: str | None = "id"
    kb_question: str | None = "question"
    kb_answer: str | None = "answer"
    text: str | None = "text"
    label: str | None = "label"
    oos_label: str = "oos"

    def kb_columns(self) -> CsvColumns:
        return CsvColumns(
            id=_explicit(self.kb_id, "id"),
            question=_explicit(self.kb_question, "question"),
            answer=_explicit(self.kb_answer, "answer"),
        )


def _explicit(value: str | None, default: str) -> str | None:
    return None if value is None or value.strip().lower() == default else value


def evaluate(
    kb_path: Path,
    queries_path: Path,
    *,
    columns: EvalColumns,
    settings: Settings,
    progress: Progress | None = None,
    sweep: Sequence[float] = (),
    group_by: Sequence[str] = (),
    llm: bool = False,
) -> dict[str, Any]:
    """Score the matcher on labelled queries (and at the ``sweep`` answer thresholds and the
    one in force, if any, and per ``group_by`` group); raises SourceError for unusable
    files. The result's ``misses`` lists the queries it got wrong. With ``llm`` every answer
    is composed by the configured language model too (``knowledge.compose_eval``): the
    latencies include it, and ``llm`` in the result says what became of each."""
    kb_path = Path(kb_path)
    if kb_path.suffix.lower() in (".csv", ".tsv") and kb_path.is_file():
        header = csv_header(read_text(kb_path), "\t" if kb_path.suffix == ".tsv" else None)
        if find_column(header, "id", None) is None and _explicit(columns.kb_id, "id") is None:
            raise SourceError(
                str(kb_path),
                f"no id column in the header {header}; name the"
                " column that holds the entry ids (--kb-id-col)",
                line=1,
            )
    entries = load_sources([kb_path], columns=columns.kb_columns(), require_answer=False)
    entries = [e for e in entries if e.id != columns.oos_label]
    if not entries:
        raise SourceError(str(kb_path), "no in-scope entries in the knowledge base file")
    queries = read_queries(Path(queries_path), columns, extra=group_by)
    with tempfile.TemporaryDirectory(prefix="cxc-eval-") as tmp:
        local = settings.model_copy(
            update={"data_dir": Path(tmp), "chroma_url": None, "chroma_collection": "eval"}
        )
        started = time.perf_counter()
        with build_knowledge(local) as kb:
            kb.ingest_sync(entries)
            build_seconds = time.perf_counter() - started
            in_force = kb.thresholds()  # the answer threshold's sweep row is this run
            answers, latencies = _ask_all(kb, [q.text for q in queries], progress)
            if llm:
                from knowledge.compose_eval import compose_all

                texts = [q.text for q in queries]
                answers, added, summary = compose_all(answers, texts, kb.entry, settings)
                latencies = [a + b for a, b in zip(latencies, added, strict=True)]
    labels = [q.label for q in queries]
    result = score(answers, labels, latencies, columns.oos_label, build_seconds)
    if group_by:
        result["groups"] = score_groups(queries, answers, latencies, columns.oos_label, group_by)
    result["misses"] = misses(queries, answers, columns.oos_label)
    if llm:
        result["llm"] = summary
    if sweep:
        grid = (*sweep, in_force.answer)
        offer = in_force.offer if in_force.offer < in_force.answer else 1.0  # 1.0: no offer
        result["sweep"] = sweep_thresholds(answers, labels, columns.oos_label, grid, offer=offer)
    return result


def _ask_all(
    kb: KnowledgeBase, texts: list[str], progress: Progress | None
) -> tuple[list[Answer], list[float]]:
    """Every text through the ``/v1/ask`` path, with its wall time in milliseconds."""
    answers, latencies = [], []
    for i, text in enumerate(texts):
        started = time.perf_counter()
        why = handover(text)
        answers.append(
            Answer("", None, 0.0, Decision.ESCALATE, reason=str(why)) if why else kb.ask_sync(text)
        )
        latencies.append((time.perf_counter() - started) * 1e3)
        if progress is not None:
            progress(i + 1, len(texts))
    return answers, latencies


def parse_thresholds(text: str) -> tuple[float, ...]:
    """Answer thresholds from a comma-separated list such as ``"0.05,0.08,0.1"``."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = -1.0
        if not 0.0 <= value <= 1.0:
            raise InvalidInput(f"answer threshold {part.strip()!r} is not a number from 0 to 1")
        values.append(value)
    return tuple(values)


def read_queries(path: Path, columns: EvalColumns, *, extra: Sequence[str] = ()) -> list[Query]:
    """The labelled queries of the CSV, with the ``extra`` columns named (SourceError if one of
    them is not in the header)."""
    text = read_text(path) if path.is_file() else None
    if text is None:
        raise SourceError(str(path), "file not found")
    if not text.strip():
        raise SourceError(str(path), "file is empty")
    header = csv_header(text)
    names = []
    for explicit, aliases, what in (
        (columns.text, TEXT_ALIASES, "text"),
        (columns.label, LABEL_ALIASES, "label"),
    ):
        lowered = {h.strip().lower(): h for h in header}
        given = _explicit(explicit, what)
        wanted = [given] if given else list(aliases)
        name = next((lowered[a.lower()] for a in wanted if a.lower() in lowered), None)
        if name is None:
            raise SourceError(
                str(path), f"no {what} column {'/'.join(wanted)!r} in the header {header}", line=1
            )
        names.append(name)
    if names[0] == names[1]:
        raise SourceError(str(path), f"text and label are the same column {names[0]!r}", line=1)
    missing = [c for c in extra if c not in header]
    if missing:
        raise SourceError(str(path), f"no column {missing[0]!r} to group by in {header}", line=1)
    pairs = []
    for line, row in csv_rows(path, text):
        query, label = (row.get(names[0]) or "").strip(), (row.get(names[1]) or "").strip()
        if not query or not label:
            raise SourceError(
                str(path), f"row has an empty {'text' if not query else 'label'}", line=line
            )
        pairs.append(Query(query, label, {c: (row.get(c) or "").strip() for c in extra}))
    if not pairs:
        raise SourceError(str(path), "no data rows under the header", line=1)
    return pairs


__all__ = ["EvalColumns", "evaluate", "parse_thresholds", "read_queries"]
