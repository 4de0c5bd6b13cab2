"""Recompute the shipped vectors of the bundled off-topic messages (run after editing the list).

    uv run python -m tools.offtopic_vectors

The product reads ``knowledge/data/offtopic-<key>.npy`` for the local embeddings
(``knowledge.matching.background``); ``<key>`` changes with the list and the embedder, so an
edited ``knowledge/data/offtopic.txt`` needs this run (a test checks the file against the model).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from knowledge.matching.background import DATA, off_topic_key, off_topic_texts
from knowledge.store.embeddings import LocalEmbeddings


def write_packaged() -> Path:
    """Write the local embeddings' vectors of the list, replacing the old file."""
    embeddings = LocalEmbeddings("query")
    for old in DATA.glob("offtopic-*.npy"):
        old.unlink()
    path = DATA / f"offtopic-{off_topic_key(embeddings.name)}.npy"
    np.save(path, np.asarray(embeddings.embed_documents(list(off_topic_texts())), np.float32))
    return path


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    print(write_packaged())


if __name__ == "__main__":
    main()
