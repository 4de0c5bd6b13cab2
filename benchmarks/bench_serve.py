"""Speed and memory of the embedded defaults on a 10,000-phrasing knowledge base.

Measures, on this machine:
  * ingestion throughput of `cxc ingest` (phrasings/s, whole command incl. start-up);
  * `POST /v1/ask` latency over real HTTP against a `cxc serve` process (p50/p95, sequential);
  * the serve process's resident memory (VmRSS now and VmHWM peak) from /proc.

Run:  uv run python benchmarks/bench_serve.py [--phrasings 10000] [--queries 300]
      [--data-dir DIR [--serve-only]]   keep the index in DIR; --serve-only: reuse it, no ingest
The KB is BANKING77 train (the first N phrasings, 77 entries); queries are BANKING77 test.
Also printed: the medians of the server's own timings of each request (embed / match).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval" / "banking77"
CXC = [sys.executable, str(ROOT / "cli.py")]


def write_kb(path: Path, limit: int) -> int:
    with (EVAL / "train.csv").open(newline="") as src, path.open("w", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["id", "question", "answer"])
        n = 0
        for row in csv.DictReader(src):
            if n >= limit:
                break
            cat = row["category"]
            writer.writerow([cat, row["text"], f"Answer about {cat.replace('_', ' ')}."])
            n += 1
    return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0]) / 1024
    return fields


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phrasings", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--serve-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = str(args.data_dir or scratch)
        env = {**os.environ, "CXC_DATA_DIR": tmp, "CXC_ENV": "development"}
        kb = Path(tmp) / "kb.csv"
        Path(tmp).mkdir(parents=True, exist_ok=True)
        n = write_kb(kb, args.phrasings)
        t0 = time.perf_counter()
        if not args.serve_only:
            subprocess.run(
                [*CXC, "ingest", str(kb), "--json"], env=env, check=True, stdout=subprocess.DEVNULL
            )
        ingest_s = time.perf_counter() - t0
        port = free_port()
        server = subprocess.Popen(
            [*CXC, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            result = measure(port, server.pid, args.queries)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report = {
        "phrasings": n,
        **(
            {}
            if args.serve_only
            else {
                "ingest_seconds": round(ingest_s, 1),
                "ingest_phrasings_per_s": round(n / ingest_s, 1),
            }
        ),
        **result,
    }
    print(json.dumps(report, indent=2))


def measure(port: int, pid: int, count: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(600):
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        with (EVAL / "test.csv").open(newline="") as f:
            texts = [row["text"] for row in csv.DictReader(f)][: count + 20]
        for text in texts[:20]:  # warm-up
            client.post("/v1/ask", json={"text": text}).raise_for_status()
        times, server = [], []
        for text in texts[20:]:
            t0 = time.perf_counter()
            response = client.post("/v1/ask", json={"text": text}).raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
            server.append(response.json()["timings_ms"])
    times.sort()
    mem = proc_memory_mb(pid)
    return {
        "ask_ms_p50": round(statistics.median(times), 2),
        "ask_ms_p95": round(times[int(0.95 * (len(times) - 1))], 2),
        **{
            f"server_{k}_ms_p50": round(statistics.median(t[k] for t in server), 2)
            for k in server[0]
        },
        "serve_rss_mb": round(mem["VmRSS"], 1),
        "serve_peak_rss_mb": round(mem["VmHWM"], 1),
    }


if __name__ == "__main__":
    main()
