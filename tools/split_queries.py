"""Split a labelled queries CSV in two halves at random with a fixed seed: one to tune on, one
to report on (``uv run python -m tools.split_queries QUERIES.csv OUT_DIR [--seed 20]`` writes
``tune.csv`` and ``held.csv``; the same seed gives the same halves).

``--learned KB.csv`` also writes ``kb_learned.csv``: the KB with the tune half's in-scope
messages added as phrasings of their entries (the entry's answer and language), which is what
the learning loop gives a KB once operators have confirmed those messages."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np


def split(path: Path, out: Path, seed: int = 20) -> tuple[Path, Path]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header, rows = list(reader.fieldnames or []), list(reader)
    order = np.random.default_rng(seed).permutation(len(rows))
    half = len(rows) // 2
    out.mkdir(parents=True, exist_ok=True)
    paths = out / "tune.csv", out / "held.csv"
    for target, picked in zip(paths, (order[:half], order[half:]), strict=True):
        with target.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, header)
            writer.writeheader()
            writer.writerows(rows[i] for i in sorted(picked))
    return paths


def with_learned(kb: Path, tune: Path, out: Path, oos_label: str = "oos") -> Path:
    """``kb`` plus the in-scope rows of ``tune`` as phrasings of their entries."""
    with kb.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    first = {}
    for row in rows:
        first.setdefault(row["id"], row)
    with tune.open(encoding="utf-8", newline="") as f:
        learned = [r for r in csv.DictReader(f) if r["label"] != oos_label]
    target = out / "kb_learned.csv"
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["id", "question", "answer", "language"])
        writer.writeheader()
        writer.writerows({k: r[k] for k in ("id", "question", "answer", "language")} for r in rows)
        for r in learned:
            entry = first[r["label"]]
            writer.writerow(
                {
                    "id": r["label"],
                    "question": r["text"],
                    **{k: entry[k] for k in ("answer", "language")},
                }
            )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("queries", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--learned", type=Path, help="the KB CSV: also write kb_learned.csv")
    args = parser.parse_args()
    tune, held = split(args.queries, args.out, args.seed)
    print(tune, held, sep="\n")
    if args.learned:
        print(with_learned(args.learned, tune, args.out))


if __name__ == "__main__":
    main()
