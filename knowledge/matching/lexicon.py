"""General word lists of the four languages (ru, uk, ro, en), from the wordfreq package.

* :func:`common_words`: words with a Zipf frequency of at least 3 (once per million words):
  a word the knowledge base has never seen but that is common is not a typo
  (knowledge.matching.spelling).
* :func:`function_words`: the few hundred most frequent words of each language (Zipf 5.5 and
  up: "the", "so", "here", "это", "що"): they say nothing about what a message is about
  (knowledge.matching.lead_in).

wordfreq stores each list in centibel buckets from the most frequent word down (bucket ``i``
holds the words at ``-i`` cB, Zipf ``9 - i / 100``), so both sets are prefixes of the lists.
They are read once per process, on the first query that needs them (ingestion never does),
and only the buckets needed are decoded: 164k common words and 979 function words (load time
and memory: docs/history.md, "Common-word lexicon and the lead-in rule").
"""

from __future__ import annotations

import gzip
import itertools
from functools import cache

import msgpack
import wordfreq

from knowledge.matching.text import stem

LANGUAGES = ("ru", "uk", "ro", "en")
COMMON_ZIPF = 3.0
FUNCTION_ZIPF = 5.5


def _bucket(zipf: float) -> int:
    return round((9 - zipf) * 100)


@cache
def _word_sets() -> tuple[frozenset[str], frozenset[str]]:
    paths = wordfreq.available_languages("best")
    common: set[str] = set()
    function: set[str] = set()
    for language in LANGUAGES:
        buckets = _first_buckets(paths[language], _bucket(COMMON_ZIPF) + 1)
        common.update(itertools.chain.from_iterable(buckets))
        function.update(itertools.chain.from_iterable(buckets[: _bucket(FUNCTION_ZIPF) + 1]))
    return frozenset(common), frozenset(function)


def _first_buckets(path: str, count: int) -> list[list[str]]:
    """The first ``count`` buckets of a wordfreq cBpack file. ``wordfreq.read_cBpack`` decodes
    all of it: the 700k-word Russian list decoded whole left the process 100 MB larger for good,
    against 28 MB this way."""
    with gzip.open(path, "rb") as stream:
        unpacker = msgpack.Unpacker(stream, raw=False)
        size = unpacker.read_array_header()
        header = unpacker.unpack()
        if header != {"format": "cB", "version": 1}:
            raise ValueError(f"{path}: not a wordfreq cBpack file ({header!r})")
        return [unpacker.unpack() for _ in range(min(count, size - 1))]


def common_words() -> frozenset[str]:
    return _word_sets()[0]


def function_words() -> frozenset[str]:
    return _word_sets()[1]


@cache
def function_stems() -> frozenset[str]:
    """Stems of :func:`function_words` ("here's" and "here" both stem to "here")."""
    return frozenset(stem(w, None) for w in function_words())
