"""The operator console in headless Chromium: log in with a token, open a case, use the
suggested draft, offer the compensation, send the reply (through the recording Telegram fake)
and resolve the case. Real uvicorn on a loopback port, real SQLite, real knowledge base."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core import db
from core.config import Settings
from core.models import Case, ChannelIdentity, Customer, Message, Pulse
from core.models.base import utcnow
from core.platform import auth
from tests.copilot.conftest import FAQ, RecordingTelegram
from tests.e2e.shots import shot

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
if not Path(CHROMIUM).exists() and not IN_CI:
    pytest.skip(
        "Debian chromium is not installed (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _seed(url: str) -> tuple[str, int]:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as s:
        _user, token = await auth.create_user(s, name="olga", role="operator")
        order = {"id": "A-7", "total": 2000, "items": [{"name": "Молоко", "price": 1200}]}
        customer = Customer(name="Анна", language="ru", attributes={"orders": [order]})
        s.add(customer)
        await s.flush()
        assert customer.id is not None
        s.add(ChannelIdentity(customer_id=customer.id, channel="telegram", external_id="555"))
        case = Case(customer_id=customer.id, origin_channel="telegram", owner="human")
        s.add(case)
        await s.flush()
        assert case.id is not None
        s.add(
            Message(
                case_id=case.id,
                direction="in",
                channel="telegram",
                author="customer",
                text="В заказе не хватает молока",
            )
        )
        earlier = Case(
            customer_id=customer.id,
            origin_channel="telegram",
            status="resolved",
            topic="late_delivery",
            resolved_at=utcnow() - timedelta(days=20),
        )
        s.add(earlier)
        await s.flush()
        s.add(
            Pulse(
                case_id=earlier.id,
                customer_id=customer.id,
                channel="telegram",
                token="console-e2e",
                status="answered",
                csat=2,
                ces=3,
                comment="Курьер опоздал на два часа",
                answered_at=utcnow() - timedelta(days=19),
            )
        )
        await s.commit()
        case_id = case.id
    await engine.dispose()
    return token, case_id


async def _case(url: str, case_id: int) -> Case:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as s:
        case = await s.get(Case, case_id)
    await engine.dispose()
    assert case is not None
    return case


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    import uvicorn

    from copilot.main import create_app
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources

    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    db.upgrade(url)
    token, case_id = asyncio.run(_seed(url))
    settings = Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=url,  # type: ignore[call-arg]
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
            "token": token,
            "case_id": case_id,
            "telegram": telegram,
            "url": url,
        }
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def test_operator_resolves_a_case_in_the_console(server: dict[str, Any], browser: Any) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    case_id = server["case_id"]
    browser.get(server["base"] + "/console")
    browser.find_element(By.ID, "token").send_keys(server["token"])
    browser.find_element(By.ID, "login-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "whoami"), "olga (operator)"))

    link = wait.until(
        ec.element_to_be_clickable(
            (By.CSS_SELECTOR, f"[data-action='open-case'][data-case-id='{case_id}']")
        )
    )
    link.click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "timeline"), "не хватает молока"))
    feedback = browser.find_element(By.ID, "feedback").text  # the customer's past feedback
    assert "CSAT 2/5" in feedback and "CES 3/7" in feedback and "опоздал на два часа" in feedback
    wait.until(ec.element_to_be_clickable((By.ID, "use-draft"))).click()
    draft = browser.find_element(By.ID, "reply-text").get_attribute("value")
    assert draft.startswith("Здравствуйте, Анна!") and "промокод" in draft

    browser.find_element(By.ID, "offer-compensation").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "compensations"), "approved"))
    offered = browser.find_element(By.ID, "compensations").text.replace("\xa0", " ")
    # the offer reads as the draft reads it: the same items, the same money, in Russian
    items = "промокод на 1 800 ₽ и бесплатную доставку следующего заказа"
    assert items in offered and "1 999 ₽" in offered and items in draft.replace("\xa0", " ")
    assert "RUB" not in offered and ".0" not in offered
    shot(browser, "console-case")

    # the case view is fetched again after the offer: what the operator had typed stays
    assert browser.find_element(By.ID, "reply-text").get_attribute("value") == draft
    browser.find_element(By.ID, "send-reply").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "Reply sent"))
    # The case view is fetched again after a reply; its form fields are new elements then.
    wait.until(ec.text_to_be_present_in_element((By.ID, "timeline"), "Здравствуйте, Анна!"))
    assert server["telegram"].sent == [("555", draft)]

    wait.until(ec.element_to_be_clickable((By.ID, "resolution"))).send_keys("Промокод и доставка")
    Select(browser.find_element(By.ID, "contact-reason")).select_by_value("missing_item")
    browser.find_element(By.ID, "resolve").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "case-status"), "resolved"))
    case = asyncio.run(_case(server["url"], case_id))
    assert case.status == "resolved" and case.resolution == "Промокод и доставка"
    assert case.topic == "missing_item"
