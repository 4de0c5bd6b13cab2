"""Split a labelled queries CSV in two halves at random with a fixed seed: one to tune on, one
to report on (``uv run python -m tools.split_queries QUERIES.csv OUT_DIR [--seed 20]`` writes
``tune.csv`` and ``held.csv``; the same seed gives the same halves)."""

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("queries", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    for path in split(args.queries, args.out, args.seed):
        print(path)


if __name__ == "__main__":
    main()
