"""`cxc worker` as its own process, configured only by CXC_SMTP_* environment variables, sends
an operator reply the API queued on an e-mail case to a real SMTP server, once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import db
from core.cases import lifecycle
from core.desk import operators
from core.models import ChannelIdentity, Customer
from core.platform import auth
from tests.smtp_server import smtp_server

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


async def _queue_reply(url: str) -> None:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as session:
        customer = Customer(name="Iris", language="en")
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        session.add(
            ChannelIdentity(customer_id=customer.id, channel="email", external_id="iris@x.io")
        )
        await session.commit()
        case = await lifecycle.open_case(session, customer_id=customer.id, channel="email")
        assert case.id is not None
        user, _ = await auth.create_user(session, name="olga", role="operator")
        await operators.reply(
            session, case_id=case.id, user=user, text="Your parcel left.", queued=("email",)
        )
    await engine.dispose()


def test_cxc_worker_sends_a_queued_email_reply(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite+aiosqlite:///{(data / 'cxc.db').resolve()}"
    db.upgrade(url)
    asyncio.run(_queue_reply(url))
    with smtp_server() as mailbox:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CXC_")},
            "CXC_ENV": "test",
            "CXC_DATA_DIR": str(data),
            "CXC_SMTP_HOST": "127.0.0.1",
            "CXC_SMTP_PORT": str(mailbox.port),
            "CXC_SMTP_TLS": "none",
            "CXC_SMTP_FROM": "help@shop.example",
            "CXC_WORKER_INTERVAL_S": "0.2",
        }
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "worker"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 90
            while not mailbox.received and worker.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)  # a few more passes: nothing goes out twice
        finally:
            worker.terminate()
            _, log = worker.communicate(timeout=30)
    assert worker.returncode == 0, log[-2000:]
    [mail] = mailbox.received
    assert mail["To"] == "iris@x.io" and mail["From"] == "help@shop.example"
    assert mail.get_content().strip() == "Your parcel left."
