"""The `cxc` command line as a user runs it: real processes, a temporary data dir."""

from __future__ import annotations

import json
import os
import shutil
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
    rotated = cxc(tmp_path, "users", "token", "--name", "olga", "--rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.strip().startswith("cxc_") and rotated.stdout.strip() != token
    assert "revoked" in rotated.stderr


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


GIFT = """id,language,question,answer
gift_card,en,Can I pay with a gift card?,"Yes: enter the gift card code at checkout."
"""


def _versions(data_dir: Path) -> list[tuple[int, str, int | None]]:
    listed = cxc(data_dir, "knowledge", "versions", "--json")
    assert listed.returncode == 0, listed.stderr
    return [(v["id"], v["reason"], v["entries"]) for v in json.loads(listed.stdout)]


@pytest.mark.slow
def test_ingest_adds_replace_asks_and_a_rollback_restores(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    gift = tmp_path / "gift.csv"
    gift.write_text(GIFT, "utf-8")
    assert cxc(data, "ingest", str(FAQ)).returncode == 0
    added = cxc(data, "ingest", str(gift), "--json")  # one more file: the others stay
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["items"] == {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
    }
    assert _versions(data) == [(2, "ingest", 4), (1, "ingest", 3)]

    refused = subprocess.run(  # --replace says what it deletes and asks; "n" changes nothing
        [sys.executable, str(ROOT / "cli.py"), "ingest", str(gift), "--replace"],
        input="n\n",
        capture_output=True,
        text=True,
        env={**os.environ, "CXC_DATA_DIR": str(data), "CXC_ENV": "test"},
        cwd=data,
        timeout=300,
    )
    assert refused.returncode == 1
    assert "deletes 3 entries" in refused.stderr and "delivery_time" in refused.stderr
    assert len(_versions(data)) == 2

    replaced = cxc(data, "ingest", str(gift), "--replace", "--yes", "--json")
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(replaced.stdout)["items"]["deleted"] == 3
    assert _versions(data)[0] == (3, "ingest", 1)

    rolled = cxc(data, "knowledge", "rollback")  # to the previous version
    assert rolled.returncode == 0, rolled.stderr
    assert "to version 2" in rolled.stdout
    assert _versions(data)[0] == (4, "rollback", 4)
    for question, entry_id in (
        ("How long does delivery take?", "delivery_time"),
        ("Can I pay with a gift card?", "gift_card"),
    ):
        answer = json.loads(cxc(data, "ask", question, "--json").stdout)
        assert answer["entry_id"] == entry_id, answer


def _beat(data_dir: Path, kind: str, age_s: float) -> None:
    """A heartbeat row of a process of ``kind`` on this host, ``age_s`` seconds old."""
    import asyncio
    from datetime import timedelta

    from core import db
    from core.models.base import utcnow
    from core.platform.beats import Heart, ProcessKind, record_beat

    async def beat() -> None:
        engine = db.create_engine(f"sqlite+aiosqlite:///{data_dir / 'cxc.db'}")
        async with db.session_factory(engine)() as session:
            heart = Heart(lambda: session, ProcessKind(kind), 15.0)
            await record_beat(session, heart=heart, now=utcnow() - timedelta(seconds=age_s))
        await engine.dispose()

    asyncio.run(beat())


def test_health_exits_0_for_a_recent_beat_on_this_host_else_1(
    tmp_path: Path, sqlite_template: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    nothing = cxc(data, "health", "--process", "worker")
    assert nothing.returncode == 1, nothing.stderr  # no database yet: not alive
    assert "worker on" in nothing.stdout and len(nothing.stdout.strip().splitlines()) == 1

    shutil.copy(sqlite_template, data / "cxc.db")
    _beat(data, "worker", age_s=2)
    _beat(data, "bot", age_s=120)
    worker = cxc(data, "health", "--process", "worker")
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert "alive" in worker.stdout and len(worker.stdout.strip().splitlines()) == 1
    stale = cxc(data, "health", "--process", "bot", "--max-age", "60")
    assert stale.returncode == 1 and "stale" in stale.stdout
    assert cxc(data, "health", "--process", "bot", "--max-age", "600").returncode == 0
    assert cxc(data, "health", "--process", "robot").returncode == 2  # not a kind
