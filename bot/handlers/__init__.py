"""Telegram handlers. Routers are built by :func:`build_router` at start-up, never at import."""

from __future__ import annotations

from aiogram import F, Router

from bot.handlers import callbacks, commands, messages


def build_router() -> Router:
    root = Router(name="cxc")
    root.message.filter(F.chat.type == "private")
    root.edited_message.filter(F.chat.type == "private")
    root.include_routers(commands.router(), callbacks.router(), messages.router())
    return root
