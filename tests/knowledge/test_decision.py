"""The decision's value types in front of a customer: ``to_answer`` speaks the customer's
language where the entry has it, and says which language it answers in."""

from __future__ import annotations

import pytest

from core.domain import Decision, FaqEntry
from knowledge.matching.decision import Match, Ranked, Thresholds, decide, to_answer

ROAMING = FaqEntry(
    "roaming",
    ("Cum activez roamingul?", "Как активировать роуминг?"),
    "Roamingul se activează în aplicație.",
    language="ro",
    translations=(("ru", "Роуминг включается в приложении."),),
)
BALANCE = FaqEntry("balance", ("Cum verific soldul?",), "Formați *100#.", language="ro")
ENTRIES = {e.id: e for e in (ROAMING, BALANCE)}


def _match(decision: Decision) -> Match:
    ranked = (Ranked("roaming", 0.3, "x"), Ranked("balance", 0.1, "y"))
    return Match(decision, 0.3, ranked, "ru")


def test_choices_and_answers_are_in_the_customers_language_where_the_entry_has_it() -> None:
    offered = to_answer(_match(Decision.CLARIFY), ENTRIES, "ru", {})
    assert [c.question for c in offered.candidates] == [
        "Как активировать роуминг?",  # the entry's own Russian question
        "Cum verific soldul?",  # none in Russian: its first question
    ]
    answered = to_answer(_match(Decision.ANSWER), ENTRIES, "ru", {})
    assert (answered.text, answered.text_language) == ("Роуминг включается в приложении.", "ru")
    assert answered.sources[0].question == "Как активировать роуминг?"


def test_an_answer_without_a_translation_names_the_language_it_is_in() -> None:
    ranked = (Ranked("balance", 0.9, "x"),)
    answered = to_answer(Match(Decision.ANSWER, 0.9, ranked, "en"), ENTRIES, "en", {})
    assert (answered.text, answered.text_language) == ("Formați *100#.", "ro")


def test_an_escalation_carries_no_text_and_no_language() -> None:
    escalated = to_answer(_match(Decision.ESCALATE), ENTRIES, "ru", {})
    assert (escalated.text, escalated.entry_id, escalated.text_language) == ("", None, None)


def test_candidates_below_the_clarify_threshold_never_make_a_clarify() -> None:
    """A rich KB (answer 0.08, no offer step) answers a top of 0.09 even with a runner-up of
    0.085: only candidates from the clarify threshold (0.1) up count as too close. Counting
    them from the offer threshold instead cost CLINC150 0.7 points of out-of-scope recall."""
    rich = Thresholds(answer=0.08, clarify=0.1, margin=0.1, offer=0.08)
    assert decide([0.09, 0.085, 0.0], rich) == Decision.ANSWER
    assert decide([0.07, 0.065, 0.0], rich) == Decision.ESCALATE
    assert decide([0.3, 0.25, 0.0], rich) == Decision.CLARIFY  # both above 0.1 and close
    small = Thresholds(answer=0.4, clarify=0.1, margin=0.1, offer=0.05)
    assert decide([0.06, 0.055, 0.0], small) == Decision.CLARIFY  # offered: top reaches 0.05


def test_an_entrys_questions_are_read_for_their_language_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The title runs on every query: a customer writing in a language the entry lacks must
    not make it detect the language of all its questions each time (2.6 ms per candidate on a
    127-question entry)."""
    import knowledge.matching.decision as decision

    seen: list[str] = []
    monkeypatch.setattr(decision, "detect_language", lambda text: seen.append(text) or "en")
    entry = FaqEntry("big", tuple(f"question {i}" for i in range(127)), "a", language="en")
    assert [decision.title(entry, "ru") for _ in range(50)] == ["question 0"] * 50
    assert len(seen) == 127
