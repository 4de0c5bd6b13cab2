"""The web chat page in a real browser: a visitor asks, the bot answers on the page, and a
message sent to the visitor later (as an operator's reply is) appears by polling. Real uvicorn
on a loopback port, real SQLite, real knowledge base, headless Chromium."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select

from core import db
from core.config import Settings
from core.models import ChannelIdentity
from core.platform.pickup import PickupOutbound
from tests.copilot.conftest import FAQ
from tests.e2e.shots import shot
from tests.e2e.test_console import _free_port, browser  # noqa: F401  (the browser fixture)


@pytest.fixture
def chat_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with _serve(tmp_path) as served:
        yield served


@pytest.fixture
def limited_chat_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with _serve(tmp_path, rate_limit_webchat="2/minute") as served:
        yield served


@contextmanager
def _serve(tmp_path: Path, **values: Any) -> Iterator[dict[str, Any]]:
    import uvicorn

    from copilot.main import create_app
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources

    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    db.upgrade(url)
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=url,
        webchat_secret=SecretStr("a-long-web-chat-secret"),
        _env_file=None,
        **values,
    )
    with build_knowledge(settings) as kb:
        kb.ingest_sync(load_sources([FAQ]))
        app = create_app(settings, retriever=kb)
        port = _free_port()
        srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.started, "uvicorn did not start"
        yield {"base": f"http://127.0.0.1:{port}", "url": url}
        srv.should_exit = True
        thread.join(timeout=10)


async def _send_later(url: str, text: str) -> None:
    """What the API does for an operator's reply on a web case: a pending delivery."""
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    async with sessions() as s:
        identity = (
            await s.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "web"))
        ).one()
    await PickupOutbound(sessions).send(identity.external_id, text)
    await engine.dispose()


def test_a_visitor_chats_on_the_page(chat_server: dict[str, Any], browser: Any) -> None:  # noqa: F811
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(chat_server["base"] + "/chat")
    browser.find_element(By.ID, "text").send_keys("How do I get a refund?")
    browser.find_element(By.ID, "send").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "3 business days"))

    asyncio.run(_send_later(chat_server["url"], "An operator here: your refund is on its way."))
    wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "your refund is on its way"))
    texts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#log .msg")]
    assert texts[0] == "How do I get a refund?" and texts.count(texts[-1]) == 1

    # the widget a shop adds to its pages opens the same chat in a frame
    shop = Path(chat_server["url"].split("///")[1]).with_name("shop.html")
    widget = chat_server["base"] + "/console/static/chat-widget.js"
    shop.write_text(f'<html><body><h1>Shop</h1><script src="{widget}"></script></body></html>')
    browser.get(shop.as_uri())
    wait.until(ec.element_to_be_clickable((By.ID, "cxc-chat-button"))).click()
    frame = wait.until(ec.presence_of_element_located((By.ID, "cxc-chat-frame")))
    assert frame.get_attribute("src") == chat_server["base"] + "/chat"
    browser.switch_to.frame(frame)
    wait.until(ec.presence_of_element_located((By.ID, "chat-form")))
    browser.switch_to.default_content()
    shot(browser, "webchat-widget")


def test_a_message_over_the_limit_shows_as_not_sent_and_the_visitor_is_told_once(
    limited_chat_server: dict[str, Any],
    browser: Any,  # noqa: F811
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(limited_chat_server["base"] + "/chat")
    text = browser.find_element(By.ID, "text")

    def send(words: str, bubbles: int) -> None:
        text.clear()
        text.send_keys(words)
        browser.find_element(By.ID, "send").click()
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#log .msg")) >= bubbles)

    send("How do I get a refund?", 2)
    wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "3 business days"))
    send("Hello", 4)
    send("One too many", 6)  # the message, then the notice
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#log .msg.not-sent"))
    assert "You are writing faster than I can read" in browser.find_element(By.ID, "log").text
    assert text.get_attribute("value") == "One too many"  # back in the input, to send again
    send("And another", 7)  # not sent either; the notice is not repeated
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#log .msg.not-sent")) == 2)
    log = browser.find_element(By.ID, "log").text
    assert log.count("You are writing faster") == 1
    refused = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#log .msg.not-sent")]
    assert [t.rstrip(" ⚠") for t in refused] == ["One too many", "And another"]
    shot(browser, "webchat-not-sent")
