"""Probe (session 9, not adopted): a Mahalanobis channel beside the matcher's others.

Per encoder view, each entry's question phrasings give a mean, and all of them one shared
within-entry covariance (Ledoit-Wolf). A query's squared Mahalanobis distance to each entry's
mean, per dimension and averaged over the views, enters the stacker as two more features:
minus the distance, and its gap to the best other entry. A held-out phrasing of the stacker's
self-training is measured against its entry's mean without it (and an entry hidden whole is
farthest). Class-conditional Gaussians with a shared covariance are a common out-of-scope
detector over frozen sentence embeddings; here they are weighed against the plain Matcher on
the validation sets (docs/retrieval.md, "What did not move BANKING77"):

    uv run python -m benchmarks.probe_gaussian banking77-cv clinc150-val+oos --seeds 0 1 2
    uv run python -m benchmarks.probe_gaussian clinc150-val+oos --shots 5 --seeds 0 1 2
    uv run python -m benchmarks.probe_gaussian clinc150-val+oos --diagnose
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.covariance import LedoitWolf
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

from benchmarks import datasets as ds
from benchmarks import tune_matcher as tm
from knowledge.calibration import _gap
from knowledge.matcher import Matcher, Thresholds


@dataclass
class _View:
    cols: slice
    sums: np.ndarray  # (entries, width): sum of the entry's question vectors
    counts: np.ndarray  # (entries,)
    means: np.ndarray
    precision: np.ndarray
    const: np.ndarray  # mean' P mean, per entry


class Gaussian:
    """Per view, the entries' question means and one shared within-entry precision matrix."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        rows = matcher._is_query
        vectors, groups = matcher._vectors[rows], matcher._groups[rows]
        n = len(matcher.entry_ids)
        self.views, start = [], 0
        for width in matcher.views:
            cols = slice(start, start + width)
            start += width
            x = vectors[:, cols].astype(np.float64)
            sums = np.zeros((n, width))
            np.add.at(sums, groups, x)
            counts = np.bincount(groups, minlength=n).astype(np.float64)
            means = sums / np.maximum(counts, 1.0)[:, None]
            precision = LedoitWolf().fit(x - means[groups]).precision_
            const = ((means @ precision) * means).sum(axis=1)
            self.views.append(_View(cols, sums, counts, means, precision, const))

    def distances(self, queries: np.ndarray, hidden: np.ndarray | None = None) -> np.ndarray:
        """(queries, entries) squared distances per dimension, averaged over the views;
        ``hidden`` phrasings leave their entry's mean (an entry hidden whole is the farthest)."""
        m = self.matcher
        total = np.zeros((len(queries), len(m.entry_ids)))
        for v in self.views:
            q = np.asarray(queries, dtype=np.float64)[:, v.cols]
            qp = q @ v.precision
            d = (qp * q).sum(axis=1)[:, None] - 2.0 * qp @ v.means.T + v.const[None, :]
            d[:, v.counts == 0] = np.nan
            if hidden is not None:
                self._without_hidden(d, q, v, hidden & m._is_query[None, :])
            total += d / q.shape[1]
        total /= len(self.views)
        worst = np.nanmax(np.where(np.isnan(total), -np.inf, total), axis=1, keepdims=True)
        return np.where(np.isnan(total), worst, total)

    def _without_hidden(self, d: np.ndarray, q: np.ndarray, v: _View, hidden: np.ndarray) -> None:
        """Distances to the means of entries that lost phrasings to ``hidden``, recomputed."""
        m, n = self.matcher, len(self.matcher.entry_ids)
        rows, cols = np.nonzero(hidden)
        if not len(rows):
            return
        keys, inverse = np.unique(rows * n + m._groups[cols], return_inverse=True)
        removed = np.zeros((len(keys), q.shape[1]))
        np.add.at(removed, inverse, m._vectors[cols, v.cols])
        r, entry = keys // n, keys % n
        left = v.counts[entry] - np.bincount(inverse, minlength=len(keys))
        diff = q[r] - (v.sums[entry] - removed) / np.maximum(left, 1)[:, None]
        d[r, entry] = np.where(left > 0, ((diff @ v.precision) * diff).sum(axis=1), np.nan)


