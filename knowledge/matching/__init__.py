"""Matching: which FAQ entry answers a message, how sure, and whether to answer, clarify or
escalate. Pure computation over texts and vectors: it never embeds, stores or reads files
(save/load of a fitted matcher aside).

Layers, each importing only those below it (import-linter, pyproject.toml):

* ``fit``: ``fit_matcher`` trains a matcher on a knowledge base (classifier and stacker);
* ``matcher``: the query-time ``Matcher`` (match, add a phrasing, save and load);
* ``stacker | classifier | lexical | lead_in | spelling``: the matcher's parts;
* ``features | decision | lexicon | background``: channel features, value types and the
  decision rule, word lists, the bundled off-topic messages;
* ``text``: normalisation, language detection, transliteration, stemming.

It may import ``core`` and libraries (numpy, sklearn, bm25s, rapidfuzz, wordfreq, PyStemmer,
langchain_core's ``Embeddings`` type); nothing else of ``knowledge``.
"""
