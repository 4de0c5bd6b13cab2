"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, or refuses with a
chosen reply: the far side of the e-mail channel in tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """What the server received; ``refuse`` (e.g. "451 4.3.0 try later") answers DATA."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: str | None = None
    stall_s: float = 0.0
    """Wait this long before answering DATA (a server that went silent mid-send)."""
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        if self.refuse:
            return self.refuse
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@contextmanager
def smtp_server(refuse: str | None = None) -> Iterator[Mailbox]:
    mailbox = Mailbox(refuse=refuse, port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
