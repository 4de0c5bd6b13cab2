"""Core test fixtures: the real KnowledgeBase on the fixture FAQ, built once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from factories import ingest_fixture_kb, kb_settings

from core.ports import Retriever


@pytest.fixture(scope="session")
def knowledge_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Retriever]:
    from knowledge.retriever import build_knowledge

    with build_knowledge(kb_settings(ingest_fixture_kb(tmp_path_factory.mktemp("kb")))) as kb:
        yield kb
