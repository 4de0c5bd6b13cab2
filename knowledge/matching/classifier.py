"""A linear classifier over phrasing embeddings, trained at fit time on the knowledge base: one
of the matcher's channels. Saved as ``.npy`` arrays.

With vectors made of several *views* (the local embeddings: e5 then USE, see
``knowledge.store.embeddings``) it is one multinomial logistic regression per view, and their
log-probabilities are mixed with fixed weights and renormalised (a weighted product of experts).
Two encoders trained apart make different mistakes: on BANKING77 with 10 phrasings per intent
(validation) the mix ranks 0.813-0.816 right (e5 weight 0.5-0.7) against 0.800 for e5 alone
(docs/retrieval.md).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

FLOOR = -20.0  # log-probability of an entry the classifier has never seen
C = 50.0
HOLD_SHARE = 0.1  # cross-fitting holds out at most this share of the phrasings per fold ...
MIN_FOLDS, MAX_FOLDS = 2, 20  # ... in this many folds (docs/retrieval.md, "Held-out folds")
MIX = (0.6, 0.4)  # weights of the views' log-probabilities (docs/retrieval.md, "Two encoders")


class Classifier:
    def __init__(
        self, weights: np.ndarray, bias: np.ndarray, views: tuple[int, ...] | None = None
    ) -> None:
        self.weights = weights.astype(np.float32)  # (entries, dim): the views side by side
        self.bias = np.atleast_2d(bias).astype(np.float32)  # (views, entries); FLOOR: unseen
        self.views = tuple(views) if views else (self.weights.shape[1],)
        if len(self.views) > len(MIX):
            raise ValueError(f"at most {len(MIX)} views, not {len(self.views)}")
        self.mix = np.asarray(MIX if len(self.views) > 1 else (1.0,))

    @classmethod
    def fit(
        cls,
        vectors: np.ndarray,
        labels: np.ndarray,
        n_entries: int,
        c: float = C,
        *,
        views: tuple[int, ...] | None = None,
        init: Classifier | None = None,
    ) -> Classifier:
        """Fit on (phrasings, dim) vectors with entry indices as labels, one model per view.

        ``init`` (a classifier over the same entries) is the starting point of the solver:
        the loss is strictly convex, so the optimum is the same, only reached in fewer steps
        (:func:`cross_fit` starts the full model from a held-out fold's).
        """
        dim = vectors.shape[1]
        views = tuple(views) if views else (dim,)
        weights = np.zeros((n_entries, dim), dtype=np.float32)
        bias = np.full((len(views), n_entries), FLOOR, dtype=np.float32)
        slices = _slices(views)

        def one(v: int) -> tuple[np.ndarray, np.ndarray]:
            start = None if init is None else (init.weights[:, slices[v]], init.bias[v])
            return _fit_one(vectors[:, slices[v]], labels, n_entries, c, start)

        # The views' models are independent and numpy's products release the GIL, so on two
        # cores they train side by side, in clearly less time than one after the other
        # (docs/history.md, "Two encoders, e5 and USE"). The warning filter is process-wide:
        # set around both.
        with warnings.catch_warnings(), ThreadPoolExecutor(min(len(views), 2)) as pool:
            warnings.simplefilter("ignore", ConvergenceWarning)
            for v, (w, b) in enumerate(pool.map(one, range(len(views)))):
                weights[:, slices[v]], bias[v] = w, b
        return cls(weights, bias, views)

    def grow(self, n_entries: int) -> None:
        """Make room for entries added after training (the classifier never predicts them)."""
        extra = n_entries - self.bias.shape[1]
        if extra > 0:
            self.weights = np.vstack(
                [self.weights, np.zeros((extra, self.weights.shape[1]), dtype=np.float32)]
            )
            pad = np.full((len(self.bias), extra), FLOOR, dtype=np.float32)
            self.bias = np.hstack([self.bias, pad])

    def log_proba(self, vectors: np.ndarray) -> np.ndarray:
        mixed = sum(
            w * _log_softmax(vectors[:, cols] @ self.weights[:, cols].T + self.bias[v])
            for v, (w, cols) in enumerate(zip(self.mix, _slices(self.views), strict=True))
        )
        return np.maximum(_log_softmax(np.asarray(mixed)), FLOOR).astype(np.float32)

    def save(self, directory: Path) -> None:
        np.save(directory / "clf_weights.npy", self.weights)
        np.save(directory / "clf_bias.npy", self.bias)
        np.save(directory / "clf_views.npy", np.asarray(self.views, dtype=np.int64))

    @classmethod
    def load(cls, directory: Path) -> Classifier:
        views = tuple(int(v) for v in np.load(directory / "clf_views.npy"))
        return cls(
            np.load(directory / "clf_weights.npy"), np.load(directory / "clf_bias.npy"), views
        )


def cross_fit(
    vectors: np.ndarray,
    labels: np.ndarray,
    n_entries: int,
    rows: np.ndarray,
    texts: np.ndarray,
    *,
    views: tuple[int, ...] | None = None,
    seed: int = 0,
) -> tuple[Classifier, np.ndarray]:
    """The classifier of all phrasings, and log-probabilities of ``vectors[rows]`` from models
    that never saw them.

    ``rows`` are split into folds; each fold's model trains on every phrasing except the
    fold's rows and the phrasings with the same text (``texts``: a text id per phrasing).
    Folds hold out at most ``HOLD_SHARE`` of the KB, so a held-out question meets a model
    nearly as strong as the one that will answer real questions: on a few-shot KB a third
    held out made the classifier look much weaker than it is, and the stacker trusted it less.
    Each fold starts from zero: a start from the full model stops near it, next to the
    phrasings it should not have seen. The full model starts from the last fold's.
    """
    n = len(labels)
    out = np.zeros((len(rows), n_entries), dtype=np.float32)
    n_folds = int(np.clip(np.ceil(len(rows) / max(HOLD_SHARE * n, 1.0)), MIN_FOLDS, MAX_FOLDS))
    folds = np.random.default_rng([seed, 1]).permutation(len(rows)) % n_folds
    model = None
    for f in range(min(n_folds, len(rows))):
        pick = folds == f
        train = ~np.isin(texts, texts[rows[pick]])
        model = Classifier.fit(vectors[train], labels[train], n_entries, views=views)
        out[pick] = model.log_proba(vectors[rows[pick]])
    return Classifier.fit(vectors, labels, n_entries, views=views, init=model), out


def _slices(views: tuple[int, ...]) -> list[slice]:
    ends = np.cumsum(views)
    return [slice(int(e - w), int(e)) for w, e in zip(views, ends, strict=True)]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return np.asarray(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))


def _fit_one(
    vectors: np.ndarray,
    labels: np.ndarray,
    n_entries: int,
    c: float,
    start: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression on one view: (entries, width) weights, (entries,) bias."""
    weights = np.zeros((n_entries, vectors.shape[1]), dtype=np.float32)
    bias = np.full(n_entries, FLOOR, dtype=np.float32)
    classes = np.unique(labels)
    if len(classes) == 1:
        bias[classes[0]] = 0.0
    elif len(classes) > 1:
        model = LogisticRegression(C=c, max_iter=300, tol=1e-4, warm_start=start is not None)
        if start is not None and len(classes) > 2:
            model.coef_ = start[0][classes].astype(np.float64)
            bias0 = start[1][classes].astype(np.float64)
            model.intercept_ = np.where(bias0 <= FLOOR, 0.0, bias0)  # classes init never saw
        model.fit(vectors, labels)
        coef, intercept = model.coef_, model.intercept_
        if len(classes) == 2:  # binary sklearn model: one row for the second class
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        weights[classes] = coef
        bias[classes] = intercept
    return weights, bias
