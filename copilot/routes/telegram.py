"""Telegram's webhook: check the secret header, queue the update, answer 200 at once.

The bot worker (`cxc bot --webhook-worker`) processes the queue; duplicates (Telegram retries)
are recognised from the persisted update_id.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from copilot.deps import SessionDep, SettingsDep
from core.platform.updates import enqueue_update

router = APIRouter(tags=["telegram"])


class TelegramUpdateIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    update_id: int = Field(ge=0, le=2**62)


@router.post("/telegram/webhook")
async def telegram_webhook(
    update: TelegramUpdateIn,
    session: SessionDep,
    settings: SettingsDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> dict[str, Any]:
    """Receive one update from Telegram.

    Registered with setWebhook and secret_token=CXC_TELEGRAM_WEBHOOK_SECRET.
    """
    expected = settings.telegram_webhook_secret
    if expected is None:
        raise HTTPException(404, "the Telegram webhook is not configured")
    if secret is None or not hmac.compare_digest(secret, expected.get_secret_value()):
        raise HTTPException(403, "wrong or missing X-Telegram-Bot-Api-Secret-Token")
    queued = await enqueue_update(
        session, update_id=update.update_id, payload=update.model_dump(mode="json")
    )
    return {"ok": True, "queued": queued}
