"""Lexical channels of the matcher: BM25 over stemmed words (bm25s) and character n-grams.

The character channel (tf-idf over 2-4 letter n-grams inside word boundaries, on normalised
text with Ukrainian letters folded) tolerates typos and inflection; BM25 over Snowball stems
rewards rare shared words. Both score every phrasing; the matcher aggregates per entry.
State is saved as JSON and ``.npy`` (no pickle).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from knowledge.matching.text import char_key, tokens


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1, dtype=np.float32
    )


class Lexical:
    """Character n-gram cosine and BM25 scores of a query against every phrasing."""

    def __init__(self, vectorizer: TfidfVectorizer, chars: sp.csr_matrix, toks: list[list[str]]):
        self._vec = vectorizer
        self._chars = chars
        self._by_gram: sp.csr_matrix | None = None  # chars transposed: n-gram -> phrasings
        self._tokens = toks
        self._analyzer: Callable[[str], list[str]] | None = None
        self._bm25 = self._build_bm25(toks)
        self.vocabulary = frozenset(t for doc in toks for t in doc)

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Lexical:
        vec = _vectorizer()
        keys = [char_key(t) or "_" for t in texts]
        chars = vec.fit_transform(keys).tocsr() if texts else sp.csr_matrix((0, 1))
        return cls(vec, chars, [tokens(t) for t in texts])

    @staticmethod
    def _build_bm25(toks: list[list[str]]) -> bm25s.BM25:
        bm25 = bm25s.BM25()
        bm25.index([t or [""] for t in toks] or [[""]], show_progress=False)
        return bm25

    def add(self, text: str) -> None:
        row = self._vec.transform([char_key(text) or "_"]).tocsr()
        self._chars = sp.vstack([self._chars, row], format="csr")
        self._by_gram = None
        self._tokens.append(tokens(text))
        self._bm25 = self._build_bm25(self._tokens)
        self.vocabulary = self.vocabulary | set(self._tokens[-1])

    def query_chars(self, texts: Sequence[str]) -> np.ndarray:
        """Dense (features, queries) tf-idf columns, L2-normalised (faster than sklearn's)."""
        if self._analyzer is None:
            self._analyzer = self._vec.build_analyzer()
        vocab, idf = self._vec.vocabulary_, self._vec.idf_
        out = np.zeros((len(idf), len(texts)), dtype=np.float32)
        for j, text in enumerate(texts):
            counts: dict[int, int] = {}
            for gram in self._analyzer(char_key(text) or "_"):
                col = vocab.get(gram)
                if col is not None:
                    counts[col] = counts.get(col, 0) + 1
            if counts:
                cols = np.fromiter(counts, dtype=np.int64)
                weights = (1.0 + np.log(np.fromiter(counts.values(), np.float32))) * idf[cols]
                out[cols, j] = weights / np.linalg.norm(weights)
        return out

    def char_scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of each query (columns from :meth:`query_chars`) with every phrasing.

        One query (the serving path) reads only the postings of its own n-grams, an inverted
        index lookup, instead of multiplying through every phrasing's n-grams."""
        if query.shape[1] != 1:
            return np.asarray(self._chars @ query, dtype=np.float32).T
        if self._by_gram is None:
            self._by_gram = self._chars.T.tocsr()
        grams = np.flatnonzero(query[:, 0])
        scores = self._by_gram[grams].T @ query[grams, 0]
        return np.asarray(scores, dtype=np.float32).reshape(1, -1)

    def bm25_scores(self, text: str) -> np.ndarray:
        toks = [t for t in dict.fromkeys(tokens(text)) if t in self.vocabulary]
        if not toks:
            return np.zeros(len(self._tokens), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(toks), dtype=np.float32)[: len(self._tokens)]

    def save(self, directory: Path) -> None:
        vocab = {k: int(v) for k, v in self._vec.vocabulary_.items()}
        (directory / "lexical.json").write_text(
            json.dumps({"vocabulary": vocab, "tokens": self._tokens}, ensure_ascii=False),
            encoding="utf-8",
        )
        np.save(directory / "char_idf.npy", self._vec.idf_)
        sp.save_npz(directory / "chars.npz", self._chars)

    @classmethod
    def load(cls, directory: Path) -> Lexical:
        state = json.loads((directory / "lexical.json").read_text(encoding="utf-8"))
        vec = _vectorizer()
        vec.vocabulary_ = state["vocabulary"]
        vec.idf_ = np.load(directory / "char_idf.npy")
        chars = sp.load_npz(directory / "chars.npz").tocsr()
        return cls(vec, chars, [list(t) for t in state["tokens"]])
