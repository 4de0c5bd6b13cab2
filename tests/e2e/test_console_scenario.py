"""The operator's signature scenario in headless Chromium, with the console in Russian: a
customer writes that an item is missing; the case appears in the live queue by itself; the
operator takes it and offers the compensation, which is above her limit and waits; the
supervisor sees it among the alerts and approves it; the operator issues it and sees the promo
code, sends the draft, records a promise, and resolves the case with its contact reason; the
worker sends the customer the pulse in Russian. And, in English, an offer for an issue type and
an amount the operator gives, rejected by the supervisor, and the case handed back to the bot.
Real uvicorn, SQLite, knowledge base; the Telegram Bot API is the recording fake."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from core import db
from core.config import Settings
from core.models import Author, Case, ChannelIdentity, Customer, Direction, Message, Owner, Pulse
from core.platform import auth
from core.worker import run_worker_once
from tests.copilot.conftest import FAQ, RecordingTelegram
from tests.e2e.shots import shot
from tests.e2e.test_console import CHROMIUM, _free_port, browser

__all__ = ["browser"]  # the Chromium fixture
pytestmark = pytest.mark.slow
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed", allow_module_level=True)

ORDER = {"id": "A-7", "total": 2000, "items": [{"name": "Молоко", "price": 1200}]}


async def _users(url: str) -> dict[str, str]:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as s:
        _o, olga = await auth.create_user(s, name="olga", role="operator", compensation_limit=1000)
        _s, sveta = await auth.create_user(s, name="sveta", role="supervisor")
    await engine.dispose()
    return {"olga": olga, "sveta": sveta}


async def _customer_writes(url: str) -> int:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as s:
        customer = Customer(name="Анна", language="ru", attributes={"orders": [ORDER]})
        s.add(customer)
        await s.flush()
        s.add(ChannelIdentity(customer_id=customer.id or 0, channel="telegram", external_id="555"))
        case = Case(customer_id=customer.id or 0, origin_channel="telegram", owner=Owner.HUMAN)
        s.add(case)
        await s.flush()
        text = "В заказе не хватает молока"
        s.add(
            Message(
                case_id=case.id or 0,
                direction=Direction.INBOUND,
                channel="telegram",
                author=Author.CUSTOMER,
                text=text,
            )
        )
        await s.commit()
        case_id = case.id or 0
    await engine.dispose()
    return case_id


async def _pulse(url: str, settings: Settings, telegram: RecordingTelegram) -> Pulse:
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    worker = settings.model_copy(update={"pulse_delay_s": 0.0, "pulse_sample_rate": 1.0})
    await run_worker_once(sessions, settings=worker, outbound={"telegram": telegram})
    async with sessions() as s:
        [pulse] = (await s.exec(select(Pulse))).all()
    await engine.dispose()
    return pulse


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    import uvicorn

    from copilot.main import create_app
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources

    url = f"sqlite+aiosqlite:///{tmp_path / 'scenario.db'}"
    db.upgrade(url)
    tokens = asyncio.run(_users(url))
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=url,
        console_refresh_s=1.0,
        _env_file=None,
    )
    with build_knowledge(settings) as kb:
        kb.ingest_sync(load_sources([FAQ]))
        telegram = RecordingTelegram()
        app = create_app(settings, retriever=kb, outbound={"telegram": telegram})
        port = _free_port()
        srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.started, "uvicorn did not start"
        yield {
            "base": f"http://127.0.0.1:{port}",
            "tokens": tokens,
            "telegram": telegram,
            "url": url,
            "settings": settings,
        }
        srv.should_exit = True
        thread.join(timeout=10)


def test_missing_item_offer_approval_issue_reply_resolve_pulse(
    server: dict[str, Any], browser: Any
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))

    def login(name: str) -> None:
        browser.get(server["base"] + "/console?lang=ru")
        field = wait.until(ec.visibility_of_element_located((By.ID, "token")))
        field.clear()
        field.send_keys(server["tokens"][name])
        browser.find_element(By.ID, "login-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "whoami"), name))

    def click(css: str) -> None:
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def shows(element_id: str, words: str) -> None:
        wait.until(ec.text_to_be_present_in_element((By.ID, element_id), words))

    def text(element_id: str) -> str:
        return str(browser.find_element(By.ID, element_id).text).replace("\xa0", " ")

    login("olga")
    assert browser.find_element(By.ID, "login-button").get_attribute("textContent") == "Войти"
    shows("queue", "Очередь пуста.")
    case_id = asyncio.run(_customer_writes(server["url"]))
    opener = f"[data-action='open-case'][data-case-id='{case_id}']"
    click(opener)  # the queue showed the new case by itself (CXC_CONSOLE_REFRESH_S)
    shows("timeline", "не хватает молока")
    click("#take")
    shows("case-view", "Назначено: olga")
    click("#use-draft")
    draft = browser.find_element(By.ID, "reply-text").get_attribute("value").replace("\xa0", " ")
    items = "промокод на 1 500 ₽ и бесплатную доставку следующего заказа"
    assert draft.startswith("Здравствуйте, Анна!") and items in draft
    assert items in text("offer-items") and "нужно согласование руководителя" in text("offer-items")
    assert text("offer-reason").startswith("В заказе не хватало товара (Молоко, на 1 200 ₽)")

    click("#offer-compensation")  # above olga's limit of 1,000: it waits for a supervisor
    shows("compensations", "ждёт согласования")
    assert items in text("compensations") and "всего на 1 699 ₽" in text("compensations")
    shows("alerts", "Ждут согласования")
    shows("already-offered", "По этому обращению уже предложено: #1")
    assert not browser.find_elements(By.CSS_SELECTOR, "#alerts [data-action='approve']")
    shot(browser, "console-offer-waiting")

    click("#logout")
    login("sveta")
    shows("alert-approvals", "1 699 ₽")
    shot(browser, "console-alerts")
    click("#alert-approvals [data-action='approve']")
    shows("alerts", "Всё в порядке.")

    click("#logout")
    login("olga")
    click(opener)
    shows("compensations", "согласовано")
    click("#compensations [data-action='issue']")
    code = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".promo-code code"))).text
    assert re.fullmatch(r"CX-[0-9A-F]{8}", code) and "выдано" in text("compensations")
    shot(browser, "console-promo-code")

    click("#use-draft")
    reply = browser.find_element(By.ID, "reply-text")
    reply.send_keys(f"\nВаш промокод: {code}")
    sent = reply.get_attribute("value")
    click("#send-reply")
    shows("status", "Ответ отправлен")
    shows("timeline", f"Ваш промокод: {code}")
    assert server["telegram"].sent == [("555", sent)]

    click("#more-actions summary")
    wait.until(ec.visibility_of_element_located((By.ID, "promise-text"))).send_keys(
        "Проверим сборку заказа"
    )
    due = browser.find_element(By.ID, "promise-due")
    browser.execute_script("arguments[0].value = '2030-01-15T12:00';", due)
    click("#make-promise")
    shows("promises", "Проверим сборку заказа")
    Select(browser.find_element(By.ID, "interaction-channel")).select_by_value("phone")
    Select(browser.find_element(By.ID, "interaction-direction")).select_by_value("out")
    browser.find_element(By.ID, "interaction-contact").send_keys("+7 900 123-45-67")
    browser.find_element(By.ID, "interaction-text").send_keys("Позвонила, извинилась")
    click("#record-interaction")
    shows("timeline", "Позвонила, извинилась")
    shows("case-view", "phone: +79001234567")  # the new number joined the customer
    browser.find_element(By.ID, "note-text").send_keys("Постоянный клиент")
    click("#add-note")
    shows("timeline", "Постоянный клиент")

    wait.until(ec.element_to_be_clickable((By.ID, "resolution"))).send_keys("Промокод выдан")
    Select(browser.find_element(By.ID, "contact-reason")).select_by_value("missing_item")
    click("#resolve")
    shows("case-status", "решено")
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "console-resolved")

    pulse = asyncio.run(_pulse(server["url"], server["settings"], server["telegram"]))
    assert pulse.case_id == case_id and pulse.status == "sent"
    chat, question = server["telegram"].sent[-1]
    assert chat == "555" and question.startswith("Насколько вы довольны решением")


def test_an_offer_with_an_amount_rejected_and_the_case_handed_back(
    server: dict[str, Any], browser: Any
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    case_id = asyncio.run(_customer_writes(server["url"]))
    opener = f"[data-action='open-case'][data-case-id='{case_id}']"

    def login(name: str) -> None:
        browser.get(server["base"] + "/console?lang=en")
        field = wait.until(ec.visibility_of_element_located((By.ID, "token")))
        field.clear()
        field.send_keys(server["tokens"][name])
        browser.find_element(By.ID, "login-button").click()
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, opener))).click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "timeline"), "не хватает молока"))

    def click(css: str) -> None:
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    login("olga")
    click("#more-actions summary")
    Select(browser.find_element(By.ID, "offer-issue")).select_by_value("damaged_item")
    browser.find_element(By.ID, "offer-amount").send_keys("900")
    click("#offer-with-amount")  # a refund of 900 and a promo code of 200: above her 1,000
    wait.until(ec.text_to_be_present_in_element((By.ID, "compensations"), "waiting for approval"))
    offered = browser.find_element(By.ID, "compensations").text.replace("\xa0", " ")
    assert "возврат 900 ₽ и промокод на 200 ₽" in offered and "worth 1 100 ₽" in offered

    click("#logout")
    login("sveta")
    click("#compensations [data-action='reject']")
    prompt = wait.until(ec.alert_is_present())
    prompt.send_keys("Возврат только после проверки")
    prompt.accept()
    wait.until(ec.text_to_be_present_in_element((By.ID, "compensations"), "rejected"))
    click("#handback")
    wait.until(ec.text_to_be_present_in_element((By.ID, "case-status"), "with the bot"))
