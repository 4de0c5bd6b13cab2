"""Opening and closing the Chroma client: embedded (``settings.chroma_dir``) or a server
(``settings.chroma_url``)."""

from __future__ import annotations

from typing import Any

from core.config import Settings
from core.domain import StoreStatus
from core.errors import BackendUnavailable


def open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:
        where = settings.chroma_url or settings.chroma_dir
        raise BackendUnavailable(f"cannot open Chroma at {where}: {exc}") from exc


def close_client(client: Any) -> None:
    """Release the client's shared Chroma system; for HTTP, also close its connection pool
    once no other client in the process uses it (chromadb leaves the httpx client open)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    parts = [client, getattr(client, "_admin_client", None)]
    sessions = [
        (getattr(getattr(p, "_server", None), "_session", None), getattr(p, "_identifier", None))
        for p in parts
    ]
    client.close()
    for session, identifier in sessions:
        if session is not None and identifier not in SharedSystemClient._identifier_to_system:
            session.close()


def heartbeat(client: Any, settings: Settings) -> StoreStatus:
    """Ask the client's Chroma whether it answers (a server's ``/api/v2/heartbeat``)."""
    mode = "server" if settings.chroma_url else "embedded"
    try:
        client.heartbeat()
    except Exception as exc:
        return StoreStatus(mode, False, f"{type(exc).__name__}: {str(exc)[:200]}")
    return StoreStatus(mode, True)
