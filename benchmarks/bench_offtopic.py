"""Off-topic messages on a small FAQ: the demo knowledge base (31 entries), with and without the
bundled off-topic negatives (knowledge/data/offtopic.txt) at fit time.

Probes are held out from that list (benchmarks/probes/; written after it, never tuned on):
47 off-topic messages (small talk, greetings, thanks, general knowledge; ru/uk/ro/en), which
should be escalated, and 32 in-scope paraphrases with the entry that answers them.

Run:  uv run python -m benchmarks.bench_offtopic
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from core.config import Settings
from core.domain import Decision
from knowledge import DEMO_KB
from knowledge.matching.background import off_topic_texts
from knowledge.matching.decision import ANSWER_THRESHOLD, Phrasing, Thresholds, answer_threshold
from knowledge.matching.fit import fit_matcher
from knowledge.matching.matcher import Matcher
from knowledge.sources import load_sources
from knowledge.store.embeddings import LocalEmbeddings

PROBES = Path(__file__).with_name("probes")


def demo_kb() -> tuple[list, list[Phrasing], np.ndarray]:
    entries = load_sources([DEMO_KB])
    rows = [(e.id, q, "question") for e in entries for q in e.questions]
    rows += [(e.id, e.answer, "answer") for e in entries]
    phrasings = [
        Phrasing(hashlib.sha1(f"{e}|{k}|{t}".encode()).hexdigest()[:16], e, t, k)
        for e, t, k in rows
    ]
    vectors = np.zeros((len(rows), sum(LocalEmbeddings.views)), dtype=np.float32)
    for role in ("query", "passage"):
        idx = [i for i, p in enumerate(phrasings) if (p.kind == "question") == (role == "query")]
        texts = [phrasings[i].text for i in idx]
        vectors[idx] = LocalEmbeddings(role).embed_documents(texts)  # type: ignore[arg-type]
    return entries, phrasings, vectors


def main() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    thresholds = Thresholds(ANSWER_THRESHOLD, s.clarify_threshold, s.clarify_margin)
    entries, phrasings, vectors = demo_kb()
    query = LocalEmbeddings("query")
    listed = set(off_topic_texts())
    off = [t for t in (PROBES / "demo_off_topic.txt").read_text("utf-8").splitlines() if t]
    assert not listed & set(off), "probes must be held out from the bundled list"
    with (PROBES / "demo_in_scope.csv").open(newline="", encoding="utf-8") as f:
        in_scope = [(r["text"], r["entry_id"]) for r in csv.DictReader(f)]
    texts = list(off_topic_texts())
    background = (texts, np.asarray(query.embed_documents(texts), dtype=np.float32))
    for name, bg in (("without negatives", None), ("with negatives", background)):
        views = LocalEmbeddings.views
        matcher = fit_matcher(entries, phrasings, vectors, thresholds, background=bg, views=views)
        answer = answer_threshold(s.answer_threshold, matcher.phrasings_per_entry)
        matcher.thresholds = replace(thresholds, answer=answer)

        def ask(text: str, m: Matcher = matcher):
            return m.match(text, np.asarray(query.embed_query(m.prepare(text))))

        escalated = sum(ask(t).decision == Decision.ESCALATE for t in off)
        right = 0
        for text, entry in in_scope:
            m = ask(text)
            right += m.decision != Decision.ESCALATE and m.ranked[0].entry_id == entry
        result = {
            "fit": name,
            "off_topic_escalated": f"{escalated}/{len(off)}",
            "in_scope_right": f"{right}/{len(in_scope)}",
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
