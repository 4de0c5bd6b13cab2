"""Typo repair against the knowledge base's own words, before a query is embedded.

A misspelt word ("доствка", "recieve") splits into odd sub-word tokens and pulls the query's
embedding away from the right entry. A word the knowledge base has never seen, whose stem it
has not seen either, and which is not a common word of Russian, Ukrainian, Romanian or English,
is replaced by the knowledge base's word within one edit (two for words of eight letters or
more; a swap of two neighbours counts as one edit), the most frequent one when several are that
close. Digits and words that are already known are left alone.

Words of two or three letters are too short to guess from the KB's whole vocabulary, but a
short non-word is nearly always a mangled function word ("hjw", "myy", "wht", "гед"): it becomes
the KB's most frequent function word (Zipf 5.5 and up,
:func:`knowledge.matching.lexicon.function_words`) within one edit ("how", "my", "what", "где"),
and stays as it is when there is none. Single letters are never touched.

Common words (:func:`knowledge.matching.lexicon.common_words`, Zipf 3 and up in wordfreq) keep a
real word that merely sits one letter from a KB word ("cared" next to "card", "cart") from being
"repaired", which is what made four-letter repair unsafe before; misspellings are rare enough
to stay below that line ("recieve" 2.75, "crad" 0).

Latin-letter words that did not match are tried again transliterated to Cyrillic (``dostavka``
with a typo), each reading of five letters or more
(:func:`knowledge.matching.text.transliterations`) in turn.

Edit distances come from rapidfuzz (optimal string alignment). :meth:`Speller.repair` also
counts the words it replaced: the matcher credits a query's confidence for them
(knowledge.matching.stacker.repair_credit).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.matching.lexicon import common_words, function_words
from knowledge.matching.text import CYR, LAT, normalize, stem, transliterations

MIN_LENGTH = 4  # shorter words have too many neighbours at one edit to guess safely
READING_LENGTH = 5  # the shortest transliteration reading worth a Cyrillic retry
LONG = 8  # from this length two edits are allowed
SHORT_LENGTH = 2  # shorter words than MIN_LENGTH, from this length, may become function words


@dataclass(frozen=True)
class Repaired:
    """A text after typo repair, and how many of its words were replaced."""

    text: str
    words: int = 0


class Speller:
    """The knowledge base's vocabulary of surface words, bucketed by length."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._counts: Counter[str] = Counter()
        self._by_length: dict[int, list[str]] = {}
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        for word in normalize(text).split():
            if word.isalpha() and word not in self._counts:
                self._by_length.setdefault(len(word), []).append(word)
            self._counts[word] += 1

    def fix(self, text: str, stems: frozenset[str] | set[str]) -> str:
        """``text`` normalised, with unknown misspelt words replaced; unchanged words kept."""
        return self.repair(text, stems).text

    def repair(self, text: str, stems: frozenset[str] | set[str]) -> Repaired:
        """:meth:`fix`, with the number of words it replaced."""
        words = normalize(text).split()
        fixed = [self.word(w, stems) for w in words]
        changed = sum(a != b for a, b in zip(words, fixed, strict=True))
        return Repaired(" ".join(fixed), changed)

    def word(self, word: str, stems: frozenset[str] | set[str]) -> str:
        if not word.isalpha() or word in self._counts:
            return word
        if stem(word, None) in stems or word in common_words():
            return word
        if len(word) < MIN_LENGTH:
            return self._short(word) if len(word) >= SHORT_LENGTH else word
        found = self._closest(word)
        if found is None and LAT.search(word) and not CYR.search(word):
            readings = (c for c in transliterations(word) if len(c) >= READING_LENGTH)
            found = next((f for c in readings if (f := self._closest(c))), None)
        return found or word

    def _short(self, word: str) -> str:
        """A short non-word ("hjw", "myy", "wht") as the KB's most frequent function word one
        edit away ("how", "my", "what"); unchanged when there is none."""
        function = function_words()
        hits = [w for w, _ in self._within(word, 1) if w in function]
        return max(hits, key=lambda w: (self._counts[w], w), default=word)

    def _closest(self, word: str) -> str | None:
        hits = self._within(word, 2 if len(word) >= LONG else 1)
        if not hits:
            return None
        best = min(distance for _, distance in hits)
        nearest = [w for w, distance in hits if distance == best]
        return max(nearest, key=lambda w: self._counts[w])

    def _within(self, word: str, limit: int) -> list[tuple[str, int]]:
        """The KB's words within ``limit`` edits of ``word``, with their distances."""
        pool = [
            w
            for n in range(len(word) - limit, len(word) + limit + 1)
            for w in self._by_length.get(n, ())
        ]
        if not pool:
            return []
        hits = process.extract(word, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
        return [(w, int(distance)) for w, distance, _ in hits]
