"""The console's fragments: the operator's language (ru, en), an offer worded and priced as the
draft words it, the promo code shown once issued, the alerts panel (overdue promises, offers
waiting for approval, failed deliveries, customers waiting past the reply target), and no other
operator's customers in anyone's alerts."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import httpx
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from sqlmodel.ext.asyncio.session import AsyncSession

from copilot.console import templating
from core.models import Author, Direction, Message
from core.models.base import utcnow
from tests.copilot.conftest import RecordingTelegram, Users, seed_case

NBSP = "\xa0"
ORDER = {"id": "A-7", "total": 2000, "items": [{"name": "Молоко", "price": 1200}]}


async def test_the_console_speaks_the_operators_language(client: httpx.AsyncClient) -> None:
    english = await client.get("/console", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Log in" in english.text
    russian = await client.get("/console", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in russian.text and "Войти" in russian.text
    block = russian.text.split('id="console-texts">')[1].split("</script>")[0]
    assert json.loads(block)["Reply sent"] == "Ответ отправлен"  # the script's messages
    chosen = await client.get("/console?lang=ru", headers={"Accept-Language": "en"})
    assert "Войти" in chosen.text and chosen.cookies.get("cxc_console_lang") == "ru"
    kept = await client.get("/console", headers={"Accept-Language": "en"})  # the cookie stays
    assert "Войти" in kept.text
    client.cookies.clear()
    other = await client.get("/console", headers={"Accept-Language": "de"})
    assert "Log in" in other.text  # CXC_CONSOLE_LANGUAGE


async def test_an_offer_reads_as_the_draft_reads_it_and_the_promo_code_shows_once_issued(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(
        db_session, text="В заказе не хватает молока", attributes={"orders": [ORDER]}
    )
    ru = {**users.operator, "Accept-Language": "ru"}
    hints = await client.get(f"/console/fragments/cases/{case.id}/suggestions", headers=ru)
    words = f"промокод на 1{NBSP}500{NBSP}₽ и бесплатную доставку следующего заказа"
    assert f"мы дарим вам {words}." in hints.text  # the draft
    assert f"<strong>{words}</strong>" in hints.text  # the offer beside it
    assert f"всего на 1{NBSP}699{NBSP}₽" in hints.text
    assert "В заказе не хватало товара (Молоко, на 1" in hints.text and "Offer:" not in hints.text

    res = await client.post("/v1/compensations", headers=users.operator, json={"case_id": case.id})
    comp = res.json()
    view = await client.get(f"/console/fragments/cases/{case.id}", headers=ru)
    assert words in view.text and f"всего на 1{NBSP}699{NBSP}₽" in view.text
    assert "RUB" not in view.text and "1,699" not in view.text
    assert "Выдать" in view.text and "promo-code" not in view.text
    hints = await client.get(f"/console/fragments/cases/{case.id}/suggestions", headers=ru)
    assert f"По этому обращению уже предложено: #{comp['id']}" in hints.text
    await client.post(f"/v1/compensations/{comp['id']}/issue", headers=users.operator)
    issued = await client.get(f"/console/fragments/cases/{case.id}", headers=ru)
    code = next(i["code"] for i in (await _comp(client, users, comp["id"]))["items"] if "code" in i)
    assert f"<code>{code}</code>" in issued.text and "выдано" in issued.text


async def _comp(client: httpx.AsyncClient, users: Users, comp_id: int) -> dict[str, list[dict]]:
    res = await client.get(f"/v1/compensations/{comp_id}", headers=users.operator)
    return dict(res.json())


async def test_alerts_show_what_needs_a_person_and_only_to_those_who_may_act(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users, telegram: RecordingTelegram
) -> None:
    mine = await seed_case(db_session, text="Где мой заказ?", telegram_id="71")
    theirs = await seed_case(db_session, text="Сыр испорчен", telegram_id="72", name="Борис")
    await client.post(f"/v1/cases/{mine.id}/assign", headers=users.operator)
    await client.post(f"/v1/cases/{theirs.id}/assign", headers=users.operator2)
    db_session.add(  # a customer message half an hour old, no reply yet (target: 15 min)
        Message(
            case_id=theirs.id or 0,
            direction=Direction.INBOUND,
            channel="telegram",
            author=Author.CUSTOMER,
            text="Ау?",
            created_at=utcnow() - timedelta(minutes=30),
        )
    )
    await db_session.commit()
    past = (utcnow() - timedelta(hours=1)).isoformat()
    promise = {"text": "Вернём деньги за сыр", "due_at": past}
    await client.post(f"/v1/cases/{theirs.id}/promises", headers=users.operator2, json=promise)
    body = {"case_id": theirs.id, "issue_type": "damaged_item", "affected_amount": 5000}
    pending = (await client.post("/v1/compensations", headers=users.operator2, json=body)).json()
    assert pending["status"] == "pending_approval"
    telegram.fail = True
    sent = {"text": "Мы проверяем"}
    await client.post(f"/v1/cases/{theirs.id}/messages", headers=users.operator2, json=sent)

    en = {"Accept-Language": "en"}
    sup = (await client.get("/console/fragments/alerts", headers={**users.supervisor, **en})).text
    assert 'id="alert-count" class="warn">3<' in sup
    assert "Вернём деньги за сыр" in sup and "Waiting for approval" in sup
    assert f'data-action="approve" data-comp-id="{pending["id"]}"' in sup
    assert "Failed deliveries" in sup and "bot was blocked" in sup
    assert "Waiting for a reply" not in sup  # the operator replied after the customer's message
    ivan = (await client.get("/console/fragments/alerts", headers={**users.operator2, **en})).text
    assert "Вернём деньги за сыр" in ivan and 'data-action="approve"' not in ivan
    assert "bot was blocked" not in ivan  # failed deliveries: supervisors only
    olga = (await client.get("/console/fragments/alerts", headers={**users.operator, **en})).text
    assert "Nothing needs attention." in olga and "сыр" not in olga.lower()


async def test_a_customer_waiting_past_the_reply_target_is_an_sla_breach(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Где мой заказ?", telegram_id="81")
    db_session.add(
        Message(
            case_id=case.id or 0,
            direction=Direction.INBOUND,
            channel="telegram",
            author=Author.CUSTOMER,
            text="Вы тут?",
            created_at=utcnow() - timedelta(minutes=40),
        )
    )
    await db_session.commit()
    ru = {**users.operator, "Accept-Language": "ru"}
    panel = (await client.get("/console/fragments/alerts", headers=ru)).text
    assert "Ждут ответа" in panel and "ждёт 40 мин" in panel and f">#{case.id}</a>" in panel
    await client.post(f"/v1/cases/{case.id}/messages", headers=users.operator, json={"text": "Да"})
    after = (await client.get("/console/fragments/alerts", headers=ru)).text
    assert "Ждут ответа" not in after and "Всё в порядке." in after


def test_every_text_of_the_console_is_in_its_catalogue_and_translated() -> None:
    """What the templates and the script's messages say is extracted by Babel as the catalogue's
    ``babel.cfg`` says, and each one has a Russian translation with the same fields."""
    console = Path(templating.__file__).parent
    sources = [(console / "__init__.py", "python")] + [
        (path, "jinja2")
        for path in [console / "templates" / "console.html", *console.glob("templates/_*.html")]
    ]
    said = set()
    for path, method in sources:
        with path.open("rb") as f:
            for _line, message, _comments, _context in extract(method, f):
                said.add(message if isinstance(message, str) else message[0])
    with (console / "locales" / "ru" / "LC_MESSAGES" / "console.po").open("rb") as f:
        russian = {str(m.id): str(m.string) for m in read_po(f) if m.id and not m.fuzzy}
    assert len(said) > 100 and "Take case" in said and "Reply sent" in said
    assert said - set(russian) == set(), "run pybabel extract and update (docs/console.md)"
    fields = re.compile(r"%\(\w+\)s|\{\w+\}")
    for message_id in said:
        assert russian[message_id], message_id
        assert sorted(fields.findall(russian[message_id])) == sorted(fields.findall(message_id))
