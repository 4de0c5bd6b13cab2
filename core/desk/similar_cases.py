"""How similar resolved cases were resolved, as a suggestion for another customer's case: the
resolution code and the outcome (how many such cases, how many reopened), and nothing of
another case's text. An operator's resolution note is free text about another customer: a
masked summary of it still carried names that no pattern finds (the contact-centre day found
them), so it is never shown; cases resolved without a code are not cited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.personal import PersonalValues, personal_values
from core.desk.case_memory import Hit
from core.models import Case

SAMPLE = 5
"""Cases per resolution that are cited as sources and checked for reopening."""


@dataclass(frozen=True, slots=True)
class Resolution:
    kind: str
    """"cases" (how similar resolved cases were resolved) or "faq" (a knowledge entry)."""
    title: str
    text: str
    score: float
    sources: list[dict[str, Any]]
    code: str | None = None
    outcome: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SimilarCases:
    resolutions: list[Resolution]
    customers: list[PersonalValues]
    """The personal values of the customers of every case cited: what must not leak."""
    own: PersonalValues | None = None
    """The personal values of ``own_customer_id``, read with the others'."""


async def similar_resolutions(
    session: AsyncSession, hits: list[Hit], *, own_customer_id: int | None = None
) -> SimilarCases:
    """One resolution per resolution code. With ``own_customer_id``, that customer's personal
    values are read in the same queries as the cited customers' (``SimilarCases.own``)."""
    groups: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits:
        if hit.resolution_code:
            groups[hit.resolution_code].append(hit)
    ids = [h.case_id for group in groups.values() for h in group[:SAMPLE]]
    stmt = select(Case).where(col(Case.id).in_(ids))
    rows = {c.id: c for c in (await session.exec(stmt)).all()} if ids else {}
    cited = {c.customer_id for c in rows.values()}
    also = {own_customer_id} if own_customer_id is not None else set()
    values = await personal_values(session, cited | also)
    own = values.get(own_customer_id) if own_customer_id is not None else None
    reopened = {cid for cid, c in rows.items() if c.reopen_count}
    out = []
    for code, group in groups.items():
        best, sample = group[0], group[:SAMPLE]
        again = sum(1 for h in sample if h.case_id in reopened)
        out.append(
            Resolution(
                kind="cases",
                title=f"{len(group)} similar resolved case(s): {code}",
                text=f"Resolved as {code!r}; {again} of the {len(sample)} checked reopened.",
                score=round(best.score * min(1.0, 0.8 + 0.05 * len(group)), 4),
                code=best.resolution_code,
                sources=[{"kind": "case", "ref": h.case_id, "score": h.score} for h in sample],
                outcome={
                    "cases": len(group),
                    "reopened": again,
                    "checked": len(sample),
                },
            )
        )
    return SimilarCases(out, [values[cid] for cid in sorted(cited)], own)
