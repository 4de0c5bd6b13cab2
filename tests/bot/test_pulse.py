"""The CSAT/CES pulse end to end: "Helped" resolves the case and records a pulse, the worker sends
it once through the real TelegramOutbound, the customer answers with buttons and a comment, and
a low score opens a recovery case for a person. Plus the `cxc worker` command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from fakes import LoopbackBotApi
from harness import Harness
from sqlmodel import col, select

from bot.keyboards import PulseCallback
from core.config import Settings
from core.desk import operators
from core.models import Case, CaseStatus, Message, Owner, Pulse, PulseStatus
from core.models.base import utcnow
from core.platform import auth
from core.worker import run_worker_once
from worker import run_worker

ROOT = Path(__file__).resolve().parents[2]


def _worker_settings(harness: Harness) -> Settings:
    return harness.settings.model_copy(update={"pulse_delay_s": 0.0, "pulse_sample_rate": 1.0})


def _data(pulse: Pulse, question: str, value: int) -> str:
    """A pulse button's data: what core.feedback builds is what the bot's filter parses."""
    assert pulse.id is not None
    return PulseCallback(pulse_id=pulse.id, question=question, value=value).pack()


async def _pulse(harness: Harness) -> Pulse:
    async with harness.sessions() as s:
        [pulse] = (await s.exec(select(Pulse))).all()
    return pulse


async def _resolved_by_helped(harness: Harness) -> Pulse:
    """Ask a question, tap Helped, run the worker once: the CSAT question goes out."""
    await harness.say("How long does delivery take?")
    helped = dict(harness.api.buttons())["Helped"]
    await harness.tap(helped)
    assert (await harness.case()).status == CaseStatus.RESOLVED
    pulse = await _pulse(harness)
    assert pulse.status == PulseStatus.NEW  # recorded at resolution; the worker decides
    done = await run_worker_once(
        harness.sessions,
        settings=_worker_settings(harness),
        outbound={"telegram": harness.outbound},
    )
    assert (done.decided, done.sent, done.failed) == (1, 1, 0)
    return await _pulse(harness)


async def test_helped_pulse_buttons_comment_and_recovery(harness: Harness) -> None:
    pulse = await _resolved_by_helped(harness)
    assert pulse.status == PulseStatus.SENT and pulse.sent_at is not None
    assert len(harness.api.sent) == 2  # the answer, then the pulse
    sent = harness.api.sent[-1]
    assert sent["chat_id"] == str(harness.user["id"])
    assert sent["text"].startswith("How satisfied are you")
    assert harness.api.buttons() == [(str(v), _data(pulse, "csat", v)) for v in range(1, 6)]

    await harness.tap(_data(pulse, "csat", 2))
    assert harness.api.answered[-1].get("text") is None  # acknowledged without a toast
    [edit] = [c.params for c in harness.api.calls if c.method == "editMessageReplyMarkup"]
    assert (edit["message_id"], edit.get("reply_markup")) == ("999", None)  # no second tap
    assert harness.api.sent[-1]["text"].startswith("How easy was it")
    assert harness.api.buttons() == [(str(v), _data(pulse, "ces", v)) for v in range(1, 8)]

    await harness.tap(_data(pulse, "ces", 3))
    assert harness.api.sent[-1]["text"].startswith("Thank you! Anything to add?")
    assert harness.api.buttons() == [("Skip", _data(pulse, "skip", 0))]

    before = len(harness.api.sent)
    await harness.say("The courier was rude to me")
    assert len(harness.api.sent) == before + 1  # the thanks only: no KB answer, no escalation
    assert harness.api.sent[-1]["text"] == "Thank you for your feedback!"
    assert harness.api.sent[-1].get("reply_markup") is None

    pulse = await _pulse(harness)
    assert (pulse.status, pulse.csat, pulse.ces) == (PulseStatus.ANSWERED, 2, 3)
    assert pulse.comment == "The courier was rude to me"
    async with harness.sessions() as s:
        stored = (await s.exec(select(Message).where(col(Message.text).contains("rude")))).all()
        assert pulse.recovery_case_id is not None
        recovery = await s.get(Case, pulse.recovery_case_id)
    assert recovery is not None
    assert (recovery.owner, recovery.status) == (Owner.HUMAN, CaseStatus.OPEN)
    assert recovery.topic is not None and recovery.topic.startswith("recovery")
    # the comment reached the recovery case as a note, never the conversation or the KB
    assert [m.case_id for m in stored] == [recovery.id]
    assert stored[0].text == "Customer comment: The courier was rude to me"

    again = await run_worker_once(
        harness.sessions,
        settings=_worker_settings(harness),
        outbound={"telegram": harness.outbound},
    )
    assert again.sent == 0 and len(harness.api.sent) == before + 1  # never sent twice


async def test_skip_ends_the_pulse_and_later_text_goes_to_the_kb(harness: Harness) -> None:
    pulse = await _resolved_by_helped(harness)
    await harness.tap(_data(pulse, "csat", 5))
    await harness.tap(_data(pulse, "ces", 7))
    await harness.tap(_data(pulse, "skip", 0))
    assert harness.api.sent[-1]["text"] == "Thank you for your feedback!"
    pulse = await _pulse(harness)
    assert (pulse.csat, pulse.ces, pulse.comment, pulse.recovery_case_id) == (5, 7, "", None)

    await harness.say("Can I pay by card?")
    assert harness.api.sent[-1]["text"].startswith("We accept Visa")  # a KB answer again


async def test_pulse_button_of_another_customer_changes_nothing(harness: Harness) -> None:
    pulse = await _resolved_by_helped(harness)
    owner = harness.user
    harness.user = harness.updates.user(999, first_name="Mallory")
    await harness.say("Hello")  # a known customer on Telegram, but not the pulse's
    sent = len(harness.api.sent)
    await harness.tap(_data(pulse, "csat", 1))
    assert harness.api.answered[-1]["text"] == "This button is no longer active."
    assert len(harness.api.sent) == sent
    after = await _pulse(harness)
    assert (after.status, after.csat, after.recovery_case_id) == (PulseStatus.SENT, None, None)

    harness.user = owner
    await harness.tap("pulse:not:a:number")
    assert harness.api.answered[-1]["text"] == "This button is no longer active."


async def test_a_pulse_answer_stands_when_its_buttons_cannot_be_removed(
    harness: Harness,
) -> None:
    pulse = await _resolved_by_helped(harness)
    harness.api.fail_next(
        "editMessageReplyMarkup", status=400, description="Bad Request: message can't be edited"
    )
    await harness.tap(_data(pulse, "csat", 4))
    assert harness.api.sent[-1]["text"].startswith("How easy was it")
    assert (await _pulse(harness)).csat == 4


async def test_expired_pulse_button_is_answered_politely(harness: Harness) -> None:
    pulse = await _resolved_by_helped(harness)
    async with harness.sessions() as s:
        row = await s.get(Pulse, pulse.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
        s.add(row)
        await s.commit()
    sent = len(harness.api.sent)
    await harness.tap(_data(pulse, "csat", 4))
    assert harness.api.answered[-1]["text"] == "This survey has closed. Thank you all the same!"
    assert len(harness.api.sent) == sent
    assert (await _pulse(harness)).csat is None


async def test_worker_loop_sends_the_pulse_over_http_once(harness: Harness) -> None:
    """worker.run_worker (what `cxc worker` runs) against a loopback Bot API server."""
    await harness.say("Can I pay by card?")
    await harness.tap(dict(harness.api.buttons())["Helped"])
    api = LoopbackBotApi()
    await api.start()
    settings = _worker_settings(harness).model_copy(
        update={"telegram_api_url": api.url, "worker_interval_s": 0.05}
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop=stop))
    try:
        for _ in range(200):
            if api.sent or task.done():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a few more passes: nothing else goes out
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await api.stop()
    [sent] = api.sent
    assert sent["chat_id"] == str(harness.user["id"])
    assert sent["text"].startswith("How satisfied are you")
    assert (await _pulse(harness)).status == PulseStatus.SENT


def _cxc(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CXC_DATA_DIR": str(tmp_path / "data"), "CXC_ENV": "test"}
    for key in ("CXC_TELEGRAM_TOKEN", "CXC_DATABASE_URL"):
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_worker_command_help_and_missing_token(tmp_path: Path) -> None:
    shown = _cxc(tmp_path, "worker", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "pulses" in shown.stdout
    missing = _cxc(tmp_path, "worker")
    assert missing.returncode == 2, missing.stderr
    assert "CXC_TELEGRAM_TOKEN is not set" in missing.stderr
    assert "Traceback" not in missing.stderr


async def test_a_bot_answer_and_a_persons_resolution_the_same_day_each_get_a_pulse(
    harness: Harness,
) -> None:
    first = await _resolved_by_helped(harness)  # self-service: its pulse went out
    await harness.say("/human")
    case = await harness.case()
    assert case.id is not None and case.id != first.case_id  # a second case
    async with harness.sessions() as s:
        user, _ = await auth.create_user(s, name="olga", role="operator")
        await operators.resolve_case(
            s, case_id=case.id, user=user, resolution="Called", resolution_code="info"
        )
    done = await run_worker_once(
        harness.sessions,
        settings=_worker_settings(harness),
        outbound={"telegram": harness.outbound},
    )
    assert (done.decided, done.sent) == (1, 1)  # the cooldown did not swallow the person's one
    pulses = [m["text"] for m in harness.api.sent if m["text"].startswith("How satisfied")]
    assert len(pulses) == 2
