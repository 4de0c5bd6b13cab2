"""``cxc eval --llm`` as a user runs it: a real process, the real knowledge base, and the real
openai client against the loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.llm.server import LoopbackLlm

ROOT = Path(__file__).resolve().parents[2]
FAQ = ROOT / "tests" / "fixtures" / "copilot" / "faq.csv"
QUERIES = """text,label
How long does delivery take?,delivery_time
сколько ждать доставку заказа?,delivery_time
How do I get a refund?,refund
Как вернуть деньги за заказ?,refund
What is the capital of Australia?,oos
"""


def _model(request: dict[str, Any]) -> str:
    """Rewrites the first entry faithfully, except that it promises money for a delivery
    question (the guard must refuse that one)."""
    prompt = request["messages"][1]["content"]
    entries = json.loads(prompt.split("FAQ entries:\n", 1)[1].split("\n\n", 1)[0])
    first = entries[0]
    text = first["answer"]
    if first["id"] == "delivery_time":
        text += " If late, we refund 10 USD."
    return json.dumps({"answer": text, "sources": [first["id"]]}, ensure_ascii=False)


def test_eval_llm_scores_the_composed_path(tmp_path: Path, llm_server: LoopbackLlm) -> None:
    llm_server.answer(_model)
    (tmp_path / "q.csv").write_text(QUERIES, "utf-8")
    env = {
        **os.environ,
        "CXC_DATA_DIR": str(tmp_path / "data"),
        "CXC_ENV": "test",
        "CXC_LLM_BASE_URL": llm_server.base_url,
        "CXC_LLM_MODEL": "loopback",
    }
    env.pop("CXC_DATABASE_URL", None)
    args = ["eval", "--kb", str(FAQ), "--queries", str(tmp_path / "q.csv"), "--json", "--llm"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    llm = report["llm"]
    assert llm["model"] == "loopback"
    sent = llm["answers_sent"]
    assert sent == len(llm_server.requests) and sent >= 3
    firsts = [_model(r) for r in llm_server.requests]
    delivery = sum("refund 10 USD" in reply for reply in firsts)
    assert delivery >= 1 and llm["guard_rejections"] == delivery
    assert llm["outcomes"]["composed"] == sent - delivery
    assert llm["composed_share"] == round((sent - delivery) / sent, 4)
    assert llm["compose_ms_p50"] > 0 and report["latency_ms_p50"] > 0
    assert report["accuracy"] is not None and report["wrong_answer_rate"] is not None


def _reranking_model(request: dict[str, Any]) -> str:
    """Reranks to the last candidate (disagreeing with the matcher); composes as ``_model``."""
    if not request["messages"][0]["content"].startswith("You rank FAQ entries"):
        return _model(request)
    prompt = request["messages"][1]["content"]
    entries = json.loads(prompt.split("Candidate entries:\n", 1)[1].split("\n\n", 1)[0])
    return json.dumps({"entry": entries[-1]["id"]})


def test_eval_llm_reports_the_rerank_and_out_of_scope_still_escalates(
    tmp_path: Path, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reranking_model)
    (tmp_path / "q.csv").write_text(QUERIES, "utf-8")
    env = {
        **os.environ,
        "CXC_DATA_DIR": str(tmp_path / "data"),
        "CXC_ENV": "test",
        "CXC_LLM_BASE_URL": llm_server.base_url,
        "CXC_LLM_MODEL": "loopback",
        "CXC_LLM_RERANK": "true",
    }
    env.pop("CXC_DATABASE_URL", None)
    args = ["eval", "--kb", str(FAQ), "--queries", str(tmp_path / "q.csv"), "--json", "--llm"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    llm = report["llm"]
    asked = [r for r in llm_server.requests if "Candidate entries" in r["messages"][1]["content"]]
    assert llm["rerank_asked"] == len(asked) >= 1
    assert sum(llm["rerank_outcomes"].values()) == 5  # every query, escalations skipped
    assert llm["rerank_outcomes"].get("skipped", 0) >= 1 and llm["rerank_ms_p50"] > 0
    for request in asked:  # the out-of-scope query never reached the rerank
        assert "Australia" not in request["messages"][1]["content"]
    assert report["oos_recall"] == 1.0


def test_cxc_ask_reranks_like_the_api(tmp_path: Path, llm_server: LoopbackLlm) -> None:
    def model(request: dict[str, Any]) -> str:
        prompt = request["messages"][1]["content"]
        if request["messages"][0]["content"].startswith("You rank FAQ entries"):
            entries = json.loads(prompt.split("Candidate entries:\n", 1)[1].split("\n\n", 1)[0])
            assert [e["id"] for e in entries][0] == "delivery_time"
            return json.dumps({"entry": "refund"})  # the model disagrees with the matcher
        return _model(request)

    llm_server.answer(model)
    env = {**os.environ, "CXC_DATA_DIR": str(tmp_path / "data"), "CXC_ENV": "test"}
    env.pop("CXC_DATABASE_URL", None)

    def cxc(*args: str, **extra: str) -> Any:
        done = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), *args],
            capture_output=True,
            text=True,
            env=env | extra,
            cwd=tmp_path,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done

    cxc("ingest", str(FAQ))
    llm = {"CXC_LLM_BASE_URL": llm_server.base_url, "CXC_LLM_MODEL": "loopback"}
    body = json.loads(cxc("ask", "How long does delivery take?", "--json", **llm).stdout)
    assert body["entry_id"] == "delivery_time" and len(llm_server.requests) == 1  # rerank off
    llm_server.requests.clear()
    on = llm | {"CXC_LLM_RERANK": "true"}
    body = json.loads(cxc("ask", "How long does delivery take?", "--json", **on).stdout)
    assert body["entry_id"] == "refund" and body["composed_by"] == "loopback"
    assert len(llm_server.requests) == 2
