"""The vector side of the knowledge base: Chroma collections kept in sync by LangChain indexing.

Layout (``base`` = ``settings.chroma_collection``), all cosine space, no Chroma embedding
function (LangChain computes vectors with ours, so Chroma never downloads a model):

* ``{base}_questions``: question and learned phrasings, embedded with the e5 ``query:`` role;
* ``{base}_passages``: answers (and their translations) and tag lines, ``passage:`` role;
* ``{base}_entries``: the entry catalogue, one JSON document per FaqEntry (a 1-d placeholder
  vector). It lets any process, e.g. a second container on the same Chroma server, rebuild the
  matcher from Chroma alone.

Every phrasing's Chroma id is its ``Phrasing.key`` (sha1 of ``entry_id|kind|text``), so ids
are content hashes: an unchanged phrasing keeps its id and is never embedded again.
Incremental sync uses ``langchain_core.indexing.index`` with langchain-classic's
``SQLRecordManager`` (SQLite in ``index_dir``), one namespace per collection plus one for
learned phrasings, ``cleanup="full"`` for file-sourced phrasings (entries removed from the files
leave the index) and none for learned ones (they survive re-ingest while their entry exists).

Chroma is the truth, the record manager a cache: before each sync ``reconcile`` drops records
whose vectors are gone and adopts (or deletes) vectors that have no record. That also repairs a
sync that failed half-way (LangChain writes the vectors first, then the records), so the
recovery from a failed Chroma write is simply running the ingest again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_chroma import Chroma
from langchain_classic.indexes import SQLRecordManager
from langchain_core.documents import Document
from langchain_core.indexing import index
from langchain_core.indexing.base import RecordManager

from core.config import Settings
from core.domain import FaqEntry
from knowledge.store.chroma import close_client, open_client
from knowledge.store.documents import (
    doc_key,
    entry_docs,
    entry_from_json,
    entry_to_json,
    phrasing_doc,
)
from knowledge.store.embeddings import build_embeddings, embedder_name

Progress = Callable[[int, int], None]
BATCH = 256  # phrasings per embed + Chroma write: larger batches write ~30% faster


@dataclass(frozen=True, slots=True)
class Stored:
    """Every phrasing in Chroma with its vector."""

    keys: list[str]
    entry_ids: list[str]
    kinds: list[str]
    texts: list[str]
    vectors: np.ndarray


@dataclass(frozen=True, slots=True)
class SyncCounts:
    added: int
    skipped: int
    deleted: int
    updated_entries: int


class FaqIndex:
    """The three Chroma collections and their record managers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.chroma_collection
        self.query_embeddings = build_embeddings(settings, "query")
        self.passage_embeddings = build_embeddings(settings, "passage")
        self.embedder = embedder_name(self.query_embeddings)
        self.client = open_client(settings)
        self.stores: dict[str, Chroma] = {}
        self.records: dict[str, RecordManager] = {}
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        from sqlalchemy import create_engine

        self._engine = create_engine(f"sqlite:///{settings.index_dir / 'records.sqlite'}")
        for ns in ("questions", "passages", "learned"):
            self.records[ns] = SQLRecordManager(f"{self.base}/{ns}", engine=self._engine)
            self.records[ns].create_schema()
        self.space_matches = self._open_collections(reset=False)

    def _open_collections(self, *, reset: bool) -> bool:
        """Open the collections; with ``reset`` drop those made by another embedder first."""
        matches = True
        for name, emb in (
            ("questions", self.query_embeddings),
            ("passages", self.passage_embeddings),
        ):
            full = f"{self.base}_{name}"
            existing = {c.name for c in self.client.list_collections()}
            if full in existing:
                meta = self.client.get_collection(full, embedding_function=None).metadata or {}
                if meta.get("cxc_embedder") != self.embedder:
                    matches = False
                    if reset:
                        self.client.delete_collection(full)
            self.stores[name] = Chroma(
                collection_name=full,
                embedding_function=emb,
                client=self.client,
                collection_metadata={"cxc_embedder": self.embedder},
                collection_configuration={"hnsw": {"space": "cosine"}},
                relevance_score_fn=lambda distance: 1.0 - distance,
            )
        self.catalog = self.client.get_or_create_collection(
            f"{self.base}_entries", embedding_function=None
        )
        return matches

    def collection(self, name: str) -> Any:
        return self.stores[name]._collection

    # -- reading -------------------------------------------------------------------------

    def entries(self) -> list[FaqEntry]:
        got = self.catalog.get(include=["documents"])
        return [entry_from_json(doc) for doc in got["documents"] or []]

    def ids(self) -> set[str]:
        return {i for name in self.stores for i in self.collection(name).get(include=[])["ids"]}

    def stored(self) -> Stored:
        keys, entry_ids, kinds, texts, vectors = [], [], [], [], []
        for name in ("questions", "passages"):
            got = self.collection(name).get(include=["embeddings", "documents", "metadatas"])
            for i, key in enumerate(got["ids"]):
                meta = got["metadatas"][i]
                keys.append(key)
                entry_ids.append(str(meta["entry_id"]))
                kinds.append(str(meta["kind"]))
                texts.append(got["documents"][i])
                vectors.append(np.asarray(got["embeddings"][i], dtype=np.float32))
        dim = len(vectors[0]) if vectors else 0
        matrix = np.vstack(vectors) if vectors else np.zeros((0, dim), dtype=np.float32)
        return Stored(keys, entry_ids, kinds, texts, matrix)

    def vectors_for(self, name: str, keys: Sequence[str]) -> np.ndarray:
        got = self.collection(name).get(ids=list(keys), include=["embeddings"])
        order = {k: i for i, k in enumerate(got["ids"])}
        return np.vstack([np.asarray(got["embeddings"][order[k]], dtype=np.float32) for k in keys])

    def search(self, vector: Sequence[float], k: int = 30) -> list[tuple[str, float]]:
        """Dense hits (phrasing key, cosine similarity): the top ``k`` of each collection.

        Per collection, because query-to-passage similarities run lower than query-to-question
        ones: a shared top-k would hold questions only.
        """
        hits: list[tuple[str, float]] = []
        query = [float(x) for x in vector]
        for store in self.stores.values():
            n = min(k, store._collection.count())
            if n:
                found = store.similarity_search_by_vector_with_relevance_scores(query, k=n)
                # despite its name this returns Chroma's cosine *distance*
                hits += [(str(doc.id), 1.0 - float(distance)) for doc, distance in found]
        return hits

    # -- writing -------------------------------------------------------------------------

    def sync(
        self,
        entries: Sequence[FaqEntry],
        progress: Progress | None = None,
        *,
        learned: Mapping[str, Sequence[str]] | None = None,
    ) -> SyncCounts:
        """Make Chroma hold exactly these entries' phrasings plus their learned ones: those
        it holds, or exactly ``learned`` (texts by entry id) when given."""
        if not self.space_matches:
            self.reset()
        questions, passages = [], []
        for entry in entries:
            q, p = entry_docs(entry)
            questions += q
            passages += p
        total = len(questions) + len(passages)
        wanted = learned
        learned = self._reconcile_all(
            {doc_key(d) for d in questions}, {doc_key(d) for d in passages}
        )
        added = skipped = deleted = 0
        for n, (name, docs) in enumerate((("questions", questions), ("passages", passages))):
            offset = 0 if n == 0 else len(questions)
            result = index(
                _reporting(docs, offset, total, progress),
                self.records[name],
                self.stores[name],
                cleanup="full",
                key_encoder=doc_key,
                batch_size=BATCH,
            )
            added += result["num_added"]
            skipped += result["num_skipped"]
            deleted += result["num_deleted"]
        deleted += self._drop_orphan_learned(learned, {e.id for e in entries})
        if wanted is not None:
            deleted += self._set_learned(wanted, {e.id for e in entries})
        updated = self._write_catalog(entries)
        if progress is not None:
            progress(total, total)
        return SyncCounts(added, skipped, deleted, updated)

    def add_learned(self, entry_id: str, text: str) -> tuple[str, bool]:
        """Index one learned phrasing; (its key, whether it was new)."""
        doc = phrasing_doc(entry_id, "learned", text)
        result = index(
            [doc],
            self.records["learned"],
            self.stores["questions"],
            cleanup=None,
            key_encoder=doc_key,
        )
        return doc_key(doc), result["num_added"] > 0

    def _set_learned(self, learned: Mapping[str, Sequence[str]], entry_ids: set[str]) -> int:
        """Make the learned phrasings exactly ``learned`` (of these entries); how many went."""
        docs = [
            phrasing_doc(entry_id, "learned", " ".join(text.split()))
            for entry_id, texts in learned.items()
            if entry_id in entry_ids
            for text in texts
        ]
        keep = {doc_key(d) for d in docs}
        held = self.collection("questions").get(where={"kind": "learned"}, include=[])["ids"]
        gone = [k for k in held if k not in keep]
        if gone:
            self.stores["questions"].delete(ids=gone)
            self.records["learned"].delete_keys(gone)
        if docs:
            index(
                docs,
                self.records["learned"],
                self.stores["questions"],
                cleanup=None,
                key_encoder=doc_key,
                batch_size=BATCH,
            )
        return len(gone)

    def reset(self) -> None:
        """Drop the phrasing collections (another embedder made them) and their records;
        learned phrasings are embedded again with the current embeddings."""
        got = self.collection("questions").get(
            where={"kind": "learned"}, include=["metadatas", "documents"]
        )
        learned = [
            phrasing_doc(str(m["entry_id"]), "learned", doc)
            for m, doc in zip(got["metadatas"] or [], got["documents"] or [], strict=True)
        ]
        for rm in self.records.values():
            rm.delete_keys(rm.list_keys())
        self._open_collections(reset=True)
        self.space_matches = True
        if learned:
            index(
                learned,
                self.records["learned"],
                self.stores["questions"],
                cleanup=None,
                key_encoder=doc_key,
                batch_size=BATCH,
            )

    def _reconcile_all(self, questions: set[str], passages: set[str]) -> dict[str, str]:
        """Align records with Chroma; returns the learned phrasings as {key: entry_id}."""
        got = self.collection("questions").get(include=["metadatas"])
        metas = dict(zip(got["ids"], got["metadatas"] or [], strict=True))
        learned = {k: str(m["entry_id"]) for k, m in metas.items() if m.get("kind") == "learned"}
        file_ids = set(metas) - set(learned)
        reconcile(self.stores["questions"], self.records["questions"], file_ids, questions)
        reconcile(self.stores["questions"], self.records["learned"], set(learned), set(learned))
        passage_ids = set(self.collection("passages").get(include=[])["ids"])
        reconcile(self.stores["passages"], self.records["passages"], passage_ids, passages)
        return learned

    def _drop_orphan_learned(self, learned: dict[str, str], entry_ids: set[str]) -> int:
        orphans = [k for k, entry_id in learned.items() if entry_id not in entry_ids]
        if orphans:
            self.stores["questions"].delete(ids=orphans)
            self.records["learned"].delete_keys(orphans)
        return len(orphans)

    def _write_catalog(self, entries: Sequence[FaqEntry]) -> int:
        old = self.catalog.get(include=["metadatas"])
        old_hash = {
            i: (m or {}).get("hash")
            for i, m in zip(old["ids"], old["metadatas"] or [], strict=True)
        }
        docs = {e.id: entry_to_json(e) for e in entries}
        hashes = {i: hashlib.sha1(d.encode()).hexdigest() for i, d in docs.items()}
        changed = [i for i in docs if old_hash.get(i) != hashes[i]]
        step = max(1, min(1000, self.client.get_max_batch_size()))
        for start in range(0, len(changed), step):
            ids = changed[start : start + step]
            self.catalog.upsert(
                ids=ids,
                embeddings=[[1.0]] * len(ids),
                documents=[docs[i] for i in ids],
                metadatas=[{"hash": hashes[i]} for i in ids],
            )
        gone = [i for i in old_hash if i not in docs]
        if gone:
            self.catalog.delete(ids=gone)
        return sum(1 for i in changed if i in old_hash)

    def close(self) -> None:
        self._engine.dispose()
        close_client(self.client)


def reconcile(store: Chroma, records: RecordManager, in_chroma: set[str], wanted: set[str]) -> None:
    """Records without vectors are dropped; vectors without records adopted or deleted."""
    known = set(records.list_keys())
    ghosts = known - in_chroma
    if ghosts:
        records.delete_keys(list(ghosts))
    untracked = in_chroma - known
    adopt = sorted(untracked & wanted)
    if adopt:
        records.update(adopt)
    drop = sorted(untracked - wanted)
    if drop:
        store.delete(ids=drop)


def _reporting(
    docs: list[Document], offset: int, total: int, progress: Progress | None
) -> Iterator[Document]:
    """Yield docs; each time a new batch starts, the previous ones are done: report it."""
    for i, doc in enumerate(docs):
        if progress is not None and i and i % BATCH == 0:
            progress(offset + i, total)
        yield doc
