"""The web chat at /chat: a page (a small widget a site can open in a frame or a window) and
the JSON it talks to. No login: the visitor's signed token (``X-Chat-Token``) is the
credential. A message gets the bot's reply at once; operator replies and pulses are fetched by
polling ``GET /chat/messages?after=<cursor>``. Off (404) unless ``CXC_WEBCHAT_SECRET`` is set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from copilot.contract import limited_by
from copilot.deps import RetrieverDep, SessionDep, SettingsDep, WebchatLimiterDep
from copilot.rate_limit import per_address
from core.config import Settings
from core.conversation import webchat
from core.conversation.replies import Reply
from core.conversation.turn import Conversation
from core.conversation.wording import render_reply

templates = Jinja2Templates(directory=str(Path(__file__).parents[1] / "console" / "templates"))
router = APIRouter(prefix="/chat", tags=["web chat"])
Token = Annotated[str, Header(alias="X-Chat-Token", min_length=3, max_length=100)]


def require_chat(settings: SettingsDep) -> Settings:
    if settings.webchat_secret is None:
        raise HTTPException(404, "the web chat is off")
    return settings


ChatSettings = Annotated[Settings, Depends(require_chat)]


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)
    language: str | None = Field(default=None, max_length=16)


class PickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: int = Field(ge=1, le=2**31 - 1)
    index: int = Field(ge=0, le=10)
    language: str | None = Field(default=None, max_length=16)


class BotReply(BaseModel):
    message_id: int | None
    kind: str
    text: str
    choices: list[str] = Field(description="Questions to pick from (POST /chat/pick).")

    @classmethod
    def of(cls, reply: Reply) -> BotReply:
        choices = [c.question for c in reply.candidates]
        return cls(
            message_id=reply.message_id, kind=str(reply.kind), text=reply.text, choices=choices
        )


class News(BaseModel):
    id: int
    text: str


def _conversation(retriever: RetrieverDep, settings: ChatSettings) -> Conversation:
    return Conversation(retriever=retriever, settings=settings, render=render_reply)


ConversationDep = Annotated[Conversation, Depends(_conversation)]


@router.get("", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, _settings: ChatSettings) -> HTMLResponse:
    return templates.TemplateResponse(request, "chat.html", {})


@router.post(
    "/session",
    dependencies=[Depends(per_address)],
    openapi_extra=limited_by("from this client address"),
)
async def start(settings: ChatSettings) -> dict[str, str]:
    """A new visitor: their signed token, to send as ``X-Chat-Token`` from now on. Counted per
    client address (``CXC_RATE_LIMIT_ASK``): new tokens are no way round the visitor's limit."""
    return {"token": webchat.new_token(settings)}


PER_VISITOR = limited_by("from this visitor: the message is not taken; send it again later")


@router.post("/messages", response_model=BotReply, openapi_extra=PER_VISITOR)
async def say(
    body: ChatIn,
    token: Token,
    session: SessionDep,
    conversation: ConversationDep,
    limiter: WebchatLimiterDep,
) -> BotReply:
    """The visitor's message and the bot's reply (empty text: a person will answer). Over the
    visitor's limit: 429, the message not taken, ``detail`` says how long to wait."""
    reply = await webchat.say(
        session, conversation, token=token, text=body.text, language=body.language, limiter=limiter
    )
    return BotReply.of(reply)


@router.post("/pick", response_model=BotReply, openapi_extra=PER_VISITOR)
async def pick(
    body: PickIn,
    token: Token,
    session: SessionDep,
    conversation: ConversationDep,
    limiter: WebchatLimiterDep,
) -> BotReply:
    """The visitor picked one of the choices of the bot's message ``message_id``."""
    reply = await webchat.pick(
        session,
        conversation,
        token=token,
        message_id=body.message_id,
        index=body.index,
        language=body.language,
        limiter=limiter,
    )
    return BotReply.of(reply)


@router.get("/messages", response_model=list[News])
async def news(
    token: Token,
    session: SessionDep,
    settings: ChatSettings,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> list[News]:
    """Messages sent to the visitor after the cursor ``after`` (the last id the page showed)."""
    rows = await webchat.news(session, token=token, settings=settings, after=after)
    return [News(id=r.id or 0, text=r.text) for r in rows]
