from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm.server import LoopbackLlm, loopback_llm


@pytest.fixture
def llm_server() -> Iterator[LoopbackLlm]:
    with loopback_llm() as server:
        yield server
