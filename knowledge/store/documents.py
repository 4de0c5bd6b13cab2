"""Chroma documents of FAQ entries, and the entries' JSON form in the catalogue and saved state.

Every phrasing's Chroma id is its ``Phrasing.key``: ``phrasing_key`` (sha1 of
``entry_id|kind|text``), so an unchanged phrasing keeps its id and is never embedded again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from langchain_core.documents import Document

from core.domain import FaqEntry


def phrasing_key(entry_id: str, kind: str, text: str) -> str:
    return hashlib.sha1(f"{entry_id}|{kind}|{text}".encode()).hexdigest()[:16]


def phrasing_doc(entry_id: str, kind: str, text: str) -> Document:
    key = phrasing_key(entry_id, kind, text)
    return Document(page_content=text, metadata={"entry_id": entry_id, "kind": kind, "key": key})


def entry_docs(entry: FaqEntry) -> tuple[list[Document], list[Document]]:
    """(query-role docs, passage-role docs) for one entry."""
    questions = [phrasing_doc(entry.id, "question", q) for q in entry.questions]
    answers = [entry.answer, *(text for _, text in entry.translations)]
    passages = [phrasing_doc(entry.id, "answer", a) for a in dict.fromkeys(answers) if a]
    if entry.tags:
        passages.append(phrasing_doc(entry.id, "tags", ", ".join(entry.tags)))
    return questions, passages


def entry_to_json(entry: FaqEntry) -> str:
    return json.dumps(asdict(entry), ensure_ascii=False, sort_keys=True)


def entry_from_json(text: str) -> FaqEntry:
    data = json.loads(text)
    data["questions"] = tuple(data["questions"])
    data["tags"] = tuple(data["tags"])
    data["translations"] = tuple(tuple(t) for t in data["translations"])
    return FaqEntry(**data)


def doc_key(doc: Document) -> str:
    return str(doc.metadata["key"])
