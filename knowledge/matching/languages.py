"""Cross-lingual parity: the knowledge base's *language subspace*, removed from every vector.

A multilingual encoder puts a text's language into its vector beside its meaning: the vectors
of one language share a direction. In a FAQ written mostly in one language with a few entries
translated, a question in the translated language is pulled toward the entries that have that
language, whatever it asks (on a Romanian FAQ with ten Russian entries, 41 of the 44 Russian
questions ranked wrong went to one of those ten). Each language's mean vector minus the KB's
mean spans that direction; projecting it out of the KB's vectors and every query's (then
renormalising) leaves the meaning to rank (docs/retrieval.md, "Cross-lingual parity").

The subspace is fitted on the KB's own phrasings (their language detected from the text), one
per encoder view; a KB in one language has none and nothing changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from knowledge.matching.text import detect_language

MIN_PHRASINGS = 5  # a language needs this many phrasings in the KB to define a direction

Basis = tuple[np.ndarray, ...]
"""One (width, k) orthonormal basis per view; k = 0 where the view has no language subspace."""


def language_basis(texts: Sequence[str], vectors: np.ndarray, views: Sequence[int]) -> Basis:
    """The language subspace of the KB's phrasings ``texts`` and their ``vectors`` per view."""
    languages = [detect_language(t) for t in texts]
    counts = Counter(lang for lang in languages if lang)
    kept = [lang for lang, n in counts.items() if n >= MIN_PHRASINGS]
    bases, start = [], 0
    for width in views:
        part = np.asarray(vectors[:, start : start + width], dtype=np.float64)
        start += width
        if len(kept) < 2:
            bases.append(np.zeros((width, 0), dtype=np.float32))
            continue
        mean = part.mean(axis=0)
        rows = np.asarray(languages, dtype=object)
        directions = np.stack([part[rows == lang].mean(axis=0) - mean for lang in kept], axis=1)
        u, s, _ = np.linalg.svd(directions, full_matrices=False)
        bases.append(u[:, s > 1e-6 * s[0]].astype(np.float32))
    return tuple(bases)


def without_language(vectors: np.ndarray, basis: Basis) -> np.ndarray:
    """``vectors`` (n, sum of the views' widths) with each view's language subspace projected
    out and the view renormalised; unchanged when the basis is empty."""
    if not any(b.shape[1] for b in basis):
        return vectors
    out = np.array(vectors, dtype=np.float32, copy=True).reshape(-1, sum(b.shape[0] for b in basis))
    start = 0
    for b in basis:
        width, start = b.shape[0], start + b.shape[0]
        if not b.shape[1]:
            continue
        part = out[:, start - width : start]
        part -= (part @ b) @ b.T
        part /= np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12)
    return out.reshape(np.shape(vectors))


def empty_basis(views: Sequence[int]) -> Basis:
    return tuple(np.zeros((w, 0), dtype=np.float32) for w in views)
