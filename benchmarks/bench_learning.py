"""How the bot's accuracy grows as operators resolve what it missed (the learning loop).

A stream of real customer queries (BANKING77 test, or MInDS-14 ru) goes, in a fixed shuffled
order, through the bot's own path (``core.conversation.turn.Conversation``) over a REAL
``KnowledgeBase`` that starts few-shot (``--shots`` train phrasings per intent, fixed seed). When
the bot escalates, asks to clarify or answers the wrong entry, an "operator" resolves the case
linking the true entry (``operators.resolve_case``) and a "supervisor" approves the candidate
(``review.approve_candidate``; ``--review-every`` N queries, 1 = at once). The static KB
(no learning) answers the same stream as the baseline.

Reported per window of ``--window`` queries: correct answers (answer with the true entry),
wrong answers, not answered (clarify or escalate); and the accuracy when the whole stream is
asked once more after learning (``replay_after_learning``). JSON on stdout.

    uv run python benchmarks/bench_learning.py [--dataset banking77|minds14_ru]
        [--queries 1000] [--window 200] [--shots 3] [--review-every 1] [--no-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlmodel import select

from benchmarks.datasets import SEED, Task, banking77, few_shot, minds14_ru, subsample
from core import db
from core.config import Settings
from core.conversation.inbound import Identity, Inbound
from core.conversation.replies import Reply, ReplyKind
from core.conversation.turn import Conversation
from core.desk import operators
from core.domain import FaqEntry
from core.errors import AnswersWouldChange, PersonalData
from core.learning import review
from core.models import KnowledgeCandidate, User
from core.platform import auth

DATASETS = {"banking77": banking77, "minds14_ru": minds14_ru}


def entries_of(task: Task) -> list[FaqEntry]:
    questions: dict[str, list[str]] = defaultdict(list)
    for entry_id, text, kind in task.kb:
        if kind == "question":
            questions[entry_id].append(text)
    return [FaqEntry(e, tuple(q), f"[answer of {e}]") for e, q in sorted(questions.items())]


def outcome(reply: Reply, label: str) -> str:
    if reply.kind != ReplyKind.ANSWER:
        return "not_answered"
    assert reply.answer is not None
    return "correct" if reply.answer.entry_id == label else "wrong"


def windows(outcomes: list[str], size: int) -> list[dict[str, Any]]:
    rows = []
    for start in range(0, len(outcomes), size):
        part = outcomes[start : start + size]
        rows.append(
            {
                "queries": f"{start + 1}-{start + len(part)}",
                **{k: round(part.count(k) / len(part), 3) for k in ("correct", "wrong")},
                "not_answered": round(part.count("not_answered") / len(part), 3),
            }
        )
    return rows


async def stream(
    kb: Any, settings: Settings, queries: list[tuple[str, str]], review_every: int
) -> dict[str, Any]:
    engine = db.create_engine(settings.resolved_database_url)
    factory = db.session_factory(engine)
    outcomes: list[str] = []
    pending: list[int] = []
    timing = {"bot": 0.0, "resolve": 0.0, "approve": 0.0}
    approvals = 0
    conversation = Conversation(retriever=kb, settings=settings, render=lambda r: str(r.kind))
    async with factory() as session:
        operator, _ = await auth.create_user(session, name="op", role="operator")
        supervisor, _ = await auth.create_user(session, name="sup", role="supervisor")
        for i, (text, label) in enumerate(queries):
            t0 = time.perf_counter()
            who = Identity(channel="telegram", external_id=f"customer-{i}")
            reply = await conversation.handle(session, Inbound(identity=who, text=text))
            t1 = time.perf_counter()
            timing["bot"] += t1 - t0
            outcomes.append(outcome(reply, label))
            if outcomes[-1] != "correct":
                assert reply.case_id is not None  # every reply here is within a case
                pending += await _resolve(session, kb, operator, reply.case_id, label)
            t2 = time.perf_counter()
            timing["resolve"] += t2 - t1
            if pending and ((i + 1) % review_every == 0 or i + 1 == len(queries)):
                approvals += await _approve(session, kb, supervisor, pending)
                pending = []
            timing["approve"] += time.perf_counter() - t2
    await engine.dispose()
    return {
        "outcomes": outcomes,
        "approved": approvals,
        "seconds": {k: round(v, 1) for k, v in timing.items()},
    }


async def _resolve(session: Any, kb: Any, operator: User, case_id: int, label: str) -> list[int]:
    await operators.resolve_case(
        session,
        case_id=case_id,
        user=operator,
        resolution="answered from the FAQ",
        resolution_code="answered",
        knowledge_entry_id=label,
        retriever=kb,
    )
    stmt = select(KnowledgeCandidate.id).where(KnowledgeCandidate.case_id == case_id)
    return [i for i in (await session.exec(stmt)).all() if i is not None]


async def _approve(session: Any, kb: Any, supervisor: User, ids: list[int]) -> int:
    """Approve each candidate; those approval refuses (personal data, or answers that would
    change) are rejected, as a supervisor would. Returns how many were approved."""
    approved = 0
    for candidate_id in ids:
        try:
            await review.approve_candidate(
                session, candidate_id=candidate_id, user=supervisor, retriever=kb
            )
            approved += 1
        except (AnswersWouldChange, PersonalData) as exc:
            await session.rollback()
            await review.reject_candidate(
                session, candidate_id=candidate_id, user=supervisor, note=str(exc)[:1000]
            )
    return approved


def baseline(kb: Any, queries: list[tuple[str, str]]) -> list[str]:
    out = []
    for text, label in queries:
        answer = kb.ask_sync(text)
        if answer.decision != "answer":
            out.append("not_answered")
        else:
            out.append("correct" if answer.entry_id == label else "wrong")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="banking77")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--shots", type=int, default=3)
    parser.add_argument("--review-every", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    from knowledge.retriever import build_knowledge

    task = few_shot(DATASETS[args.dataset](), args.shots)
    queries = [(q, label) for q, label in subsample(task.queries, args.queries) if label]
    entries = entries_of(task)
    result: dict[str, Any] = {
        "dataset": task.name,
        "entries": len(entries),
        "kb_phrasings": sum(len(e.questions) for e in entries),
        "queries": len(queries),
        "seed": SEED,
        "review_every": args.review_every,
    }
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        db.upgrade(settings.resolved_database_url)
        with build_knowledge(settings) as kb:
            started = time.perf_counter()
            kb.ingest_sync(entries)
            result["ingest_seconds"] = round(time.perf_counter() - started, 1)
            if not args.no_baseline:
                result["static"] = _summary(baseline(kb, queries), args.window)
            run = asyncio.run(stream(kb, settings, queries, args.review_every))
            result["learning"] = _summary(run.pop("outcomes"), args.window)
            result["learning"].update(run)
            replay = baseline(kb, queries)  # the same messages once more, after learning
            result["replay_after_learning"] = _summary(replay, args.window)["accuracy"]
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    print()


def _summary(outcomes: list[str], window: int) -> dict[str, Any]:
    return {
        "accuracy": round(outcomes.count("correct") / max(1, len(outcomes)), 3),
        "windows": windows(outcomes, window),
    }


if __name__ == "__main__":
    main()
