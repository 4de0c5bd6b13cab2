"""The case memory (``core.ports.CaseMemory``): past cases, ours and a CRM's, in a Chroma
collection of their own (``<CXC_CHROMA_COLLECTION>_cases``), embedded with the knowledge base's
embeddings.

Both sides are embedded in the query role: a customer's message is compared with what other
customers said, which is the symmetric task multilingual-e5 uses that prefix for. The collection
holds vectors and metadata (customer, version, topic, resolution code) but no text: the memory
keeps no customer's words, only where to find them (``core.desk.case_memory``).

``history`` ranks only the keys it is given (the customer's own cases, read from the database)
and drops any stored as another customer's, so it never ranks, let alone returns, another
customer's case; ``similar`` returns coded cases as keys, codes and scores only.

Scores: the cosine similarity rescaled so that ``FLOOR`` is 0 and 1 is 1; ``similar`` returns no
case at or below the floor, ``history`` returns the customer's nearest whatever their score.
On the local encoders two customers' messages about the same problem score about 0.75-0.85
and unrelated ones 0.4-0.6 (docs/retrieval.md, "Similar cases").
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
from langchain_core.embeddings import Embeddings

from core.config import Settings
from core.errors import BackendUnavailable
from core.ports import CaseMemo, CaseRecall
from knowledge.store.chroma import close_client, open_client
from knowledge.store.embeddings import build_embeddings, embedder_name

FLOOR = 0.6
"""Cosine similarity at which a past case starts to count as like the query."""
READ_CHUNK = 1000
RECENT_QUERIES = 16
SIMILAR_POOL = 120
"""Nearest cases searched for coded ones (any customer's, ours or a CRM's)."""
METADATA_SLACK = 10
"""Neighbours beyond ``k`` whose metadata ``similar`` reads at a time."""
MARK = "cxc_mark_"
"""Prefix of the collection metadata keys holding how far whole passes have read each source."""
T = TypeVar("T")


class ChromaCaseMemory:
    def __init__(
        self, settings: Settings, *, embeddings: Embeddings | None = None, client: Any = None
    ) -> None:
        self.embeddings = embeddings or build_embeddings(settings, "query")
        self._owned = client is None
        self.client = client if client is not None else open_client(settings)
        self.name = f"{settings.chroma_collection}_cases"
        self._recent: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._held = 0
        """The most cases the collection was counted to hold (it never shrinks)."""
        embedder = embedder_name(self.embeddings)
        try:
            self.collection = self._open(embedder)
        except Exception as exc:
            self.close()
            raise BackendUnavailable(f"cannot open the case memory {self.name}: {exc}") from exc

    def _open(self, embedder: str) -> Any:
        """The collection; one made by another embedder is dropped (it is remembered anew)."""
        if self.name in {c.name for c in self.client.list_collections()}:
            found = self.client.get_collection(self.name, embedding_function=None)
            if (found.metadata or {}).get("cxc_embedder") == embedder:
                return found
            self.client.delete_collection(self.name)
        return self.client.create_collection(
            self.name,
            embedding_function=None,
            metadata={"cxc_embedder": embedder},
            configuration={"hnsw": {"space": "cosine"}},
        )

    def _vector(self, text: str) -> list[float]:
        """The query's vector; the last few are kept, as one suggestion asks twice (similar
        cases, then the customer's own)."""
        with self._lock:
            found = self._recent.get(text)
        if found is None:
            found = self.embeddings.embed_query(text)
            with self._lock:
                self._recent[text] = found
                while len(self._recent) > RECENT_QUERIES:
                    del self._recent[next(iter(self._recent))]
        return found

    def close(self) -> None:
        if self._owned:
            close_client(self.client)

    async def _run(self, fn: Callable[[], T]) -> T:
        """Run blocking work off the event loop (on the model thread when the embeddings have
        one: a query embeds, then searches), with the store's errors made BackendUnavailable."""

        def guarded() -> T:
            try:
                return fn()
            except BackendUnavailable:
                raise
            except Exception as exc:  # chromadb raises many types; all mean "store failed"
                raise BackendUnavailable(f"the case memory {self.name} failed: {exc}") from exc

        executor = getattr(self.embeddings, "executor", None)
        return await asyncio.get_running_loop().run_in_executor(executor, guarded)

    async def versions(self, keys: Sequence[str]) -> dict[str, str]:
        """The stored version of each of ``keys`` found. Read a chunk at a time, each its own
        turn on the model thread: a whole pass over 50,000 cases took the thread for 2.7 s in
        one turn, and every question and suggestion of the process waited behind it."""

        def read(part: list[str]) -> dict[str, str]:
            found = self._metadatas(part)
            return {key: str(meta.get("version", "")) for key, meta in found.items()}

        out: dict[str, str] = {}
        for start in range(0, len(keys), READ_CHUNK):
            part = list(keys[start : start + READ_CHUNK])
            out.update(await self._run(functools.partial(read, part)))
        return out

    async def remember(self, memos: Sequence[CaseMemo]) -> None:
        if not memos:
            return

        def write() -> None:
            distinct = list(dict.fromkeys(m.text for m in memos))
            vectors = dict(zip(distinct, self.embeddings.embed_documents(distinct), strict=True))
            step = self.client.get_max_batch_size()
            for start in range(0, len(memos), step):
                part = memos[start : start + step]
                self.collection.upsert(
                    ids=[m.key for m in part],
                    embeddings=[vectors[m.text] for m in part],
                    metadatas=[_metadata(m) for m in part],
                )

        await self._run(write)

    async def marks(self) -> dict[str, datetime]:
        """The marks in the collection's metadata, as the last process to keep them left them."""

        def read() -> dict[str, datetime]:
            meta = self.client.get_collection(self.name, embedding_function=None).metadata
            return {
                key.removeprefix(MARK): datetime.fromisoformat(str(value))
                for key, value in (meta or {}).items()
                if key.startswith(MARK)
            }

        return await self._run(read)

    async def keep_marks(self, marks: Mapping[str, datetime]) -> None:
        def write() -> None:
            meta = self.client.get_collection(self.name, embedding_function=None).metadata
            kept = dict(meta or {}) | {MARK + key: at.isoformat() for key, at in marks.items()}
            self.collection.modify(metadata=kept)

        await self._run(write)

    async def similar(self, text: str, *, k: int) -> list[CaseRecall]:
        """Coded cases of ours like ``text``, best first. The nearest ``SIMILAR_POOL`` are
        searched without a filter and the coded kept: Chroma's filtered search reads every
        record's metadata (135 ms at 100,000 cases, against 10 ms without a filter). The search
        returns distances only; the metadata is read for the nearest ``k + METADATA_SLACK``
        above the floor, then for the next as many until ``k`` are coded (reading it for the
        whole pool took about four times the search's CPU); the nearest ``k + METADATA_SLACK`` are
        searched with their metadata first, which is enough when most cases are coded."""
        if not text.strip() or k <= 0:
            return []

        def search() -> list[CaseRecall]:
            n = self._pool(max(k * 4, SIMILAR_POOL))
            if n == 0:
                return []
            nearest = self._nearest(text, min(n, k + METADATA_SLACK), k)
            if nearest is not None:
                return nearest
            found = self.collection.query(
                query_embeddings=[self._vector(text)], n_results=n, include=["distances"]
            )
            near = [
                (key, _score(distance))
                for key, distance in zip(found["ids"][0], found["distances"][0], strict=True)
                if _score(distance) > 0
            ]
            out: list[CaseRecall] = []
            step = k + METADATA_SLACK
            for start in range(0, len(near), step):
                part = near[start : start + step]
                metas = self._metadatas([key for key, _ in part])
                out += [
                    _recall(key, meta, score)
                    for key, score in part
                    if (meta := metas.get(key)) and meta.get("coded")
                ]
                if len(out) >= k:
                    break
            return out[:k]

        return await self._run(search)

    def _nearest(self, text: str, n: int, k: int) -> list[CaseRecall] | None:
        """The ``k`` coded cases among the nearest ``n``, read with their metadata in one
        search (a quarter less than a search and a read); None when fewer are coded and above
        the floor than ``k`` while the collection holds more than ``n`` (the wider search)."""
        found = self.collection.query(
            query_embeddings=[self._vector(text)],
            n_results=n,
            include=["distances", "metadatas"],
        )
        rows = zip(found["ids"][0], found["distances"][0], found["metadatas"][0], strict=True)
        out = [
            _recall(key, meta, _score(distance))
            for key, distance, meta in rows
            if _score(distance) > 0 and meta and meta.get("coded")
        ]
        if len(out) >= k or n >= self._held:
            return out[:k]
        return None

    def _metadatas(self, keys: list[str]) -> dict[str, Any]:
        """The stored metadata of those of ``keys`` the collection holds (blocking)."""
        got = self.collection.get(ids=keys, include=["metadatas"])
        return {
            key: meta or {} for key, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
        }

    def _pool(self, wanted: int) -> int:
        """How many neighbours a search can ask for: ``wanted``, or fewer while the collection
        holds fewer (counted until it has held ``wanted``: cases are never taken out of it)."""
        if self._held < wanted:
            self._held = self.collection.count()
        return min(wanted, self._held)

    async def history(
        self, text: str, *, customer_id: int, keys: Sequence[str], k: int
    ) -> list[CaseRecall]:
        """The ``k`` of ``keys`` (the customer's own cases, from the database) most like
        ``text``, however unlike: a customer has few, and an operator should see them. A key
        stored as another customer's is never returned."""
        if not text.strip() or k <= 0 or not keys:
            return []

        def rank() -> list[CaseRecall]:
            got = self.collection.get(ids=list(keys), include=["embeddings", "metadatas"])
            if not got["ids"]:
                return []
            matrix = np.asarray(got["embeddings"], dtype=np.float32)
            query = np.asarray(self._vector(text), dtype=np.float32)
            norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(query))
            cosines = matrix @ query / np.where(norms == 0, 1.0, norms)
            found = [
                _recall(key, meta, max(_score(1.0 - float(cos)), 0.0))
                for key, meta, cos in zip(got["ids"], got["metadatas"], cosines, strict=True)
                if meta and int(meta.get("customer_id", -1)) == customer_id
            ]
            return sorted(found, key=lambda r: r.score, reverse=True)[:k]

        return await self._run(rank)


def _score(distance: float) -> float:
    """Chroma's cosine distance as a score: the similarity rescaled, ``FLOOR`` at 0."""
    return (1.0 - float(distance) - FLOOR) / (1.0 - FLOOR)


def _metadata(memo: CaseMemo) -> dict[str, str | int | bool]:
    meta: dict[str, str | int | bool] = {
        "customer_id": memo.customer_id,
        "version": memo.version,
        "coded": bool(memo.code) and memo.key.startswith("case:"),
    }
    if memo.topic:
        meta["topic"] = memo.topic
    if memo.code:
        meta["code"] = memo.code
    return meta


def _recall(key: str, meta: dict[str, Any], score: float) -> CaseRecall:
    topic, code = meta.get("topic"), meta.get("code")
    return CaseRecall(
        key=key,
        customer_id=int(meta["customer_id"]),
        score=round(min(score, 1.0), 4),
        topic=str(topic) if topic else None,
        code=str(code) if code else None,
    )
