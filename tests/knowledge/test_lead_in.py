"""Leading clauses that say nothing the KB knows are dropped before matching."""

from __future__ import annotations

from knowledge.matching.lead_in import drop_lead_in


def knows(*words: str):
    return lambda clause: any(w in clause.lower().split() for w in words)


def test_leading_clauses_go_until_one_the_kb_knows() -> None:
    text = "Короче, такая ситуация: карта не пришла. Что делать?"
    assert drop_lead_in(text, knows("карта")) == "карта не пришла. Что делать?"
    assert drop_lead_in("Hi there! My card - it was declined", knows("card")) == (
        "My card - it was declined"
    )
    assert drop_lead_in("Hi - my card was declined", knows("card")) == "my card was declined"
    assert drop_lead_in("Hello!!!\n\nmy card was declined", knows("card")) == "my card was declined"


def test_messages_without_a_known_clause_or_with_one_clause_are_kept_whole() -> None:
    assert drop_lead_in("hi, what's the capital of Australia?", knows("card")) == (
        "hi, what's the capital of Australia?"
    )
    assert drop_lead_in("my card was declined", knows("card")) == "my card was declined"
    assert drop_lead_in("card-to-card transfer, please", knows("card-to-card")) == (
        "card-to-card transfer, please"
    )
    assert drop_lead_in("!!!", knows()) == "!!!"
