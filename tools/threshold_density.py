"""Out-of-scope recall and accuracy by answer threshold, for KBs of different richness.

The answer threshold's default depends on how many question phrasings an entry has
(docs/retrieval.md, "The answer threshold follows the KB's richness"). This prints, per
phrasings-per-entry setting and answer threshold, the mean over seeds of accuracy and
out-of-scope recall on a validation task (the KB: K phrasings per entry; 0: all of them):

    uv run python -m tools.threshold_density clinc150-val+oos --shots 5 10 20 30 50 80 0
    uv run python -m tools.threshold_density banking77-cv banking77_ru-val --shots 0

Each matcher is fitted once per seed; its answers are re-decided at every threshold exactly
as ``cxc eval --sweep`` does (a clarify stays a clarify, anything else is answered when its
confidence reaches the threshold).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from collections.abc import Sequence

import numpy as np

from benchmarks import datasets as ds
from core.domain import Decision
from knowledge.matching.decision import Match, decision_at
from tools import tune_matcher as tm

GRID = (0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15, 0.2)


def scores(
    matches: Sequence[Match], queries: Sequence[tuple[str, str | None]], threshold: float
) -> tuple[float, float]:
    """(accuracy over in-scope queries, out-of-scope recall or NaN) at ``threshold``."""
    right = inside = oos = escalated = 0
    for m, (_, label) in zip(matches, queries, strict=True):
        decision = decision_at(m.decision, m.confidence if m.ranked else None, threshold)
        if label is None:
            oos += 1
            escalated += decision == Decision.ESCALATE
        else:
            inside += 1
            right += decision != Decision.ESCALATE and m.ranked[0].entry_id == label
    return right / max(inside, 1), escalated / oos if oos else float("nan")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tasks", nargs="+", choices=sorted(tm.TASKS))
    ap.add_argument("--shots", type=int, nargs="+", default=[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args(argv)
    for name in args.tasks:
        for shots in args.shots:
            task = tm.TASKS[name]()
            if shots:
                task = ds.few_shot(task, shots)
            table = np.zeros((len(args.seeds), len(GRID), 2))
            for s, seed in enumerate(args.seeds):
                matcher, _ = tm.build(task, seed=seed)
                _, matches = tm.evaluate(task, matcher=matcher)
                table[s] = [scores(matches, task.queries, t) for t in GRID]
                per_entry = matcher.phrasings_per_entry
            mean = table.mean(axis=0)
            cells = " ".join(f"{t}: {a:.3f}/{o:.3f}" for t, (a, o) in zip(GRID, mean, strict=True))
            print(f"{name} shots={shots} per_entry={per_entry:g} {cells}", flush=True)


if __name__ == "__main__":
    main()
