"""Per-entry features from the matcher's channels, and the stacker that turns them into a
calibrated probability that an entry answers the query.

The stacker is a logistic regression over (query, entry) pairs, trained at fit time on the
knowledge base itself: each sampled phrasing is held out and matched against the rest
(positive: its own entry), and a share of them is also matched with its whole entry hidden
(all candidates negative), which teaches the model what an unanswerable question looks like.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.linear_model import LogisticRegression

if TYPE_CHECKING:
    from knowledge.decision import Phrasing
    from knowledge.matcher import Matcher

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
# Used when the knowledge base is too small to train a stacker on itself: the stacker fitted on
# BANKING77 3 phrasings per intent plus its name as tags, local embeddings (e5 + USE), without
# off-topic negatives (python -m benchmarks.tune_matcher banking77 --shots 3 --tags --defaults
# --no-background).
DEFAULT_MEAN = np.array(
    [0.845, -0.077, 0.798, -0.075, 0.145, -0.335, 0.325, -0.665, -3.165, 0.013, 0.013, 0.015]
)
DEFAULT_SCALE = np.array(
    [0.116, 0.117, 0.113, 0.113, 0.084, 0.168, 0.215, 1.323, 1.55, 0.042, 0.029, 0.013]
)
DEFAULT_COEF = np.array(
    [0.702, 2.262, 0.874, 2.872, 0.207, 0.619, 0.157, 0.477, 0.411, -0.184, -0.006, 0.025]
)
DEFAULT_INTERCEPT = -8.45
DEFAULT_PLATT = (0.82, 0.035, -0.001)
MIN_EXAMPLES = 30  # positives and wrong tops needed to train a stacker on the KB itself
REPAIR_CREDIT = 0.3  # calibrated logit added per word typo repair replaced in the query ...
MAX_CREDITED = 3  # ... for at most this many words (docs/retrieval.md, "Repair credit")


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


def _gap(x: np.ndarray) -> np.ndarray:
    """Each entry's score minus the best score among the other entries of the same row."""
    if x.shape[1] < 2:
        return np.zeros_like(x)
    top2 = -np.partition(-x, 1, axis=1)[:, :2]
    best_other = np.where(x >= top2[:, :1], top2[:, 1:2], top2[:, :1])
    return x - best_other


def vote(scores: np.ndarray, where: Layout, n_entries: int, k: int = 10) -> np.ndarray:
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
        _gap(dense),
        dense_answer,
        _gap(dense_answer),
        chars,
        _gap(chars),
        bm_rel,
        log_prob + np.log(max(log_prob.shape[1], 1)),  # relative to a uniform guess
        _gap(log_prob),
        votes,
        np.exp(log_prob),
        np.broadcast_to(top_gap, dense.shape),
    ]
    return np.stack(cols, axis=2).astype(np.float32)


