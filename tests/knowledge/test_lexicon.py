"""The general word lists behind typo repair and lead-in removal."""

from __future__ import annotations

import gzip
from pathlib import Path

import msgpack
import pytest
import wordfreq

from knowledge.matching.lexicon import _first_buckets, common_words, function_words


def test_word_lists_cover_the_four_languages() -> None:
    assert {"card", "карта", "картка", "cardul"} <= common_words()
    assert not {"crad", "доствка", "recieve"} & common_words()
    assert {"the", "so", "это", "що", "și"} <= function_words()
    assert not {"card", "карта", "refund", "situation", "ситуация"} & function_words()
    assert function_words() <= common_words()


def test_first_buckets_are_the_start_of_the_whole_list() -> None:
    path = wordfreq.available_languages("best")["ro"]
    assert _first_buckets(path, 601) == wordfreq.read_cBpack(path)[:601]
    assert len(_first_buckets(path, 10**6)) == len(wordfreq.read_cBpack(path))


def test_a_file_that_is_not_a_word_list_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.msgpack.gz"
    with gzip.open(bad, "wb") as f:
        f.write(msgpack.packb([{"format": "other"}, ["a"]]))
    with pytest.raises(ValueError, match="bad.msgpack.gz"):
        _first_buckets(str(bad), 5)
