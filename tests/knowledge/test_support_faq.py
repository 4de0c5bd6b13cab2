"""Answer quality on the development sets: two made-up companies' small multilingual FAQs and
their customers' messenger-style messages (shared/eval/support_faq). The floors are the
figures the matcher reaches (docs/benchmarks.md, "Company FAQs"), less a small margin: a
change that answers more wrongly, offers the right entry less often or hands over less of
what it must fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from knowledge.evaluate import EvalColumns, evaluate

SETS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "support_faq"

# measured: accuracy 0.480 / 0.547, self-service 0.585 / 0.596, wrong answers 0.015 / 0.019,
# out-of-scope recall 0.877 / 0.803, Russian (the minority language) accuracy 0.514 / 0.653
FLOORS = {
    "telecom_md": {"accuracy": 0.45, "self_service_rate": 0.55, "wrong_answer_rate": 0.03},
    "food_delivery": {"accuracy": 0.51, "self_service_rate": 0.56, "wrong_answer_rate": 0.035},
}
RU_FLOOR = {"telecom_md": 0.47, "food_delivery": 0.60}
OOS_FLOOR = 0.78  # the target is 0.80; food_delivery meets it by one message


def _evaluate(name: str, settings: Settings) -> dict[str, Any]:
    kb, queries = SETS / name / "kb.csv", SETS / name / "queries.csv"
    if not queries.exists():
        pytest.skip(f"{queries} is not here (the development sets live beside the repository)")
    return evaluate(kb, queries, columns=EvalColumns(), settings=settings, group_by=("language",))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_a_company_faq_is_answered_offered_or_handed_over_as_measured(
    name: str, settings: Settings
) -> None:
    result = _evaluate(name, settings)
    floors = FLOORS[name]
    assert result["accuracy"] >= floors["accuracy"]
    assert result["self_service_rate"] >= floors["self_service_rate"]
    assert result["wrong_answer_rate"] <= floors["wrong_answer_rate"]
    assert result["oos_recall"] >= OOS_FLOOR
    # the minority language is ranked by meaning, not pulled to the entries written in it
    ru = next(g for g in result["groups"] if g["language"] == "ru")
    assert ru["accuracy"] >= RU_FLOOR[name]
