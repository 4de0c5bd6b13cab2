"""The `cxc` command line as a user runs it: real processes, a temporary data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / "tests" / "fixtures" / "copilot" / "faq.csv"


def cxc(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CXC_DATA_DIR": str(data_dir), "CXC_ENV": "test"}
    env.pop("CXC_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=data_dir,
        timeout=300,
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli")
    result = cxc(data, "ingest", str(FAQ), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["entries"] == 3 and report["phrasings"] >= 6
    assert report["items"]["added"] == 3
    return data


def test_reingest_is_idempotent(ingested: Path) -> None:
    result = cxc(ingested, "ingest", str(FAQ), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 0 and report["deleted"] == 0
    assert report["items"] == {"added": 0, "updated": 0, "unchanged": 3, "deleted": 0}


def test_ask_prints_the_answer_as_json(ingested: Path) -> None:
    result = cxc(ingested, "ask", "How long will the courier take?", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["entry_id"] == "delivery_time"
    assert body["decision"] in {"answer", "clarify", "escalate"}


def test_bad_file_exits_2_naming_it_and_keeps_the_index(ingested: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.csv"
    bad.write_text("id,question,answer\nrefund,,Money back in 3 days\n")
    result = cxc(ingested, "ingest", str(FAQ), str(bad))
    assert result.returncode == 2
    assert "broken.csv" in result.stderr
    still = json.loads(cxc(ingested, "ask", "How long does delivery take?", "--json").stdout)
    assert still["entry_id"] == "delivery_time"


def test_invalid_setting_exits_2_naming_the_variable(tmp_path: Path) -> None:
    env = {**os.environ, "CXC_PORT": "eighty"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "ask", "hi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "CXC_PORT" in result.stderr


def test_users_create_prints_a_token_once(tmp_path: Path) -> None:
    result = cxc(tmp_path, "users", "create", "--name", "olga", "--role", "supervisor")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("cxc_") and len(token) > 30
    bad = cxc(tmp_path, "users", "create", "--name", "x", "--role", "god")
    assert bad.returncode == 2 and "role" in bad.stderr


def test_eval_prints_one_json_object_and_the_sweep_on_request(tmp_path: Path) -> None:
    from knowledge.scores import KEYS, SWEEP, SWEEP_KEYS
    from tests.knowledge.test_evaluate import KB, QUERIES

    (tmp_path / "kb.csv").write_text(KB, "utf-8")
    (tmp_path / "q.csv").write_text(QUERIES, "utf-8")
    files = ("--kb", str(tmp_path / "kb.csv"), "--queries", str(tmp_path / "q.csv"))
    plain = cxc(tmp_path, "eval", *files, "--json")
    assert plain.returncode == 0, plain.stderr
    report = json.loads(plain.stdout)  # stdout holds exactly one JSON object
    assert tuple(report) == KEYS
    swept = cxc(tmp_path, "eval", *files, "--json", "--sweep")
    assert swept.returncode == 0, swept.stderr
    rows = json.loads(swept.stdout)["sweep"]
    assert [row["answer_threshold"] for row in rows] == list(SWEEP)  # 0.15, the default, is in
    default = next(row for row in rows if row["answer_threshold"] == 0.15)
    assert {k: default[k] for k in SWEEP_KEYS} == {k: report[k] for k in SWEEP_KEYS}
    table = cxc(tmp_path, "eval", *files, "--sweep-at", "0.5,0.07")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    sweep_rows = lines[next(i for i, line in enumerate(lines) if "answer_threshold" in line) :]
    thresholds = [line.split()[1] for line in sweep_rows if line.startswith("│")]
    assert thresholds == ["0.0700", "0.1500", "0.5000"]  # with the configured one
    bad = cxc(tmp_path, "eval", *files, "--sweep-at", "0.05,lots")
    assert bad.returncode == 2 and "'lots'" in bad.stderr
    missing = cxc(tmp_path, "eval", "--kb", str(tmp_path / "none.csv"), "--queries", files[3])
    assert missing.returncode == 2 and "none.csv" in missing.stderr
