"""Trust, over HTTP and in the console, on SQLite and PostgreSQL: one customer's personal data
never reaches another customer's suggestions or draft; card numbers are never shown in full;
phones and e-mails only to those who may see that customer's contacts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.models import Case, ChannelIdentity, Compensation, KnowledgeCandidate, Message
from tests.copilot.conftest import Users, seed_case

# Olga's values: none of them may reach Petr's case.
NAME, PROMO, ORDER = "Ольга Петренко", "SORRY-7KQ2", "A-10452"
PHONE, EMAIL, CARD = "+7 912 000-02-37", "olga.petrenko@mail.ru", "4111 1111 1111 1111"
HERS = ("Ольга", "Петренко", PROMO, ORDER, "000-02-37", "79120000237", "olga.petrenko", CARD)


@pytest.fixture
async def database_url(any_database_url: str) -> AsyncIterator[str]:
    """The app of this module runs on each backend (PostgreSQL emptied before and after)."""
    await _empty(any_database_url)
    yield any_database_url
    await _empty(any_database_url)


async def _empty(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = db.create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


async def _olgas_resolved_case(session: AsyncSession) -> Case:
    """Her double charge: her name, phone, e-mail, card, order and promo code everywhere."""
    case = await seed_case(
        session,
        telegram_id="700100",
        name=NAME,
        attributes={"orders": [{"id": ORDER, "total": 1500}]},
        text=f"Это {NAME}. Списали дважды за заказ {ORDER} с карты {CARD}, телефон {PHONE}",
    )
    for channel, value in (("phone", "+79120000237"), ("email", EMAIL)):
        session.add(
            ChannelIdentity(customer_id=case.customer_id, channel=channel, external_id=value)
        )
    assert case.id is not None
    session.add_all(
        [
            Message(
                case_id=case.id,
                direction="out",
                channel="telegram",
                author="operator",
                author_ref="sveta",
                text=f"Ольга, простите! Деньги за заказ {ORDER} вернули, ваш промокод {PROMO}.",
            ),
            Compensation(
                case_id=case.id,
                customer_id=case.customer_id,
                policy_version=1,
                issue_type="wrong_charge",
                items=[{"type": "promo_code", "amount": 500, "value": 500, "code": PROMO}],
                created_by="sveta",
                status="issued",
            ),
        ]
    )
    case.status, case.owner, case.assigned_operator = "resolved", "human", "sveta"
    case.resolution_code = "double_charge_refund"
    case.resolution = f"{NAME}: вернули списание по заказу {ORDER}, промокод {PROMO}, тел. {PHONE}"
    case.resolved_at = datetime(2030, 1, 1, tzinfo=UTC)
    session.add(case)
    await session.commit()
    return case


async def test_another_customers_data_never_reaches_a_suggestion_or_draft(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    hers = await _olgas_resolved_case(db_session)
    his = await seed_case(
        db_session, telegram_id="700200", name="Пётр", text="Списали дважды за заказ с карты"
    )

    got = await client.get(f"/v1/cases/{his.id}/suggestions", headers=users.operator)
    assert got.status_code == 200, got.text
    body = got.json()
    top = next(r for r in body["resolutions"] if r["kind"] == "cases")
    # her case informs the resolution by its code and outcome, never by its text: an operator's
    # note about her is free text, where no pattern finds every name
    assert top["code"] == "double_charge_refund" and top["sources"][0]["ref"] == hers.id
    assert "double_charge_refund" in top["text"] and "вернули списание" not in got.text
    assert body["draft"].startswith("Здравствуйте, Пётр!")
    page = await client.get(
        f"/console/fragments/cases/{his.id}/suggestions", headers=users.operator
    )
    view = await client.get(f"/console/fragments/cases/{his.id}", headers=users.operator)
    for shown in (got.text, page.text, view.text):
        assert [v for v in HERS if v in shown] == []


async def test_card_numbers_are_masked_for_every_role(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(
        db_session,
        name="Анна",
        attributes={"orders": [{"id": "B-7", "paid_with": CARD}]},
        text=f"Спишите с карты {CARD}, мой телефон {PHONE}, почта {EMAIL}",
    )
    path = f"/v1/cases/{case.id}"
    sent = await client.post(
        f"{path}/messages", json={"text": f"Карта {CARD} не нужна"}, headers=users.operator
    )
    assert sent.status_code == 201 and CARD not in sent.text and "•••• 1111" in sent.text
    for headers in (users.operator, users.supervisor, users.admin):
        pages = [
            await client.get(path, headers=headers),
            await client.get(f"{path}/suggestions", headers=headers),
            await client.get(f"/console/fragments/cases/{case.id}", headers=headers),
            await client.get(f"/console/fragments/cases/{case.id}/suggestions", headers=headers),
        ]
        for page in pages:
            assert page.status_code == 200, page.text
            assert CARD not in page.text and "4111111111111111" not in page.text
        assert "•••• 1111" in pages[0].text and "•••• 1111" in pages[2].text
        # whoever may act on the case sees this customer's phone and e-mail
        assert PHONE in pages[0].text and EMAIL in pages[2].text


async def test_candidates_show_contacts_only_to_who_may_see_that_customer(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="hello")
    case.assigned_operator = "ivan"
    db_session.add(case)
    assert case.id is not None
    db_session.add(
        KnowledgeCandidate(
            case_id=case.id,
            entry_id="missing_item",
            text=f"Не хватает товара, звоните {PHONE}, пишите {EMAIL}, карта {CARD}",
            proposed_by="ivan",
        )
    )
    await db_session.commit()

    def candidate_text(response: httpx.Response) -> str:
        assert response.status_code == 200, response.text
        return str(response.json()[0]["text"])

    olga = candidate_text(await client.get("/v1/knowledge/candidates", headers=users.operator))
    assert PHONE not in olga and EMAIL not in olga and CARD not in olga
    assert "[phone]" in olga and "[email]" in olga and "•••• 1111" in olga
    # she may not open the case either, so nothing of it reaches her
    denied = await client.get(f"/v1/cases/{case.id}", headers=users.operator)
    assert denied.status_code == 403 and PHONE not in denied.text
    for who in (users.operator2, users.supervisor):
        seen = candidate_text(await client.get("/v1/knowledge/candidates", headers=who))
        assert PHONE in seen and EMAIL in seen and CARD not in seen and "•••• 1111" in seen
