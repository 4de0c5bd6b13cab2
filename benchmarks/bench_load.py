"""Load on the real processes: what one replica serves and how it scales with `--workers`.

Starts `cxc serve --workers N` (and, for the queue, `cxc bot --webhook-worker` against a
loopback Bot API) on one data directory, as an operator runs them, and drives each load open
loop (a constant arrival rate, whatever the server answers) over loopback for ``--seconds``:

  (a) webhook      POST /telegram/webhook, a message from a new chat each time, then the queue
                   drained by the bot: every update processed once, every chat answered;
  (b) ask          POST /v1/ask: the bare encoders' queries/s in this process first, then the
                   highest rate the server keeps up with (p99 within --ask-p99-ms), its ratio;
  (c) suggestions  GET /v1/cases/{id}/suggestions over many open cases, with --cases resolved
                   cases in the database and the case memory.

Prints one JSON document: per --workers value, for each load, the offered and achieved rate,
p50/p95/p99 and the errors, and whether it met its target. The FAQ and the messages are a
support_faq set (../shared/eval/support_faq/food_delivery by default).

    uv run python -m benchmarks.bench_load --workers 1 2 --seconds 60 --cases 50000 --keep DIR
    uv run python -m benchmarks.bench_load --seconds 10 --cases 2000        # a quick look

Seeding and remembering 50,000 cases takes about 15 minutes on 2 cores: --keep DIR keeps the
data directory (SQLite database, Chroma, the case memory) for the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.contact_centre.botapi import DayBotApi
from benchmarks.contact_centre.processes import cxc
from benchmarks.load import ask, stack, suggest, webhook

ROOT = Path(__file__).resolve().parents[1]
FAQ_DIR = ROOT.parent / "shared" / "eval" / "support_faq" / "food_delivery"
LOADS = ("webhook", "ask", "suggestions")
ASK_ENV = {"CXC_EMBEDDING_CACHE": "0"}
"""/v1/ask cycles through a few hundred questions: a server that kept their vectors would
answer from memory, not from the encoders it is compared with."""


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="serve --workers N")
    p.add_argument("--seconds", type=float, default=60, help="each load's measured run")
    p.add_argument("--loads", nargs="+", choices=LOADS, default=list(LOADS))
    p.add_argument("--kb", type=Path, default=FAQ_DIR / "kb.csv", help="FAQ to ingest")
    p.add_argument("--queries", type=Path, default=FAQ_DIR / "queries.csv",
                   help="customer messages (a CSV with a text or question column)")  # fmt: skip
    p.add_argument("--webhook-rate", type=float, default=200)
    p.add_argument("--webhook-p99-ms", type=float, default=150)
    p.add_argument("--drain-timeout", type=float, default=1800, help="seconds for the bot")
    p.add_argument("--bot-replicas", type=int, default=1,
                   help="`cxc bot --webhook-worker` processes draining the queue")  # fmt: skip
    p.add_argument("--ask-p99-ms", type=float, default=250)
    p.add_argument("--ask-ratio", type=float, default=0.7, help="target: of the encoders' rate")
    p.add_argument("--probe-seconds", type=float, default=10, help="each /v1/ask probe")
    p.add_argument("--suggest-rate", type=float, default=30)
    p.add_argument("--suggest-p99-ms", type=float, default=300)
    p.add_argument("--cases", type=int, default=50_000, help="resolved cases in the database")
    p.add_argument("--open-cases", type=int, default=500, help="cases asked for suggestions")
    p.add_argument(
        "--embedding-cache",
        type=int,
        default=None,
        help="CXC_EMBEDDING_CACHE of the webhook and suggestions servers "
        "(default: the product's; 16 keeps a request's own repeat only)",
    )
    p.add_argument("--keep", type=Path, default=None, help="data directory to keep and reuse")
    p.add_argument("--database-url", default=None, help="default: SQLite in the data directory")
    args = p.parse_args(argv)
    for name in ("kb", "queries", "keep"):  # the processes run in the data directory
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())
    return args


def read_texts(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        row.get("text") or row["question"] for row in rows if row.get("text") or row.get("question")
    ]


def prepare(args: argparse.Namespace, settings: stack.Settings) -> dict[str, Any]:
    """Migrate, ingest the FAQ, seed the cases (or reuse them), time the bare encoders."""
    started = time.perf_counter()
    cxc(settings, "db", "upgrade")
    cxc(settings, "ingest", str(args.kb))
    out: dict[str, Any] = {"setup_s": 0.0}
    if "suggestions" in args.loads:
        out["seed"] = suggest.prepare(settings, cases=args.cases, open_count=args.open_cases)
    if "ask" in args.loads:
        out["encoders"] = ask.encoders_rate(
            settings.data_dir, read_texts(args.queries), seconds=max(5.0, args.seconds / 4)
        )
    out["setup_s"] = round(time.perf_counter() - started, 1)
    return out


async def one_replica_set(
    args: argparse.Namespace, settings: stack.Settings, bot_api: DayBotApi,
    workers: int, setup: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Each load on a server of its own: /v1/ask keeps no query vectors (``ASK_ENV``), the
    others run as configured (``--embedding-cache``)."""
    texts = read_texts(args.queries)
    out: dict[str, Any] = {}
    if "webhook" in args.loads:
        async with stack.serve(_with(settings, args), workers) as server:
            got = await webhook.run(
                settings, server, bot_api, texts=texts, rate=args.webhook_rate,
                seconds=args.seconds, drain_timeout_s=args.drain_timeout,
                bot_replicas=args.bot_replicas,
            )  # fmt: skip
        got["met_target"] = _met(got, args.webhook_rate, args.webhook_p99_ms) and bool(
            got["drain"]["all_answered_once"]
        )
        out["webhook"] = got
    if "ask" in args.loads:
        asking = replace(settings, extra={**settings.extra, **ASK_ENV})
        async with stack.serve(asking, workers) as server:
            got = await ask.run(
                server, texts, encoders_per_s=setup["encoders"]["per_s"], seconds=args.seconds,
                probe_seconds=args.probe_seconds, p99_ms=args.ask_p99_ms,
            )  # fmt: skip
        got["met_target"] = bool(got["sustained"]) and got["ratio_to_encoders"] >= args.ask_ratio
        out["ask"] = got
    if "suggestions" in args.loads:
        async with stack.serve(_with(settings, args), workers) as server:
            got = await suggest.run(
                server, setup["seed"], rate=args.suggest_rate, seconds=args.seconds
            )
        got["met_target"] = _met(got, args.suggest_rate, args.suggest_p99_ms)
        got["embedding_cache"] = args.embedding_cache
        out["suggestions"] = got
    return out