@dataclass
class Stacker:
    """Pairwise logistic model over features, then a top-1 calibration of its logits.

    ``score(e) = sigmoid(a * z_e + b * (z_e - best other z) + c)``, where ``z`` is the pairwise
    logit; fitted so that the top entry's score is the probability that it is right.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    platt: tuple[float, float, float] = (1.0, 0.0, 0.0)

    @classmethod
    def default(cls) -> Stacker:
        return cls(
            DEFAULT_MEAN.copy(),
            DEFAULT_SCALE.copy(),
            DEFAULT_COEF.copy(),
            DEFAULT_INTERCEPT,
            DEFAULT_PLATT,
        )

    @classmethod
    def train(cls, x: np.ndarray, y: np.ndarray, c: float = 1.0) -> Stacker:
        """Fit on (queries, entries, features) with 0/1 labels; the default when data is thin."""
        if y.size == 0:
            return cls.default()
        flat_x, flat_y = x.reshape(-1, x.shape[-1]), y.ravel()
        top = y.max(axis=1) if y.ndim == 2 else flat_y
        if flat_y.sum() < MIN_EXAMPLES or (1 - top).sum() < MIN_EXAMPLES:
            return cls.default()
        mean = flat_x.mean(axis=0)
        scale = flat_x.std(axis=0) + 1e-6
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit((flat_x - mean) / scale, flat_y)
        out = cls(mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))
        out.platt = out._fit_platt(x, y)
        return out

    def _fit_platt(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
        z = self.logits(x)
        best = z.argmax(axis=1)
        feats = np.stack([z.max(axis=1), _gap(z)[np.arange(len(z)), best]], axis=1)
        label = y[np.arange(len(z)), best]
        if label.min() == label.max():
            return DEFAULT_PLATT
        model = LogisticRegression(C=10.0, max_iter=1000).fit(feats, label)
        a, b = model.coef_[0]
        return float(a), float(b), float(model.intercept_[0])

    def logits(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def predict(self, x: np.ndarray, offset: float = 0.0) -> np.ndarray:
        """Calibrated score per entry for a (entries, features) or (queries, entries, ...) array;
        ``offset`` is added to every calibrated logit (the ranking stays as it is)."""
        z = self.logits(x)
        z2 = z[None, :] if z.ndim == 1 else z
        a, b, c = self.platt
        out = 1.0 / (1.0 + np.exp(-np.clip(a * z2 + b * _gap(z2) + c + offset, -30, 30)))
        return out[0] if z.ndim == 1 else out

    def to_json(self) -> dict[str, object]:
        return {
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "platt": list(self.platt),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stacker:
        return cls(
            np.asarray(data["mean"]),
            np.asarray(data["scale"]),
            np.asarray(data["coef"]),
            float(data["intercept"]),
            tuple(data["platt"]),
        )  # type: ignore[arg-type]


def repair_credit(words: int) -> float:
    """Confidence owed to a query for its repaired typos, as a calibrated-logit offset.

    The stacker learns from the KB's own, clean phrasings. A message typed with mistakes sits
    further from every entry even after repair (other typos stay), and the calibration reads
    that as doubt, so right answers were escalated. A word that repair replaced is evidence of
    such typing; each one (at most ``MAX_CREDITED``) adds ``REPAIR_CREDIT`` to the logit.
    """
    return REPAIR_CREDIT * min(words, MAX_CREDITED)


def self_sample(phrasings: Sequence[Phrasing], n_entries: int, *, seed: int = 0) -> np.ndarray:
    """The question phrasings matched as held-out queries to train the stacker (seeded)."""
    from knowledge.matcher import QUERY_KINDS, SELF_QUERIES

    rows = np.flatnonzero([p.kind in QUERY_KINDS for p in phrasings])
    size = min(len(rows), SELF_QUERIES, max(200, 300_000 // max(n_entries, 1)))
    if n_entries < 2:
        size = 0
    return np.sort(np.random.default_rng(seed).choice(rows, size, replace=False))


def text_ids(phrasings: Sequence[Phrasing]) -> np.ndarray:
    """One id per phrasing, shared by phrasings with the same text (case and spaces aside)."""
    keys = [" ".join(p.text.lower().split()) for p in phrasings]
    return np.unique(np.asarray(keys, dtype=object), return_inverse=True)[1].ravel()


def self_training(
    matcher: Matcher, sample: np.ndarray, log_prob: np.ndarray, same: np.ndarray, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Stacker training rows from the KB itself: the ``sample`` phrasings matched as queries,
    with ``log_prob`` from classifiers that never saw them (``classifier.cross_fit``), some
    also with their whole entry hidden; ``same``: :func:`text_ids` of the phrasings (a
    phrasing's duplicates are hidden with it)."""
    from knowledge.classifier import FLOOR
    from knowledge.matcher import ENTRY_OUT_SHARE

    rng = np.random.default_rng([seed, 2])
    n_entries, size = len(matcher.entry_ids), len(sample)
    if size == 0:
        return np.zeros((0, n_entries, len(FEATURES))), np.zeros((0, n_entries))
    n_out = max(round(ENTRY_OUT_SHARE * size), min(size // 2, MIN_EXAMPLES * 2))
    out = np.zeros(size, dtype=bool)
    out[rng.choice(size, n_out, replace=False)] = True
    xs, ys = [], []
    for lo in range(0, size, 256):
        idx = np.arange(lo, min(lo + 256, size))
        xs_, ys_ = _rows(matcher, sample[idx], log_prob[idx], out[idx], same, FLOOR)
        xs.append(xs_)
        ys.append(ys_)
    return np.concatenate(xs), np.concatenate(ys)


def _rows(
    matcher: Matcher,
    sample: np.ndarray,
    log_prob: np.ndarray,
    out: np.ndarray,
    same: np.ndarray,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    groups, n_entries = matcher._groups, len(matcher.entry_ids)
    texts = [matcher.phrasings[i].text for i in sample]
    truth = groups[sample]
    hidden = same[None, :] == same[sample, None]  # the phrasing itself and its duplicates
    hidden_out = hidden[out] | (groups[None, :] == truth[out, None])
    lp_out = log_prob[out].copy()
    lp_out[np.arange(out.sum()), truth[out]] = floor
    lp_out -= np.log(np.exp(lp_out).sum(axis=1, keepdims=True))
    qv = matcher._vectors[sample]
    x_in = matcher.channel_features(texts, qv, hidden=hidden, log_prob=log_prob)
    x_out = matcher.channel_features(
        [t for t, o in zip(texts, out, strict=True) if o],
        qv[out],
        hidden=hidden_out,
        log_prob=lp_out,
    )
    y_in = np.zeros((len(sample), n_entries), dtype=np.float32)
    still = ~(hidden | (groups[None, :] != truth[:, None])).all(axis=1)
    y_in[np.flatnonzero(still), truth[still]] = 1.0
    x = np.concatenate([x_in, x_out])
    y = np.concatenate([y_in, np.zeros(x_out.shape[:2], np.float32)])
    return x, y
