"""The saved knowledge state beside Chroma: the fitted matcher, the entries and a manifest.

``CURRENT`` names a ``state-*`` folder; a new state is written beside the old one and
``CURRENT`` is swapped with ``os.replace``, so a crash never leaves a half-written state.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core.domain import FaqEntry
from knowledge.matching.matcher import Matcher
from knowledge.store.documents import entry_from_json, entry_to_json

log = logging.getLogger(__name__)


def save_state(
    index_dir: Path,
    matcher: Matcher | None,
    entries: dict[str, FaqEntry],
    keys: list[str],
    embedder: str,
    *,
    lock: threading.Lock | None = None,
) -> str:
    """Write a new state and make it current; returns its name."""
    index_dir.mkdir(parents=True, exist_ok=True)
    folder = index_dir / f"state-{time.time_ns()}"
    folder.mkdir()
    try:
        _write_state(folder, matcher, entries, keys, embedder, lock)
        tmp = index_dir / "CURRENT.tmp"
        tmp.write_text(folder.name, "utf-8")
        os.replace(tmp, index_dir / "CURRENT")
    except BaseException:  # a full disk, say: the current state stays, the half-written goes
        shutil.rmtree(folder, ignore_errors=True)
        (index_dir / "CURRENT.tmp").unlink(missing_ok=True)
        raise
    old = sorted(p for p in index_dir.glob("state-*") if p.name != folder.name)
    for stale in old[:-1]:  # keep one previous state for readers still loading it
        shutil.rmtree(stale, ignore_errors=True)
    return folder.name


def _write_state(
    folder: Path,
    matcher: Matcher | None,
    entries: dict[str, FaqEntry],
    keys: list[str],
    embedder: str,
    lock: threading.Lock | None,
) -> None:
    if matcher is not None:
        if lock is not None:
            with lock:
                matcher.save(folder / "matcher")
        else:
            matcher.save(folder / "matcher")
    docs = [json.loads(entry_to_json(e)) for e in entries.values()]
    (folder / "entries.json").write_text(json.dumps(docs, ensure_ascii=False), "utf-8")
    manifest = {"keys": keys, "embedder": embedder, "saved_at": time.time()}
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")


@dataclass(frozen=True, slots=True)
class SavedState:
    name: str
    """The ``state-*`` folder it was read from."""
    matcher: Matcher | None
    entries: dict[str, FaqEntry]
    keys: list[str]
    embedder: str


def current_state(index_dir: Path) -> str | None:
    """The name of the current saved state, or None when there is none."""
    try:
        return (index_dir / "CURRENT").read_text("utf-8").strip() or None
    except OSError:
        return None


def load_state(index_dir: Path) -> SavedState | None:
    try:
        name = (index_dir / "CURRENT").read_text("utf-8").strip()
        folder = index_dir / name
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        docs = json.loads((folder / "entries.json").read_text("utf-8"))
        entries = {e.id: e for e in (entry_from_json(json.dumps(d)) for d in docs)}
        matcher = Matcher.load(folder / "matcher") if (folder / "matcher").exists() else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if (index_dir / "CURRENT").exists():
            log.warning("saved knowledge state unreadable (%s); rebuilding from Chroma", exc)
        return None
    return SavedState(name, matcher, entries, list(manifest["keys"]), str(manifest["embedder"]))
