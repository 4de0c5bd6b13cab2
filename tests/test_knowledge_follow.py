"""Two processes, one data directory: a knowledge change made by one process (`cxc ingest`) is
answered by another that is already serving (`cxc serve --workers 2`: each worker follows the
version on its own) within seconds, without a restart. One process following the version is
tested in-process (tests/core/test_knowledge_version.py); this one costs about 2.3 minutes a
variant, so only the harder one runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / "tests" / "fixtures" / "copilot" / "faq.csv"
NEW = """id,language,question,answer
gift_card,en,Can I pay with a gift card?,"Yes: enter the gift card code at checkout."
gift_card,ru,Можно ли оплатить подарочной картой?,"Да: введите код подарочной карты при оплате."
"""
pytestmark = pytest.mark.slow


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "CXC_DATA_DIR": str(data_dir), "CXC_ENV": "test"}
    env["CXC_KNOWLEDGE_POLL_S"] = "0.3"
    env.pop("CXC_DATABASE_URL", None)
    return env


def _cxc(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        env=_env(data_dir),
        cwd=data_dir,
        timeout=300,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ask(port: int, text: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/ask",
        data=json.dumps({"text": text}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, object] = json.loads(response.read())
    return body


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (uvicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.fixture(params=[2], ids=["two workers"])
def serving(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Path, int]]:
    assert _cxc(tmp_path, "ingest", str(FAQ)).returncode == 0
    port = _free_port()
    workers = ["--workers", str(request.param)]
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "serve", "--port", str(port), *workers],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _ask(port, "hello")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    _, log = server.communicate(timeout=30)
                    raise AssertionError(f"cxc serve did not start: {log[-2000:]}") from None
                time.sleep(0.5)
        if request.param > 1:
            workers_ = [p for p in _children(server.pid) if "CXC_DATA_DIR" in _environ(p)]
            assert len(workers_) >= request.param
            # the cores shared out between the workers' encoders, not a full team each
            share = str(max(1, len(os.sched_getaffinity(0)) // request.param))
            assert {_environ(p).get("CXC_EMBEDDING_THREADS") for p in workers_} == {share}
        yield tmp_path, port
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)  # also closes the stderr pipe
    # each worker froze what its start-up built (runtime.heap): no long full collections
    assert log.count("objects settled") == request.param, log[-2000:]


def test_an_ingest_by_another_process_is_answered_without_a_restart(
    serving: tuple[Path, int],
) -> None:
    data_dir, port = serving
    question = "Can I pay with a gift card?"
    assert _ask(port, question)["entry_id"] != "gift_card"
    extra = data_dir / "gift.csv"
    extra.write_text(NEW, "utf-8")
    ingested = _cxc(data_dir, "ingest", str(FAQ), str(extra))
    assert ingested.returncode == 0, ingested.stderr
    deadline = time.monotonic() + 15
    while _ask(port, question)["entry_id"] != "gift_card":
        assert time.monotonic() < deadline, "the serving process kept the old knowledge base"
        time.sleep(0.3)
    time.sleep(1.0)  # every worker follows the version on its own: all of them answer anew
    assert {_ask(port, question)["entry_id"] for _ in range(12)} == {"gift_card"}
    assert _ask(port, "How long does delivery take?")["entry_id"] == "delivery_time"
