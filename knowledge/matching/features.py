"""Per-entry features of a batch of queries, from the matcher's channel scores.

Each channel gives a (queries, phrasings) score matrix; ``entry_max`` takes each entry's best
phrasing (over a ``layout`` of the columns), ``vote`` the entries' share of the nearest
phrasings, and ``features`` stacks them with their gaps into the (queries, entries, features)
array the stacker reads (``FEATURES`` names its last axis).
"""

from __future__ import annotations

import numpy as np

FEATURES = (
    "dense",
    "dense_gap",
    "dense_answer",
    "dense_answer_gap",
    "chars",
    "chars_gap",
    "bm25_rel",
    "log_prob",
    "log_prob_gap",
    "vote",
    "prob",
    "dense_top_gap",
)
Layout = tuple[np.ndarray, np.ndarray, np.ndarray]


def layout(groups: np.ndarray, mask: np.ndarray) -> Layout:
    """Columns of ``mask`` sorted by entry, the entries present and where each starts."""
    cols = np.flatnonzero(mask)
    cols = cols[np.argsort(groups[cols], kind="stable")]
    uniq, starts = np.unique(groups[cols], return_index=True)
    return cols, uniq, starts


def entry_max(scores: np.ndarray, where: Layout, n_entries: int) -> np.ndarray:
    """Row-wise max of ``scores`` (queries x phrasings) per entry; rows' minimum where none."""
    cols, uniq, starts = where
    nq = scores.shape[0]
    if len(cols) == 0:
        return np.zeros((nq, n_entries), dtype=np.float32)
    picked = scores[:, cols]
    out = np.repeat(picked.min(axis=1, keepdims=True), n_entries, axis=1).astype(np.float32)
    out[:, uniq] = np.maximum.reduceat(picked, starts, axis=1)
    return out


def gap(x: np.ndarray) -> np.ndarray:
    """Each entry's score minus the best score among the other entries of the same row."""
    if x.shape[1] < 2:
        return np.zeros_like(x)
    top2 = -np.partition(-x, 1, axis=1)[:, :2]
    best_other = np.where(x >= top2[:, :1], top2[:, 1:2], top2[:, :1])
    return x - best_other


VOTE_K = 10


def vote_k(phrasings_per_entry: float) -> int:
    """How many nearest phrasings vote: ``VOTE_K``, or fewer when entries have fewer phrasings
    (a vote among more neighbours than an entry has is a vote of the other entries: on the
    small company FAQs of docs/benchmarks.md, 2-3 phrasings per entry, ten voters ranked the
    right entry first 0.555 / 0.635, two 0.585 / 0.631, and in the top three 0.740 / 0.759
    against 0.800 / 0.759)."""
    return int(max(1, min(VOTE_K, phrasings_per_entry)))


def vote(scores: np.ndarray, where: Layout, n_entries: int, k: int = VOTE_K) -> np.ndarray:
    """Share of each entry among the ``k`` nearest phrasings of ``where``."""
    cols, uniq, starts = where
    groups = np.repeat(uniq, np.diff(np.append(starts, len(cols))))
    scores = scores[:, cols]
    nq, n = scores.shape
    out = np.zeros((nq, n_entries), dtype=np.float32)
    if n == 0:
        return out
    k = min(k, n)
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(nq), k)
    np.add.at(out, (rows, groups[top].ravel()), 1.0 / k)
    return out


def features(
    dense: np.ndarray,
    dense_answer: np.ndarray,
    chars: np.ndarray,
    bm25: np.ndarray,
    log_prob: np.ndarray,
    votes: np.ndarray,
) -> np.ndarray:
    """(queries, entries, len(FEATURES)) feature array from per-entry channel scores."""
    bmax = bm25.max(axis=1, keepdims=True)
    bm_rel = np.where(bmax > 0, bm25 / np.maximum(bmax, 1e-9), 0.0)
    top = np.sort(dense, axis=1)[:, ::-1]
    top_gap = (top[:, :1] - top[:, 1:2]) if dense.shape[1] > 1 else np.zeros_like(top[:, :1])
    cols = [
        dense,
        gap(dense),
        dense_answer,
        gap(dense_answer),
        chars,
        gap(chars),
        bm_rel,
        log_prob + np.log(max(log_prob.shape[1], 1)),  # relative to a uniform guess
        gap(log_prob),
        votes,
        np.exp(log_prob),
        np.broadcast_to(top_gap, dense.shape),
    ]
    return np.stack(cols, axis=2).astype(np.float32)
