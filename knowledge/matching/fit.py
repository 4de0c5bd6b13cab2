"""Fitting a :class:`~knowledge.matching.matcher.Matcher` on a knowledge base (ingest time).

The classifier is cross-fitted on the KB's phrasings (``classifier.cross_fit``), then the
stacker is trained on the KB itself: each sampled phrasing is held out and matched against the
rest (positive: its own entry), and a share of them is also matched with its whole entry hidden
(all candidates negative), which teaches the model what an unanswerable question looks like.
Off-topic messages (``knowledge.matching.background``) add negatives (docs/retrieval.md,
"Off-topic negatives").

Training reads the matcher only through its public surface (``entry_ids``, ``phrasings``,
``groups``, ``vectors``, ``question_vectors``, ``channel_features``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from core.domain import FaqEntry
from knowledge.matching.background import Background
from knowledge.matching.classifier import FLOOR, cross_fit
from knowledge.matching.decision import QUERY_KINDS, Phrasing, Thresholds
from knowledge.matching.features import FEATURES, VOTE_K, vote_k
from knowledge.matching.languages import Basis, empty_basis, language_basis, without_language
from knowledge.matching.lexical import Lexical
from knowledge.matching.matcher import Matcher
from knowledge.matching.stacker import MIN_EXAMPLES, Stacker

SELF_QUERIES = 2000  # held-out phrasings used to train the stacker
ENTRY_OUT_SHARE = 0.4  # share of those also matched with their whole entry hidden
QUANTILE = 0.1  # off-topic kept: farther from the KB than 90% of its phrasings from their nearest
SAMPLE = 2000  # question phrasings that set that distance


def fit_matcher(
    entries: Sequence[FaqEntry],
    phrasings: Sequence[Phrasing],
    vectors: np.ndarray,
    thresholds: Thresholds,
    *,
    seed: int = 0,
    background: Background | None = None,
    views: tuple[int, ...] | None = None,
) -> Matcher:
    """Train the classifier and the stacker on the KB's own phrasings; ``background``
    (off-topic messages and their query vectors) adds negatives to the stacker; ``views``:
    the widths of the encoders' parts of each vector (None: one view).

    The KB's language subspace (``knowledge.matching.languages``) is taken out of the vectors,
    and the vote counts as many neighbours as entries have phrasings (``features.vote_k``), when
    the KB trains its own stacker; a KB too small to scores with the default stacker, which was
    fitted on vectors with their language left in and ten voters, so it keeps both."""
    vectors = np.asarray(vectors, dtype=np.float32)
    width = sum(views) if views else vectors.shape[-1]
    vectors = vectors.reshape(len(phrasings), width)
    basis = language_basis([p.text for p in phrasings], vectors, views or (width,))
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = _fit(entries, phrasings, vectors, thresholds, basis, seed, background, views)
        if fitted.stacker.is_default:
            plain = empty_basis(views or (width,))
            fitted = _fit(
                entries, phrasings, vectors, thresholds, plain, seed, background, views, VOTE_K
            )
    return fitted


def _fit(
    entries: Sequence[FaqEntry],
    phrasings: Sequence[Phrasing],
    vectors: np.ndarray,
    thresholds: Thresholds,
    basis: Basis,
    seed: int,
    bg: Background | None,
    views: tuple[int, ...] | None,
    voters: int | None = None,
) -> Matcher:
    """One fit with this language ``basis`` and ``voters`` (None: ``vote_k`` of the KB)."""
    ids = list(dict.fromkeys([e.id for e in entries] + [p.entry_id for p in phrasings]))
    index = {e: i for i, e in enumerate(ids)}
    vectors = without_language(vectors, basis)
    groups = np.asarray([index[p.entry_id] for p in phrasings], dtype=np.int64)
    sample, same = self_sample(phrasings, len(ids), seed=seed), text_ids(phrasings)
    classifier, log_prob = cross_fit(
        vectors, groups, len(ids), sample, same, views=views, seed=seed
    )
    lexical = Lexical.fit([p.text for p in phrasings])
    matcher = Matcher(
        ids, list(phrasings), vectors, classifier, lexical, Stacker.default(), thresholds, basis
    )
    matcher.vote_k = voters or vote_k(matcher.phrasings_per_entry)
    x, y = self_training(matcher, sample, log_prob, same, seed=seed)
    if bg is not None:
        x_bg = off_topic_rows(matcher, bg, seed=seed)
        x, y = np.concatenate([x, x_bg]), np.concatenate([y, np.zeros(x_bg.shape[:2])])
    matcher.stacker = Stacker.train(x, y)
    return matcher


def self_sample(phrasings: Sequence[Phrasing], n_entries: int, *, seed: int = 0) -> np.ndarray:
    """The question phrasings matched as held-out queries to train the stacker (seeded)."""
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
        xs_, ys_ = _rows(matcher, sample[idx], log_prob[idx], out[idx], same)
        xs.append(xs_)
        ys.append(ys_)
    return np.concatenate(xs), np.concatenate(ys)


def _rows(
    matcher: Matcher, sample: np.ndarray, log_prob: np.ndarray, out: np.ndarray, same: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    groups, n_entries = matcher.groups, len(matcher.entry_ids)
    texts = [matcher.phrasings[i].text for i in sample]
    truth = groups[sample]
    hidden = same[None, :] == same[sample, None]  # the phrasing itself and its duplicates
    hidden_out = hidden[out] | (groups[None, :] == truth[out, None])
    lp_out = log_prob[out].copy()
    lp_out[np.arange(out.sum()), truth[out]] = FLOOR
    lp_out -= np.log(np.exp(lp_out).sum(axis=1, keepdims=True))
    qv = matcher.vectors[sample]
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


def off_topic_rows(matcher: Matcher, background: Background, *, seed: int = 0) -> np.ndarray:
    """Stacker features of the background messages matched against the whole KB (all
    negatives). Only messages farther from the KB than its own question phrasings usually are
    from their nearest neighbour are kept, so a KB that covers a listed topic keeps it."""
    texts, vectors = background
    vectors = without_language(vectors, matcher.basis)
    kb = matcher.question_vectors
    if not len(texts) or len(kb) < 2:
        return np.zeros((0, len(matcher.entry_ids), len(FEATURES)), dtype=np.float32)
    rng = np.random.default_rng(seed)
    sample = kb[rng.choice(len(kb), min(len(kb), SAMPLE), replace=False)]
    inner = sample @ kb.T
    inner[inner >= 0.9999] = -1.0  # the phrasing itself and exact duplicates
    cutoff = float(np.quantile(inner.max(axis=1), QUANTILE))
    keep = np.flatnonzero((vectors[:, : matcher.views[0]] @ kb.T).max(axis=1) < cutoff)
    return matcher.channel_features([texts[int(i)] for i in keep], vectors[keep])
