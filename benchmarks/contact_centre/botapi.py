"""A Telegram Bot API server on loopback for the day's processes (CXC_TELEGRAM_API_URL).

It speaks the Bot API methods the bot and the worker call (getMe, sendMessage,
answerCallbackQuery, editMessageReplyMarkup, deleteWebhook), records every message it accepts,
by chat and in order, and can be taken down: during an outage every call gets
``502 Bad Gateway`` as api.telegram.org's front end answers, or ``429 Too Many Requests`` with
``parameters.retry_after`` as the Bot API documents a flood limit, and is counted as refused.
Every 429 is recorded with its chat and time, and so is every sendMessage call, so that a check
can tell whether the sender waited the ``retry_after`` it was given.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "CX", "username": "cx_day_bot"}


@dataclass
class Sent:
    """One message the bot or the worker got through to a chat."""

    chat_id: int
    text: str
    buttons: list[tuple[str, str]]
    message_id: int
    at: float

    def data(self, prefix: str) -> list[str]:
        """Callback data of the buttons starting with ``prefix``."""
        return [d for _, d in self.buttons if d.startswith(prefix)]

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.text, tuple(self.buttons)


@dataclass
class BotApiRecord:
    sent: dict[int, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    refused: int = 0
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    tries: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    """The time of every sendMessage call, by chat (accepted or refused)."""
    throttled: dict[int, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """(time, retry_after) of every sendMessage answered 429, by chat."""


class DayBotApi:
    def __init__(self) -> None:
        self.record = BotApiRecord()
        self.url = ""
        self.outage: int | None = None
        """None: up; 502: Bad Gateway to every call; 429: Too Many Requests, retry after
        ``retry_after_s``."""
        self.retry_after_s = 5
        self._ids = itertools.count(10_000)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def chat(self, chat_id: int) -> list[Sent]:
        return self.record.sent.get(chat_id, [])

    def total_sent(self) -> int:
        return sum(len(v) for v in self.record.sent.values())

    async def wait_for(self, chat_id: int, *, after: int, within_s: float) -> Sent | None:
        """The first message to ``chat_id`` after the first ``after`` ones, or None in time."""
        deadline = time.monotonic() + within_s
        async with self._changed:
            while len(self.chat(chat_id)) <= after:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    return None
        return self.chat(chat_id)[after]

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = dict(await request.post())
        self.record.calls[method] += 1
        chat = int(str(form["chat_id"])) if method == "sendMessage" else None
        if chat is not None:
            self.record.tries[chat].append(time.monotonic())
        if self.outage is not None:
            return self._refuse(chat)
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "getUpdates":
            result = []
        elif method == "sendMessage":
            result = await self._send(form)
        return web.json_response({"ok": True, "result": result})

    def _refuse(self, chat: int | None) -> web.Response:
        self.record.refused += 1
        if self.outage == 429:
            wait = self.retry_after_s
            if chat is not None:
                self.record.throttled[chat].append((time.monotonic(), float(wait)))
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {wait}",
                "parameters": {"retry_after": wait},
            }
            return web.json_response(body, status=429)
        body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        return web.json_response(body, status=502)

    async def _send(self, form: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(form["chat_id"])
        markup = json.loads(form["reply_markup"]) if form.get("reply_markup") else None
        buttons = [
            (str(b["text"]), str(b.get("callback_data") or b.get("url") or ""))
            for row in (markup or {}).get("inline_keyboard", [])
            for b in row
        ]
        sent = Sent(chat_id, str(form["text"]), buttons, next(self._ids), time.monotonic())
        async with self._changed:
            self.record.sent[chat_id].append(sent)
            self._changed.notify_all()
        return {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private"},
            "text": sent.text,
        }
