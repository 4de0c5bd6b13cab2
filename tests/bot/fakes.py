"""A fake Telegram Bot API at the HTTP boundary: an aiogram session that records every call.

It answers with real Bot API JSON (``{"ok": true, "result": ...}``) and runs it through aiogram's
own ``check_response``, so errors (429 with retry_after, 400, 5xx) surface exactly as they do
from api.telegram.org. Network failures raise ``TelegramNetworkError`` like AiohttpSession.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "CX", "username": "cx_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


class FakeBotApi(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self._failures: list[tuple[str, int | None, str, int | None]] = []
        self._ids = itertools.count(500)
        self.outage: int | None = None
        """While set, every sendMessage fails: an HTTP status (502...), or 0 for a refused
        connection."""
        self.latency_s = 0.0
        """How long each sendMessage takes to answer (Telegram is a network away)."""

    # -- what the tests look at --------------------------------------------------------

    @property
    def sent(self) -> list[dict[str, Any]]:
        """sendMessage calls that succeeded (chat_id, text, reply_markup as JSON)."""
        return [c.params for c in self.calls if c.method == "sendMessage" and c.params["_ok"]]

    @property
    def answered(self) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == "answerCallbackQuery"]

    def buttons(self, index: int = -1) -> list[tuple[str, str]]:
        markup = self.sent[index].get("reply_markup") or {"inline_keyboard": []}
        return [
            (b["text"], b.get("callback_data") or b.get("url", ""))
            for row in markup["inline_keyboard"]
            for b in row
        ]

    def fail_next(
        self, method: str, *, status: int | None, description: str, retry_after: int | None = None
    ) -> None:
        """Make the next call of ``method`` fail: an HTTP status, or None for a network error."""
        self._failures.append((method, status, description, retry_after))

    # -- BaseSession -------------------------------------------------------------------

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        name = method.__api_method__
        params = self._params(bot, method)
        if name == "sendMessage" and self.latency_s:
            await asyncio.sleep(self.latency_s)
        failure = next((f for f in self._failures if f[0] == name), None)
        if failure is None and self.outage is not None and name == "sendMessage":
            failure = (name, self.outage or None, "Bad Gateway" if self.outage else "refused", None)
        elif failure is not None:
            self._failures.remove(failure)
        if failure is not None:
            self.calls.append(Call(name, {**params, "_ok": False}))
            _, status, description, retry_after = failure
            if status is None:
                raise TelegramNetworkError(method=method, message=description)
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            return self.check_response(bot, method, status, json.dumps(body)).result  # type: ignore[return-value]
        self.calls.append(Call(name, {**params, "_ok": True}))
        body = {"ok": True, "result": self._result(name, params)}
        response = self.check_response(bot, method, 200, json.dumps(body))
        return response.result  # type: ignore[return-value]

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    def _params(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
        """The form fields the real session would post, with JSON fields decoded."""
        files: dict[str, Any] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared is None:
                continue
            if key in ("reply_markup", "entities"):
                prepared = json.loads(prepared)
            params[key] = prepared
        return params

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "sendMessage":
            chat = str(params["chat_id"])
            chat_json = (
                {"id": int(chat), "type": "private"}
                if chat.lstrip("-").isdigit()
                else {"id": -100777, "type": "channel", "username": chat[1:]}
            )
            return {
                "message_id": next(self._ids),
                "date": 1_700_000_000,
                "chat": chat_json,
                "from": BOT_USER,
                "text": params["text"],
            }
        if name == "getUpdates":
            return []
        return True


class Updates:
    """Builds Update JSON shaped exactly like Telegram's, with increasing update ids."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(10_000)
        self._message_ids = itertools.count(1)

    @staticmethod
    def user(
        user_id: int = 111, *, first_name: str = "Anna", language: str | None = "en"
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language:
            user["language_code"] = language
        return user

    def message(
        self,
        user: dict[str, Any],
        text: str | None = None,
        *,
        update_id: int | None = None,
        kind: str = "message",
        **content: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": 1_700_000_000,
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "from": user,
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if kind == "edited_message":
            message["edit_date"] = 1_700_000_100
        return {"update_id": update_id or next(self._update_ids), kind: message}

    def callback(self, user: dict[str, Any], data: str) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cbq-{next(self._message_ids)}",
                "from": user,
                "chat_instance": "-100200300",
                "data": data,
                "message": {
                    "message_id": 999,
                    "date": 1_700_000_000,
                    "from": BOT_USER,
                    "chat": {"id": user["id"], "type": "private"},
                    "text": "...",
                },
            },
        }


class LoopbackBotApi:
    """A real HTTP server on 127.0.0.1 speaking the Bot API (getMe, getUpdates, sendMessage,
    answerCallbackQuery, deleteWebhook) for a bot process pointed at it by CXC_TELEGRAM_API_URL."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.url = ""
        self._ids = itertools.count(700)
        self._runner: Any = None
        self._new = None

    async def start(self) -> None:
        import asyncio

        from aiohttp import web

        self._new = asyncio.Event()
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def push(self, update: dict[str, Any]) -> None:
        self.pending.append(update)
        assert self._new is not None
        self._new.set()

    async def _handle(self, request: Any) -> Any:
        import asyncio
        import contextlib

        from aiohttp import web

        method = request.match_info["method"]
        form = dict(await request.post())
        self.calls.append(method)
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "getUpdates":
            offset = int(form.get("offset", 0) or 0)
            assert self._new is not None
            if not [u for u in self.pending if u["update_id"] >= offset]:
                self._new.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new.wait(), 0.5)
            result = [u for u in self.pending if u["update_id"] >= offset]
        elif method == "sendMessage":
            self.sent.append(form)
            result = {
                "message_id": next(self._ids),
                "date": 1_700_000_000,
                "from": BOT_USER,
                "chat": {"id": int(form["chat_id"]), "type": "private"},
                "text": form["text"],
            }
        return web.json_response({"ok": True, "result": result})
