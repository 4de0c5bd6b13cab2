"""The supervisor dashboard in a real browser shows the contact reasons and the recovery of
unhappy customers, beside the summary (the hand-computed report fixture)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import report_fixture as fx

from core import db
from core.config import Settings
from core.models import LlmCall
from core.platform import auth
from tests.e2e.shots import shot
from tests.e2e.test_console import _free_port, browser  # noqa: F401  (the browser fixture)


async def _seed(url: str) -> str:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as s:
        await fx.build(s)
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
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30)
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