class GaussianMatcher(Matcher):
    """The product's Matcher with the two distance features appended (fitted on first use)."""

    _gaussian: Gaussian | None = None

    def channel_features(self, texts: Sequence[str], queries: np.ndarray, **kw: Any) -> np.ndarray:
        base = super().channel_features(texts, queries, **kw)
        if not len(texts):
            return np.zeros((*base.shape[:2], base.shape[2] + 2), dtype=np.float32)
        if self._gaussian is None:
            self._gaussian = Gaussian(self)
        score = -self._gaussian.distances(queries, kw.get("hidden"))
        extra = np.stack([score, _gap(score)], axis=2)
        return np.concatenate([base, extra], axis=2).astype(np.float32)


def diagnose(task: ds.Task) -> None:
    """Upper bound: how much the distance would add to the plain matcher's confidence if a
    model could learn from the task's real out-of-scope queries (5-fold cross-validated)."""
    matcher, _ = tm.build(task)
    _, matches = tm.evaluate(task, matcher=matcher)
    vectors = tm._views(ds.embed([matcher.prepare(t) for t, _ in task.queries], "query"))
    labels = [label for _, label in task.queries]
    right = np.array([m.ranked[0].entry_id == y for m, y in zip(matches, labels, strict=True)])
    oos = np.array([y is None for y in labels])
    pick = right | oos
    conf = np.clip([m.confidence for m in matches], 1e-6, 1 - 1e-6)
    nearest = Gaussian(matcher).distances(vectors).min(axis=1)
    inputs = {
        "confidence": [np.log(conf / (1 - conf))],
        "+ distance": [np.log(conf / (1 - conf)), -nearest],
    }
    for name, cols in inputs.items():
        x, y = np.column_stack(cols)[pick], right[pick].astype(int)
        p = cross_val_predict(LogisticRegression(), x, y, cv=5, method="predict_proba")[:, 1]
        cut = np.sort(p[y == 0])
        kept = [float((p[y == 1] > cut[int(r * len(cut))]).mean()) for r in (0.80, 0.85)]
        print(
            f"{task.name} {name}: ROC AUC {roc_auc_score(y, p):.4f}, right answers kept at "
            f"oos_recall 0.80 / 0.85: {kept[0]:.4f} / {kept[1]:.4f}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tasks", nargs="+", choices=sorted(tm.TASKS))
    ap.add_argument("--shots", type=int, default=0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--diagnose", action="store_true", help="the upper bound only (diagnose)")
    args = ap.parse_args(argv)
    grid = (0.1, 0.15)
    for name in args.tasks:
        task = tm.TASKS[name]()
        if args.shots:
            task = ds.few_shot(task, args.shots)
        if args.diagnose:
            diagnose(task)
            continue
        for cls in (Matcher, GaussianMatcher):
            cells: dict[str, list[float]] = {}
            for seed in args.seeds:
                matcher, _ = tm.build(task, seed=seed, cls=cls)
                result, matches = tm.evaluate(task, matcher=matcher)
                cells.setdefault("top1", []).append(result["top1"])
                for answer in grid:
                    th = Thresholds(answer, tm.DEFAULT.clarify, tm.DEFAULT.margin)
                    m = tm.metrics(matches, task.queries, th)
                    cells.setdefault(f"acc@{answer}", []).append(m["accuracy"])
                    if task.queries and any(label is None for _, label in task.queries):
                        cells.setdefault(f"oos@{answer}", []).append(m["oos_recall"])
            line = " ".join(f"{k}={np.mean(v):.3f}" for k, v in cells.items())
            print(f"{task.name} shots={args.shots} {cls.__name__}: {line}", flush=True)


if __name__ == "__main__":
    main()
