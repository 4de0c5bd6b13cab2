"""The stacker: a calibrated probability, per entry, that it answers the query.

A logistic regression over (query, entry) pairs of ``knowledge.matching.features``, trained at
fit time on the knowledge base itself (``knowledge.matching.fit``), then a top-1 calibration of
its logits. Too small a KB keeps the default stacker below. ``repair_credit`` is the confidence
owed to a query for its repaired typos.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from knowledge.matching.features import gap

# Used when the knowledge base is too small to train a stacker on itself: the stacker fitted on
# BANKING77 3 phrasings per intent plus its name as tags, local embeddings (e5 + USE), without
# off-topic negatives (python -m tools.tune_matcher banking77 --shots 3 --tags --defaults
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

    @property
    def is_default(self) -> bool:
        """Whether this is the default stacker (the KB was too small to train its own)."""
        return self.intercept == DEFAULT_INTERCEPT and tuple(self.platt) == DEFAULT_PLATT

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
        feats = np.stack([z.max(axis=1), gap(z)[np.arange(len(z)), best]], axis=1)
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
        out = 1.0 / (1.0 + np.exp(-np.clip(a * z2 + b * gap(z2) + c + offset, -30, 30)))
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
