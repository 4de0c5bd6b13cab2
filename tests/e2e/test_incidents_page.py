"""The incidents page in a real browser: a bad declaration shows the API's reason and stores
nothing; a good one lists the incident with its progress; pause and the report work."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import db
from core.config import Settings
from core.models import ChannelIdentity, Customer, CustomerOrder
from core.platform import auth
from tests.e2e.test_console import _free_port, browser  # noqa: F401  (the browser fixture)


async def _seed(url: str) -> str:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as s:
        for n in range(2):
            customer = Customer(name=f"C{n}", language="en")
            s.add(customer)
            await s.flush()
            assert customer.id is not None
            s.add(ChannelIdentity(customer_id=customer.id, channel="telegram", external_id=f"6{n}"))
            s.add(
                CustomerOrder(
                    customer_id=customer.id,
                    source="t",
                    external_id=str(n),
                    number=f"N{n}",
                    delivery_region="Cahul",
                )
            )
        await s.commit()
        _user, token = await auth.create_user(s, name="sveta", role="supervisor")
    await engine.dispose()
    return token


@pytest.fixture
def incidents_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    import uvicorn

    from copilot.main import create_app
    from knowledge.retriever import build_knowledge

    url = f"sqlite+aiosqlite:///{tmp_path / 'incidents.db'}"
    db.upgrade(url)
    token = asyncio.run(_seed(url))
    settings = Settings(  # type: ignore[call-arg]
        env="test", data_dir=tmp_path / "data", database_url=url, _env_file=None
    )
    with build_knowledge(settings) as kb:
        srv = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, retriever=kb),
                host="127.0.0.1",
                port=(port := _free_port()),
                log_level="warning",
            )
        )
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.started, "uvicorn did not start"
        yield {"base": f"http://127.0.0.1:{port}", "token": token}
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
def test_a_supervisor_declares_and_pauses_an_incident(
    incidents_server: dict[str, Any],
    browser: Any,  # noqa: F811
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    base = incidents_server["base"]
    browser.get(base + "/console")
    browser.find_element(By.ID, "token").send_keys(incidents_server["token"])
    browser.find_element(By.ID, "login-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "whoami"), "sveta"))
    browser.get(base + "/console/incidents")
    form = wait.until(ec.visibility_of_element_located((By.ID, "declare")))
    form.find_element(By.NAME, "title").send_keys("Cahul courier outage")
    form.find_element(By.NAME, "msg_en").send_keys("Our courier in Cahul is down; sorry.")
    browser.find_element(By.ID, "declare-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "declare-error"), "segment is empty"))
    assert browser.find_elements(By.CSS_SELECTOR, "#list tbody tr") == []

    form.find_element(By.NAME, "region").send_keys("Cahul")
    browser.find_element(By.ID, "declare-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "2 customers affected"))
    row = browser.find_element(By.CSS_SELECTOR, "#list tbody tr")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1:5] == ["Cahul courier outage", "active", "2", "2"]
    row.find_element(By.CSS_SELECTOR, "[data-action='pause']").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "list"), "paused"))
    browser.find_element(By.CSS_SELECTOR, "[data-action='report']").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "report"), "Notified"))
