"""The supervisor dashboard in a real browser shows the contact reasons and the recovery of
unhappy customers, beside the summary (the hand-computed report fixture); a figure opens the
list of its cases, a channel without answers says "no data", and a supervisor starts retention
actions from the churn list and records how they ended."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import report_fixture as fx

from core import db
from core.config import Settings
from core.models import Customer, LlmCall, Pulse, PulseKind, PulseStatus
from core.models.base import utcnow
from core.platform import auth
from tests.e2e.shots import shot
from tests.e2e.test_console import _free_port, browser  # noqa: F401  (the browser fixture)


async def _seed(url: str) -> str:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as s:
        await fx.build(s)
        await _at_risk(s)
        s.add(
            LlmCall(
                model="gpt-x",
                purpose="answer",
                outcome="ok",
                ms=800,
                prompt_tokens=1200,
                completion_tokens=300,
            )
        )
        await s.commit()
        _user, token = await auth.create_user(s, name="sveta", role="supervisor")
    await engine.dispose()
    return token


async def _at_risk(session: Any) -> None:
    """Dmitri gave three NPS detractor answers yesterday: 9 churn points, the high band."""
    customer = Customer(name="Dmitri", language="en")
    session.add(customer)
    await session.flush()
    yesterday = utcnow() - timedelta(days=1)
    for i in range(3):
        session.add(
            Pulse(
                customer_id=customer.id or 0,
                channel="telegram",
                kind=PulseKind.NPS,
                status=PulseStatus.ANSWERED,
                due_at=yesterday,
                sent_at=yesterday,
                answered_at=yesterday,
                nps=1,
                token=f"dmitri-{i}",
            )
        )
    await session.commit()


@pytest.fixture
def reports_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    import uvicorn

    from copilot.main import create_app
    from knowledge.retriever import build_knowledge

    url = f"sqlite+aiosqlite:///{tmp_path / 'reports.db'}"
    db.upgrade(url)
    token = asyncio.run(_seed(url))
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=url,
        llm_model="gpt-x",
        llm_price_in=0.5,
        llm_price_out=2.0,
        _env_file=None,
    )
    with build_knowledge(settings) as kb:
        app = create_app(settings, retriever=kb)
        port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        srv = uvicorn.Server(config)
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.started, "uvicorn did not start"
        yield {"base": f"http://127.0.0.1:{port}", "token": token}
        srv.should_exit = True
        thread.join(timeout=10)


def test_the_dashboard_shows_reasons_and_recovery(
    reports_server: dict[str, Any],
    browser: Any,  # noqa: F811
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(reports_server["base"] + "/console")
    browser.find_element(By.ID, "token").send_keys(reports_server["token"])
    browser.find_element(By.ID, "login-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "whoami"), "sveta (supervisor)"))
    browser.get(reports_server["base"] + "/console/reports")
    wait.until(ec.text_to_be_present_in_element((By.ID, "reasons"), "delivery"))
    first_response = browser.find_element(By.CSS_SELECTOR, ".kpi[data-key='frt_p50_s']")
    assert first_response.find_element(By.TAG_NAME, "span").text == "First response, median"
    assert "first answer" in first_response.get_attribute("title")
    assert "frt_p50_s" not in browser.find_element(By.ID, "kpis").text  # no raw keys
    rows = browser.find_elements(By.CSS_SELECTOR, "#reasons tbody tr")
    first = [td.text for td in rows[0].find_elements(By.TAG_NAME, "td")]
    assert first[0] == "delivery" and first[1] == "3"  # c1, c2 and c5 (no window set)
    wait.until(ec.text_to_be_present_in_element((By.ID, "recovery"), "opened"))
    assert "Why:" in browser.find_element(By.ID, "recovery-detail").text
    wait.until(ec.text_to_be_present_in_element((By.ID, "llm-rows"), "gpt-x"))
    cost = browser.find_element(By.CSS_SELECTOR, ".kpi[data-key='llm_cost'] b").text
    assert cost == "1.20 USD"  # 1.2k prompt tokens at 0.5 and 0.3k completion tokens at 2.0
    shot(browser, "dashboard")


def _log_in(driver: Any, server: dict[str, Any]) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    driver.get(server["base"] + "/console")
    driver.find_element(By.ID, "token").send_keys(server["token"])
    driver.find_element(By.ID, "login-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "whoami"), "sveta (supervisor)"))
    driver.get(server["base"] + "/console/reports")
    wait.until(ec.text_to_be_present_in_element((By.ID, "reasons"), "delivery"))
    return wait


def test_drill_down_no_data_and_retention_actions(
    reports_server: dict[str, Any],
    browser: Any,  # noqa: F811
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    wait = _log_in(browser, reports_server)
    # the To date is the last day counted: c8, opened 03-14 23:00, is in "1 to 14 March"
    browser.execute_script(
        "document.querySelector('[name=from]').value = '2026-03-01';"
        "document.querySelector('[name=to]').value = '2026-03-14';"
    )
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    opened = (By.CSS_SELECTOR, ".kpi[data-key='cases_opened'] b")
    wait.until(lambda b: b.find_element(*opened).text != str(fx.ALL_TIME["cases_opened"]))
    assert browser.find_element(*opened).text == str(fx.EXPECTED["cases_opened"])
    assert "No data: email CES" in browser.find_element(By.ID, "chart-sat").text
    escalations = browser.find_element(By.CSS_SELECTOR, ".kpi[data-key='escalations']")
    assert "(count)" in escalations.get_attribute("title")
    escalations.click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "drill-title"), "Escalations: 3 cases"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#drill-cases tbody tr")) == 3
    delivery = browser.find_element(By.CSS_SELECTOR, "#reasons tbody tr td:nth-child(2) a")
    delivery.click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "drill-title"), "Cases: delivery: 3"))
    channels = browser.find_element(By.ID, "sat-channels").text
    assert "email 1 1 no data" in channels

    # back to the default view: the retention actions below are started today
    browser.execute_script(
        "for (const i of document.querySelectorAll('#filters input')) i.value = '';"
    )
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait.until(lambda b: b.find_element(*opened).text == str(fx.ALL_TIME["cases_opened"]))
    # every section is drawn again (the churn list last): wait for the whole load
    wait.until(lambda b: b.find_element(By.ID, "reports").get_attribute("aria-busy") == "false")
    churn = browser.find_element(By.ID, "churn")
    dmitri = churn.find_element(By.XPATH, ".//tr[td[1]='Dmitri']")
    assert [td.text for td in dmitri.find_elements(By.TAG_NAME, "td")[1:3]] == ["9", "high"]
    dmitri.find_element(By.CSS_SELECTOR, "button.start").click()  # a call task
    wait.until(ec.text_to_be_present_in_element((By.ID, "churn"), "Call task: pending"))
    for outcome in ("contacted", "accepted"):
        row = browser.find_element(By.XPATH, "//table[@id='churn']//tr[td[1]='Dmitri']")
        row.find_element(By.XPATH, f".//button[text()='{outcome}']").click()
        if outcome == "contacted":
            wait.until(ec.text_to_be_present_in_element((By.ID, "churn"), "Call task: contacted"))
    wait.until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#retention tbody tr"), "high 1 0 0 1 0")
    )
    row = browser.find_element(By.XPATH, "//table[@id='churn']//tr[td[1]='A']")
    Select(row.find_element(By.TAG_NAME, "select")).select_by_value("offer")
    row.find_element(By.CSS_SELECTOR, "input[type=number]").send_keys("500")
    row.find_element(By.CSS_SELECTOR, "button.start").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "churn"), "Offer RUB500: pending"))
    browser.set_window_size(1400, 2300)
    shot(browser, "dashboard-retention")
