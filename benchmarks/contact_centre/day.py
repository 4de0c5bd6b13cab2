"""One contact-centre day: set up the data directory, start the three processes, let the
customers, operators and the supervisor act, optionally break things (kill -9 of any of the
processes, a Bot API outage answering 502 and then 429), let it settle, and read back what it
left."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.contact_centre import audit as audits
from benchmarks.contact_centre import customers, operators, processes
from benchmarks.contact_centre.api import Api, Telegram
from benchmarks.contact_centre.botapi import BotApiRecord, DayBotApi
from benchmarks.contact_centre.context import DayContext, Operator
from benchmarks.contact_centre.ledger import Ledger
from benchmarks.contact_centre.population import Script, generate

FAQ = processes.ROOT / "tests" / "bot" / "faq.yaml"
LIMITS = (1000.0, 2000.0, 3000.0)


@dataclass
class DayConfig:
    data_dir: Path
    customers: int = 120
    seed: int = 7
    operators: int = 3
    database_url: str | None = None  # PostgreSQL: its database is emptied first
    spread_s: float | None = None  # customers arrive over this long (default: n / 3 s)
    reply_timeout_s: float = 120.0
    pulse_timeout_s: float = 90.0
    max_day_s: float = 600.0
    kill_at: float | None = None  # share of the customers arrived when ``kill`` die
    kill: tuple[str, ...] = ("bot", "worker")  # any of processes.COMMANDS
    outage_s: float = 0.0  # the Bot API is down this long, 2 s after the kills
    kill_in_outage: tuple[str, ...] = ("bot",)  # killed 3 s into the outage
    throttle_s: float = 0.0  # of which the last this long answers 429 (retry_after), not 502
    retry_after_s: int = 5


@dataclass
class DayResult:
    config: DayConfig
    ledger: Ledger
    bot_api: BotApiRecord
    audit: audits.Audit
    logs: dict[str, str]
    exits: dict[str, list[int]]
    kills: int
    seconds: dict[str, float] = field(default_factory=dict)


def prepare(settings: processes.Settings, n_operators: int) -> tuple[list[Operator], Operator]:
    """Migrate, ingest the fixture FAQ and create the users (their tokens from `cxc users`)."""
    processes.cxc(settings, "db", "upgrade")
    processes.cxc(settings, "ingest", str(FAQ))
    specs = [(f"op{i + 1}", "operator", LIMITS[i % len(LIMITS)]) for i in range(n_operators)]
    specs.append(("sup", "supervisor", 20000.0))

    def create(spec: tuple[str, str, float]) -> Operator:
        name, role, limit = spec
        out = processes.cxc(
            settings, "users", "create", "--name", name, "--role", role,
            "--compensation-limit", str(limit),
        )  # fmt: skip
        return Operator(name, out.strip().splitlines()[-1], limit)

    with ThreadPoolExecutor(len(specs)) as pool:
        users = list(pool.map(create, specs))
    return users[:-1], users[-1]


async def run_day(config: DayConfig) -> DayResult:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    if config.database_url:
        await processes.reset_postgres(config.database_url)
    bot_api = DayBotApi()
    await bot_api.start()
    settings = processes.Settings(
        config.data_dir, bot_api.url, config.database_url, processes.free_port()
    )
    started = time.monotonic()
    ops, sup = await asyncio.to_thread(prepare, settings, config.operators)
    services = {name: processes.Service(name, settings) for name in processes.COMMANDS}
    ledger = Ledger(generate(config.customers, seed=config.seed))
    api = Api(f"http://127.0.0.1:{settings.port}", ledger)
    seconds = {"setup": time.monotonic() - started}
    try:
        for service in services.values():
            await service.start()
        await _ready(api, services)
        seconds["start"] = time.monotonic() - started - seconds["setup"]
        ctx = DayContext(
            api, Telegram(api), bot_api, ledger, ledger.people, ops, sup,
            reply_timeout_s=config.reply_timeout_s + config.outage_s,
            pulse_timeout_s=config.pulse_timeout_s + config.outage_s,
            deadline=time.monotonic() + config.max_day_s,
        )  # fmt: skip
        kills = await _day(ctx, config, services, seconds)
        result_audit = audits.Audit()
        await audits.read_api(ctx, result_audit)
    finally:
        for service in services.values():
            await service.stop()
        await api.close()
        await bot_api.stop()
    await audits.read_db(_database_url(config), result_audit)
    return DayResult(
        config=config,
        ledger=ledger,
        bot_api=bot_api.record,
        audit=result_audit,
        logs={name: s.log() for name, s in services.items()},
        exits={name: s.exits for name, s in services.items()},
        kills=kills,
        seconds=seconds,
    )


async def _ready(api: Api, services: dict[str, processes.Service], within_s: float = 240) -> None:
    await api.wait_healthy(within_s)
    await _back_up(services, ("bot", "worker"), within_s)


async def _day(
    ctx: DayContext, config: DayConfig, services: dict[str, processes.Service],
    seconds: dict[str, float],
) -> int:  # fmt: skip
    began = time.monotonic()
    await _morning(ctx)
    seconds["morning"] = time.monotonic() - began
    rng = random.Random(config.seed + 1)
    on_telegram = [p for p in ctx.people if p.script != Script.EMAIL]
    spread = config.spread_s if config.spread_s is not None else len(ctx.people) / 3
    delays = sorted(rng.uniform(0, spread) for _ in on_telegram)
    crowd = [
        customers.telegram_customer(ctx, p, d) for p, d in zip(on_telegram, delays, strict=True)
    ]
    shifts = [operators.operator_shift(ctx, op, i) for i, op in enumerate(ctx.operators)]
    chaos = asyncio.create_task(_chaos(ctx, config, services, len(on_telegram)))
    staff = asyncio.gather(*shifts)
    await asyncio.gather(*crowd)
    ctx.customers_done.set()
    await staff
    kills = await chaos
    seconds["day"] = time.monotonic() - began - seconds["morning"]
    lease = (
        processes.CLAIM_LEASE_S + 5 if config.kill_at is not None else 0.0
    )  # claims left by the kills
    await _settle(ctx, within_s=config.pulse_timeout_s + config.outage_s + lease, at_least_s=lease)
    seconds["settle"] = time.monotonic() - began - seconds["morning"] - seconds["day"]
    return kills


async def _morning(ctx: DayContext) -> None:
    """Yesterday's calls of the known customers, then this morning's e-mails, recorded."""
    limit = asyncio.Semaphore(6)
    ops = ctx.operators

    async def one(i: int, work: object) -> None:
        async with limit:
            await work  # type: ignore[misc]

    known = [p for p in ctx.people if p.known]
    await asyncio.gather(
        *(one(i, customers.record_call(ctx, p, ops[i % len(ops)])) for i, p in enumerate(known))
    )
    mail = [p for p in ctx.people if p.script == Script.EMAIL]
    await asyncio.gather(
        *(one(i, customers.record_email(ctx, p, ops[i % len(ops)])) for i, p in enumerate(mail))
    )


async def _chaos(
    ctx: DayContext, config: DayConfig, services: dict[str, processes.Service], arrivals: int
) -> int:
    """kill -9 the ``kill`` processes once a share of the customers wrote (the next customers
    wait until they are back: however long a restart takes, the outage meets traffic), then
    take the Bot API down for ``outage_s`` (502, then 429 for the last ``throttle_s``) and kill
    the ``kill_in_outage`` ones 3 s in (the bot while it retries its sends, the API while
    Telegram's webhook posts are in flight)."""
    if config.kill_at is None and not config.outage_s:
        return 0
    kills = 0
    if config.kill_at is not None:
        while not ctx.customers_done.is_set():
            if _arrived(ctx) >= config.kill_at * arrivals:
                break
            await asyncio.sleep(0.1)
        ctx.arrivals.clear()  # the rest arrive once they are back, and meet the outage
        kills += await _kill(ctx, services, config.kill)
        await _back_up(services, config.kill)
        ctx.arrivals.set()
        await asyncio.sleep(2)
    if config.outage_s:
        kills += await _outage(ctx, config, services)
    return kills


async def _kill(
    ctx: DayContext, services: dict[str, processes.Service], names: tuple[str, ...]
) -> int:
    """kill -9 each of ``names`` and wait until they are gone; the operators' requests are held
    meanwhile when the API is among them (Telegram's webhook posts are not)."""
    async with contextlib.AsyncExitStack() as stack:
        if "api" in names:
            await stack.enter_async_context(ctx.api.hold())
        await asyncio.gather(*(services[name].kill9_and_wait() for name in names))
    return len(names)


async def _outage(
    ctx: DayContext, config: DayConfig, services: dict[str, processes.Service]
) -> int:
    """The Bot API refuses everything for ``outage_s``; ``kill_in_outage`` die 3 s in."""
    bad_gateway_s = max(0.0, config.outage_s - config.throttle_s)
    ctx.botapi.retry_after_s = config.retry_after_s
    ctx.botapi.outage = 502 if bad_gateway_s else 429
    began = time.monotonic()
    await asyncio.sleep(min(3.0, config.outage_s))
    kills = 0
    if config.kill_at is not None:
        kills += await _kill(ctx, services, config.kill_in_outage)
    await asyncio.sleep(max(0.0, began + bad_gateway_s - time.monotonic()))
    ctx.botapi.outage = 429
    await asyncio.sleep(max(0.0, began + config.outage_s - time.monotonic()))
    ctx.botapi.outage = None
    return kills


READY = {
    "api": "Application startup complete",
    "bot": "webhook worker: processing",
    "worker": "worker: every",
}


async def _back_up(
    services: dict[str, processes.Service], names: tuple[str, ...], within_s: float = 240
) -> None:
    """Until each of ``names`` started again and said it is ready (once per start)."""
    deadline = time.monotonic() + within_s
    while any(services[n].log().count(READY[n]) < services[n].starts for n in names):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{names} did not come back after the kill")
        await asyncio.sleep(0.2)


def _arrived(ctx: DayContext) -> int:
    return sum(c.kind == "telegram" for c in ctx.ledger.cases)


async def _settle(
    ctx: DayContext, *, within_s: float, at_least_s: float = 0.0, quiet_s: float = 3.0
) -> None:
    """Until every expected pulse went out and nothing was sent for ``quiet_s`` (and at least
    ``at_least_s`` has passed: a killed process's claims expire first)."""
    expected = sum(c.pulse_goes_out for c in ctx.ledger.cases)
    earliest = time.monotonic() + at_least_s
    deadline = time.monotonic() + within_s
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        sent = ctx.botapi.total_sent()
        pulses = sum(
            any(":csat:" in d for d in m.data("pulse:"))
            for chat in ctx.botapi.record.sent.values()
            for m in chat
        )
        if sent != last:
            last, quiet_since = sent, time.monotonic()
        elif (
            pulses >= expected
            and quiet_s <= time.monotonic() - quiet_since
            and (time.monotonic() >= earliest)
        ):
            return
        await asyncio.sleep(0.2)


def _database_url(config: DayConfig) -> str:
    if config.database_url:
        return config.database_url
    return f"sqlite+aiosqlite:///{(config.data_dir / 'cxc.db').resolve()}"
