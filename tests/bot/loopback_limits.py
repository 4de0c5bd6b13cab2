"""A loopback Bot API that enforces Telegram's limits: about 30 messages a second overall and
one a second per chat, answering 429 with ``retry_after`` beyond them; every ``fail_every``-th
send answers 502. It counts what each chat received, to check nothing came twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from typing import Any

from fakes import BOT_USER, LoopbackBotApi


class LimitedBotApi(LoopbackBotApi):
    def __init__(
        self, *, rate_per_s: float = 30.0, fail_every: int = 0, delay_s: float = 0.0
    ) -> None:
        super().__init__()
        self.rate_per_s = rate_per_s
        self.fail_every = fail_every
        self.delay_s = delay_s
        self.received: Counter[str] = Counter()
        self.too_many = 0
        self.failed = 0
        self._recent: deque[float] = deque()
        self._last_in_chat: dict[str, float] = {}
        self._sends = 0

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        if request.match_info["method"] != "sendMessage":
            return await super()._handle(request)
        form = dict(await request.post())
        chat = str(form["chat_id"])
        now = time.monotonic()
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_per_s or now - self._last_in_chat.get(chat, -9) < 1:
            self.too_many += 1
            body = {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
            return web.json_response(body, status=429)
        self._sends += 1
        if self.fail_every and self._sends % self.fail_every == 0:
            self.failed += 1
            body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            return web.json_response(body, status=502)
        self._recent.append(now)
        self._last_in_chat[chat] = now
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.received[chat] += 1
        self.sent.append(form)
        result = {
            "message_id": next(self._ids),
            "date": 1_700_000_000,
            "from": BOT_USER,
            "chat": {"id": int(chat), "type": "private"},
            "text": form["text"],
        }
        return web.json_response({"ok": True, "result": result})
