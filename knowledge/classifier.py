"""A linear classifier over phrasing embeddings (multinomial logistic regression), trained at
fit time on the knowledge base: one of the matcher's channels. Saved as ``.npy`` arrays."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

FLOOR = -20.0  # log-probability of an entry the classifier has never seen
C = 50.0


class Classifier:
    def __init__(self, weights: np.ndarray, bias: np.ndarray) -> None:
        self.weights = weights.astype(np.float32)  # (entries, dim)
        self.bias = bias.astype(np.float32)  # (entries,); -inf-like for unseen entries

    @classmethod
    def fit(
        cls,
        vectors: np.ndarray,
        labels: np.ndarray,
        n_entries: int,
        c: float = C,
        *,
        init: Classifier | None = None,
    ) -> Classifier:
        """Fit on (phrasings, dim) vectors with entry indices as labels.

        ``init`` (a classifier over the same entries) is the starting point of the solver:
        the loss is strictly convex, so the optimum is the same, only reached in fewer steps
        (the held-out folds of ``knowledge.calibration`` start from the full-KB model).
        """
        dim = vectors.shape[1] if vectors.ndim == 2 else 384
        weights = np.zeros((n_entries, dim), dtype=np.float32)
        bias = np.full(n_entries, FLOOR, dtype=np.float32)
        classes = np.unique(labels)
        if len(classes) == 1:
            bias[classes[0]] = 0.0
        elif len(classes) > 1:
            model = LogisticRegression(C=c, max_iter=300, tol=1e-4, warm_start=init is not None)
            if init is not None and len(classes) > 2:
                model.coef_ = init.weights[classes].astype(np.float64)
                model.intercept_ = init.bias[classes].astype(np.float64)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(vectors, labels)
            coef, intercept = model.coef_, model.intercept_
            if len(classes) == 2:  # binary sklearn model: one row for the second class
                coef = np.vstack([-coef[0] / 2, coef[0] / 2])
                intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
            weights[classes] = coef
            bias[classes] = intercept
        return cls(weights, bias)

    def grow(self, n_entries: int) -> None:
        """Make room for entries added after training (the classifier never predicts them)."""
        extra = n_entries - len(self.bias)
        if extra > 0:
            self.weights = np.vstack(
                [self.weights, np.zeros((extra, self.weights.shape[1]), dtype=np.float32)]
            )
            self.bias = np.concatenate([self.bias, np.full(extra, FLOOR, dtype=np.float32)])

    def log_proba(self, vectors: np.ndarray) -> np.ndarray:
        z = vectors @ self.weights.T + self.bias
        z = z - z.max(axis=1, keepdims=True)
        out = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return np.maximum(out, FLOOR).astype(np.float32)

    def save(self, directory: Path) -> None:
        np.save(directory / "clf_weights.npy", self.weights)
        np.save(directory / "clf_bias.npy", self.bias)

    @classmethod
    def load(cls, directory: Path) -> Classifier:
        return cls(np.load(directory / "clf_weights.npy"), np.load(directory / "clf_bias.npy"))
