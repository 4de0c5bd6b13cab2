"""A contact-centre day as a benchmark: the real API, bot and worker processes, a loopback
Telegram Bot API and generated customers, operators and a supervisor (benchmarks/contact_centre).
Prints the figures (throughput, counts, bot reply latency) and what every check found.

    python -m benchmarks.contact_centre_day --customers 5000
    python -m benchmarks.contact_centre_day --customers 300 --kill-at 0.4 --outage-s 120
    python -m benchmarks.contact_centre_day --kill-at 0.4 --outage-s 60 --throttle-s 30 \
        --kill-in-outage bot,api

PostgreSQL: --database-url postgresql+asyncpg://... (that database is emptied first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from benchmarks.contact_centre import checks
from benchmarks.contact_centre.day import DayConfig, run_day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--operators", type=int, default=3)
    parser.add_argument("--spread-s", type=float, default=None, help="arrivals over this long")
    parser.add_argument("--kill-at", type=float, default=None, help="when to kill -9 --kill")
    parser.add_argument("--kill", default="bot,worker", help="of api, bot, worker")
    parser.add_argument("--kill-in-outage", default="bot", help="killed 3 s into the outage")
    parser.add_argument("--outage-s", type=float, default=0.0, help="Bot API answers 502")
    parser.add_argument("--throttle-s", type=float, default=0.0, help="of it: 429 retry_after")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="cxc-day-"))
    config = DayConfig(
        data_dir=data_dir,
        customers=args.customers,
        seed=args.seed,
        operators=args.operators,
        database_url=args.database_url,
        spread_s=args.spread_s,
        kill_at=args.kill_at,
        kill=tuple(args.kill.split(",")),
        kill_in_outage=tuple(args.kill_in_outage.split(",")),
        outage_s=args.outage_s,
        throttle_s=args.throttle_s,
        max_day_s=3600.0,
    )
    started = time.monotonic()
    result = asyncio.run(run_day(config))
    wall = time.monotonic() - started
    figures = result.ledger.figures()
    day_s = result.seconds.get("day", 0.0) + result.seconds.get("settle", 0.0)
    figures.update(
        {
            "wall_s": round(wall, 1),
            **{f"{k}_s": round(v, 1) for k, v in result.seconds.items()},
            "customer_messages_per_s": round(figures["customer_messages"] / day_s, 2),  # type: ignore[operator]
            "api_calls_per_s": round(figures["api_calls"] / day_s, 2),  # type: ignore[operator]
            "telegram_sent": sum(len(v) for v in result.bot_api.sent.values()),
            "telegram_refused": result.bot_api.refused,
            "kills": result.kills,
            "data_dir": str(data_dir),
        }
    )
    found = checks.run_all(result)
    if args.json:
        print(json.dumps({"figures": figures, "checks": found}, default=str, indent=1))
        return
    for name, value in figures.items():
        print(f"{name:28} {value}")
    print()
    for name, problems in found.items():
        print(f"{'ok' if not problems else 'FAIL':5}{name:16} {len(problems)} problems")
        for line in problems[:5]:
            print(f"      {line[:160]}")


if __name__ == "__main__":
    main()
