"""The classifier channel over vectors of several views (e5 then USE)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.matching.classifier import MIX, Classifier, cross_fit
from tests.knowledge.test_matcher import FAQ, VIEWS, Local, phrasings_of, vectors_of


def training_set() -> tuple[np.ndarray, np.ndarray]:
    phrasings = [p for p in phrasings_of(FAQ) if p.kind == "question"]
    ids = {e.id: i for i, e in enumerate(FAQ)}
    return vectors_of(Local(), phrasings), np.array([ids[p.entry_id] for p in phrasings])


def test_views_are_fitted_apart_and_mixed_as_a_weighted_product() -> None:
    vectors, labels = training_set()
    both = Classifier.fit(vectors, labels, len(FAQ), views=VIEWS)
    e5 = Classifier.fit(vectors[:, : VIEWS[0]], labels, len(FAQ))
    use = Classifier.fit(vectors[:, VIEWS[0] :], labels, len(FAQ))
    queries = Local().query(["I forgot my password", "где мой заказ", "card declined"])
    mixed = MIX[0] * e5.log_proba(queries[:, : VIEWS[0]]) + MIX[1] * use.log_proba(
        queries[:, VIEWS[0] :]
    )
    expected = mixed - np.log(np.exp(mixed).sum(axis=1, keepdims=True))
    got = both.log_proba(queries)
    assert np.allclose(got, expected, atol=1e-4)
    assert np.allclose(np.exp(got).sum(axis=1), 1.0, atol=1e-4)
    names = [FAQ[i].id for i in got.argmax(axis=1)]
    assert names == ["password", "late", "card"]


def test_entries_added_later_are_never_predicted_and_a_save_keeps_the_views(
    tmp_path: Path,
) -> None:
    vectors, labels = training_set()
    clf = Classifier.fit(vectors, labels, len(FAQ), views=VIEWS)
    clf.grow(len(FAQ) + 2)
    lp = clf.log_proba(vectors[:3])
    assert lp.shape == (3, len(FAQ) + 2) and (lp[:, len(FAQ) :] < -15).all()
    clf.save(tmp_path)
    loaded = Classifier.load(tmp_path)
    assert loaded.views == VIEWS
    assert np.array_equal(loaded.log_proba(vectors[:3]), lp)


def test_more_views_than_mix_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 2 views"):
        Classifier(np.zeros((2, 9), np.float32), np.zeros((3, 2), np.float32), (3, 3, 3))


def test_held_out_predictions_come_from_models_that_never_saw_the_phrasing() -> None:
    # Random labels on random vectors: nothing generalises, so a model can only be right
    # about a phrasing it was trained on. 256 dimensions for 200 phrasings: fully memorised.
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 256)).astype(np.float32)
    labels = rng.integers(0, 5, 200)
    texts = np.arange(200)
    vectors[150:], labels[150:], texts[150:] = vectors[100:150], labels[100:150], texts[100:150]
    seen = Classifier.fit(vectors, labels, 5)
    assert (seen.log_proba(vectors).argmax(axis=1) == labels).mean() > 0.95
    rows = np.arange(0, 200, 2)  # every other phrasing, duplicates of each other among them
    full, log_prob = cross_fit(vectors, labels, 5, rows, texts, seed=0)
    assert log_prob.shape == (100, 5)
    assert (log_prob.argmax(axis=1) == labels[rows]).mean() < 0.4  # chance is 0.2
    assert (full.log_proba(vectors).argmax(axis=1) == labels).mean() > 0.95  # saw them all
