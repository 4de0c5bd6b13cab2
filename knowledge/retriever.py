"""``KnowledgeBase``: the ``core.ports.Retriever`` implementation over Chroma and the Matcher.

Query path: read the text once (``Matcher.read``: lead-in, transliteration, typo repair), embed
it (query role), score it against the matcher's own copy of the vectors (or the top hits of both
Chroma collections with ``CXC_DENSE_SEARCH=chroma``), let the Matcher fuse that with its other
channels and decide answer / clarify / escalate (docs/retrieval.md). Settings thresholds always
override the ones saved with the matcher.

``Answer`` conventions: on *answer* and *clarify*, ``text``/``entry_id`` are the top entry's
answer (in ``language`` when given, else in the detected language); on *escalate* they are
empty/None so nothing is sent by mistake. ``sources`` and ``candidates`` always list the ranked
entries (the operator console can suggest them; a clarify shows them as choices).

Persistence: the saved state under ``settings.index_dir`` (``knowledge.store.state``).
``INGEST_INCOMPLETE`` marks a sync that did not finish: the last good state keeps serving until
the next ingest repairs Chroma. ``reload`` serves a state another process saved.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.config import Settings
from core.domain import (
    Answer,
    Decision,
    FaqEntry,
    IngestReport,
    PhrasingCheck,
    StoreStatus,
    match_text,
)
from core.errors import (
    BackendUnavailable,
    CxcError,
    EntryNotFound,
    InvalidInput,
    InvalidTransition,
)
from core.storage import storage_errors
from knowledge.matching.background import Background, off_topic
from knowledge.matching.decision import (
    Phrasing,
    Thresholds,
    answer_threshold,
    offer_threshold,
    to_answer,
)
from knowledge.matching.fit import fit_matcher
from knowledge.matching.matcher import Matcher
from knowledge.matching.probe import answered_by, check_phrasing
from knowledge.matching.text import detect_language
from knowledge.sources import validate_entries
from knowledge.store.chroma import heartbeat
from knowledge.store.documents import doc_key, phrasing_doc
from knowledge.store.embeddings import embedder_views, one_blas_thread
from knowledge.store.index import FaqIndex, Progress
from knowledge.store.state import current_state, load_state, save_state

log = logging.getLogger(__name__)
DENSE_K = 30
MARKER = "INGEST_INCOMPLETE"
EMPTY = "the knowledge base is empty: nothing to answer from (run `cxc ingest`)"


@dataclass(frozen=True, slots=True)
class _Trial:
    """The matcher with one phrasing added, fitted but not saved, and what it would change."""

    phrasing: Phrasing
    state: str | None
    matcher: Matcher
    check: PhrasingCheck


class KnowledgeBase:
    """FAQ retrieval and answer decisions; build with ``build_knowledge(settings)``.

    A context manager: ``with build_knowledge(settings) as kb:`` closes it on the way out
    (``close()`` does the same).
    """

    def __init__(self, settings: Settings, index: FaqIndex) -> None:
        self.settings = settings
        self.index = index
        self._entries: dict[str, FaqEntry] = {}
        self._matcher: Matcher | None = None
        self._write = threading.RLock()  # ingest, add_phrasing, add_entry: one at a time
        self._read = threading.Lock()  # matcher.match / matcher.add / state swap
        self._chroma_matches = True  # False while Chroma holds a half-finished ingest
        self._state: str | None = None  # the saved state being served
        self._trial: _Trial | None = None  # the last phrasing checked, applied if approved

    # -- the Retriever port ---------------------------------------------------------------

    async def ask(
        self, text: str, *, customer_ref: str | None = None, language: str | None = None
    ) -> Answer:
        # The whole query runs where the local model runs (one thread: knowledge.store.embeddings).
        executor = getattr(self.index.query_embeddings, "executor", None)
        call = functools.partial(self.ask_sync, text, language=language)
        return await asyncio.get_running_loop().run_in_executor(executor, call)

    async def add_phrasing(self, entry_id: str, text: str) -> None:
        await asyncio.to_thread(self.add_phrasing_sync, entry_id, text)

    async def check_phrasing(self, entry_id: str, text: str) -> PhrasingCheck:
        return await asyncio.to_thread(self.check_phrasing_sync, entry_id, text)

    async def add_entry(self, entry: FaqEntry) -> None:
        await asyncio.to_thread(self.add_entry_sync, entry)

    async def ingest(
        self,
        entries: Sequence[FaqEntry],
        *,
        learned: Mapping[str, Sequence[str]] | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        call = functools.partial(self.ingest_sync, entries, learned=learned, progress=progress)
        return await asyncio.to_thread(call)

    async def reload(self) -> None:
        await asyncio.to_thread(self.reload_sync)

    async def store_status(self) -> StoreStatus:
        return await asyncio.to_thread(heartbeat, self.index.client, self.settings)

    def entry(self, entry_id: str) -> FaqEntry | None:
        return self._entries.get(entry_id)

    def entries(self) -> list[FaqEntry]:
        return list(self._entries.values())

    # -- queries --------------------------------------------------------------------------

    def ask_sync(self, text: str, *, language: str | None = None) -> Answer:
        text = match_text((text or "").strip(), self.settings.match_max_chars)
        if not text:
            raise InvalidInput("the question is empty")
        with self._read:
            matcher, entries = self._matcher, self._entries
        if matcher is None or not entries:
            lang = language or detect_language(text)
            return Answer("", None, 0.0, Decision.ESCALATE, language=lang, reason=EMPTY)
        t0 = time.perf_counter()
        try:
            cleaned = matcher.read(text)  # once: it feeds both the embedding and the match
            vector = self.index.query_embeddings.embed_query(matcher.prepare(text, cleaned=cleaned))
            t1 = time.perf_counter()
            # The matcher holds the vectors it was fitted on (loaded from Chroma): exact search
            # over them is the default. After an unfinished ingest Chroma may hold a
            # half-written state, so the matcher's copy of the last good vectors is used then.
            use_chroma = self.settings.dense_search == "chroma" and self._chroma_matches
            hits = self.index.search(vector, k=DENSE_K) if use_chroma else None
        except CxcError:
            raise
        except Exception as exc:
            raise BackendUnavailable(f"vector search failed: {exc}") from exc
        t2 = time.perf_counter()
        query = np.asarray(vector, dtype=np.float32)
        with self._read:
            match = matcher.match(text, query, dense_hits=hits, cleaned=cleaned)
        t3 = time.perf_counter()
        timings = {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "match": (t3 - t2) * 1e3}
        return to_answer(match, entries, language or match.language, timings)

    # -- writes ---------------------------------------------------------------------------

    def ingest_sync(
        self,
        entries: Sequence[FaqEntry],
        *,
        learned: Mapping[str, Sequence[str]] | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Make the KB hold exactly ``entries``; the learned phrasings of kept entries stay, or
        are exactly ``learned`` (texts by entry id) when given."""
        validate_entries(entries)
        started = time.perf_counter()
        marker = self.settings.index_dir / MARKER
        with self._write, storage_errors(str(self.settings.index_dir)):
            marker.write_text("a sync started and has not finished\n", "utf-8")
            try:
                counts = self.index.sync(entries, progress, learned=learned)
                matcher, keys = self._fit(list(entries))
            except InvalidInput:
                raise
            except Exception as exc:
                self._chroma_matches = False
                raise BackendUnavailable(
                    f"indexing failed ({exc}); the previous index keeps answering,"
                    " run the ingest again to repair it"
                ) from exc
            self._save_and_swap(matcher, {e.id: e for e in entries}, keys)
            marker.unlink(missing_ok=True)
            self._chroma_matches = True
        return IngestReport(
            entries=len(entries),
            phrasings=len(keys),
            added=counts.added,
            updated=counts.updated_entries,
            skipped=counts.skipped,
            deleted=counts.deleted,
            seconds=round(time.perf_counter() - started, 3),
        )

    def check_phrasing_sync(self, entry_id: str, text: str) -> PhrasingCheck:
        """What adding ``text`` to ``entry_id`` would change; nothing is written."""
        with self._write:
            return self._try_phrasing(entry_id, text).check

    def add_phrasing_sync(self, entry_id: str, text: str) -> None:
        """Index ``text`` as a learned phrasing and serve the matcher its check was made on."""
        with self._write, storage_errors(str(self.settings.index_dir)):
            trial = self._try_phrasing(entry_id, text)
            try:
                self.index.add_learned(entry_id, trial.phrasing.text)
            except Exception as exc:
                raise BackendUnavailable(f"could not index the phrasing: {exc}") from exc
            keys = sorted(p.key for p in trial.matcher.phrasings)
            self._save_and_swap(trial.matcher, self._entries, keys)

    def _try_phrasing(self, entry_id: str, text: str) -> _Trial:
        """The served matcher with the phrasing added (refit on every phrasing when adding
        alone does not answer it: the kept classifier/stacker do not carry it), on a copy."""
        text = " ".join((text or "").split())
        if not text:
            raise InvalidInput("the phrasing is empty")
        with self._read:
            matcher, state, last = self._matcher, self._state, self._trial
        if matcher is None or entry_id not in self._entries:
            raise EntryNotFound(entry_id)
        key = doc_key(phrasing_doc(entry_id, "learned", text))
        if last is not None and last.phrasing.key == key and last.state == state:
            return last
        phrasing = Phrasing(key, entry_id, text, "learned")
        try:
            embedded = self.index.query_embeddings.embed_documents([text])[0]
        except Exception as exc:
            raise BackendUnavailable(f"could not embed the phrasing: {exc}") from exc
        vector = np.asarray(embedded, dtype=np.float32)
        trial = copy.deepcopy(matcher)
        trial.add(phrasing, vector)
        if answered_by(trial, text, vector) != entry_id:
            trial = self._refit(trial, (phrasing, vector))
        check = check_phrasing(matcher, trial, entry_id=entry_id, text=text, vector=vector)
        self._trial = _Trial(phrasing, state, trial, check)
        return self._trial

    def _refit(self, matcher: Matcher, extra: tuple[Phrasing, np.ndarray]) -> Matcher:
        """Retrain on every stored phrasing and ``extra``; keep ``matcher`` on failure."""
        try:
            refit, _ = self._fit(list(self._entries.values()), extra)
        except Exception as exc:  # the phrasing is added; the refit is a bonus
            log.warning("refit with a learned phrasing failed: %s", exc)
            return matcher
        return refit or matcher

    def add_entry_sync(self, entry: FaqEntry) -> None:
        """Add one new entry: an ingest of the current entries plus it (unchanged phrasings are
        not embedded again; learned ones stay), so the matcher is refit with the new entry."""
        validate_entries([entry])
        with self._write:
            if entry.id in self._entries:
                raise InvalidTransition(f"knowledge entry {entry.id!r} already exists")
            self.ingest_sync([*self._entries.values(), entry])

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ----------------------------------------------------------------------------

    def thresholds(self, matcher: Matcher | None = None) -> Thresholds:
        """The settings' thresholds; an unset answer threshold is the KB's default for
        ``matcher`` (the one in use when not given)."""
        s, matcher = self.settings, matcher or self._matcher
        per_entry = matcher.phrasings_per_entry if matcher else 0
        calibrated = matcher is not None and not matcher.stacker.is_default
        answer = answer_threshold(s.answer_threshold, per_entry, calibrated=calibrated)
        offer = offer_threshold(s.offer_threshold, per_entry, answer, calibrated=calibrated)
        return Thresholds(answer, s.clarify_threshold, s.clarify_margin, offer)

    def _fit(
        self, entries: list[FaqEntry], extra: tuple[Phrasing, np.ndarray] | None = None
    ) -> tuple[Matcher | None, list[str]]:
        """Fit a matcher on every phrasing Chroma holds for these entries (and ``extra``)."""
        known = {e.id for e in entries}
        stored = self.index.stored()
        rows = [i for i, e in enumerate(stored.entry_ids) if e in known]
        phrasings = [
            Phrasing(stored.keys[i], stored.entry_ids[i], stored.texts[i], stored.kinds[i])
            for i in rows
        ]
        vectors = stored.vectors[rows]
        if extra is not None and extra[0].key not in set(stored.keys):
            phrasings.append(extra[0])
            vectors = np.vstack([vectors, extra[1].reshape(1, -1)]) if rows else extra[1][None]
        if not entries or not phrasings:
            return None, []
        matcher = fit_matcher(
            entries,
            phrasings,
            vectors,
            self.thresholds(),
            background=self._off_topic() if self.settings.off_topic_negatives else None,
            views=embedder_views(self.index.query_embeddings),
        )
        matcher.thresholds = self.thresholds(matcher)
        return matcher, sorted(p.key for p in phrasings)

    def _off_topic(self) -> Background:
        index = self.index
        return off_topic(index.query_embeddings, index.embedder, self.settings.index_dir)

    def _save_and_swap(
        self, matcher: Matcher | None, entries: dict[str, FaqEntry], keys: list[str]
    ) -> None:
        name = save_state(
            self.settings.index_dir, matcher, entries, keys, self.index.embedder, lock=self._read
        )
        with self._read:
            self._matcher, self._entries, self._state = matcher, dict(entries), name
            self._trial = None

    def reload_sync(self) -> None:
        """Serve the newest saved state when another process wrote one (the knowledge version
        moved); the state being served stays when the new one cannot be read."""
        with self._write:
            if current_state(self.settings.index_dir) == self._state:
                return
            state = load_state(self.settings.index_dir)
            if state is None or state.embedder != self.index.embedder:
                log.warning("the new knowledge state cannot be used; serving the previous one")
                return
            self._chroma_matches = True
            self._install(state.matcher, state.entries, state.name)

    def load(self) -> None:
        """Use the saved state when it matches Chroma, else refit from Chroma's contents."""
        index_dir = self.settings.index_dir
        state = load_state(index_dir)
        unfinished = (index_dir / MARKER).exists()
        usable = state is not None and state.embedder == self.index.embedder
        if state is not None and usable and (unfinished or set(state.keys) == self.index.ids()):
            if unfinished:
                log.warning("the last ingest did not finish; serving the previous index")
                self._chroma_matches = False
            self._install(state.matcher, state.entries, state.name)
            return
        if not self.index.space_matches:
            log.warning("the index was built with other embeddings; run the ingest again")
            self._install(None, {e.id: e for e in self.index.entries()}, None)
            return
        entries_list = self.index.entries()
        matcher, keys = self._fit(entries_list)
        entries = {e.id: e for e in entries_list}
        name = None
        if entries or state is not None:
            name = save_state(index_dir, matcher, entries, keys, self.index.embedder)
        self._install(matcher, entries, name)

    def _install(
        self, matcher: Matcher | None, entries: dict[str, FaqEntry], state: str | None
    ) -> None:
        if matcher is not None:
            matcher.thresholds = self.thresholds(matcher)
        with self._read:
            self._matcher, self._entries, self._state = matcher, entries, state
            self._trial = None


def build_knowledge(settings: Settings) -> KnowledgeBase:
    """Open Chroma and the saved matcher (refit from Chroma when missing or stale), with
    numpy's BLAS on one thread for the process (``embeddings.one_blas_thread``)."""
    one_blas_thread()
    kb = KnowledgeBase(settings, FaqIndex(settings))
    try:
        kb.load()
    except Exception:
        kb.close()
        raise
    return kb