def _with(settings: stack.Settings, args: argparse.Namespace) -> stack.Settings:
    if args.embedding_cache is None:
        return settings
    cache = {"CXC_EMBEDDING_CACHE": str(args.embedding_cache)}
    return replace(settings, extra={**settings.extra, **cache})


def _met(got: dict[str, Any], rate: float, p99_ms: float) -> bool:
    return bool(
        got["errors"] == 0 and got["achieved_rate"] >= 0.95 * rate and got["p99_ms"] <= p99_ms
    )


async def run_loads(
    args: argparse.Namespace, data_dir: Path, setup: dict[str, Any]
) -> dict[str, Any]:
    bot_api = DayBotApi()
    await bot_api.start()
    try:
        settings = _settings(args, data_dir, bot_api.url)
        return {
            f"workers_{n}": await one_replica_set(args, settings, bot_api, n, setup)
            for n in args.workers
        }
    finally:
        await bot_api.stop()


def _settings(args: argparse.Namespace, data_dir: Path, bot_api_url: str) -> stack.Settings:
    return stack.Settings(data_dir, bot_api_url, args.database_url)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="cxc-load-") as scratch:
        data_dir = args.keep or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        setup = prepare(args, _settings(args, data_dir, "http://127.0.0.1:9"))
        results = asyncio.run(run_loads(args, data_dir, setup))
    seed = {k: v for k, v in setup.get("seed", {}).items() if k not in ("token", "open_case_ids")}
    report = {
        "conditions": {
            "seconds": args.seconds,
            "cases": args.cases,
            "open_cases": args.open_cases,
            "database": "postgresql" if args.database_url else "sqlite",
            "kb": str(args.kb),
            "queries": str(args.queries),
        },  # fmt: skip
        "setup": {"setup_s": setup["setup_s"], "seed": seed},
        "encoders": setup.get("encoders"),
        **results,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return report


if __name__ == "__main__":
    main()
