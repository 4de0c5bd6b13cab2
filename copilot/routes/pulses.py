"""The survey page behind the signed, expiring links sent on non-Telegram channels. No login:
the signed token is the credential. GET shows the questions, POST stores the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from copilot.deps import SessionDep, SettingsDep
from core.errors import InvalidInput, InvalidTransition, NotFound
from core.feedback import pulse_answers
from core.feedback.pulse_texts import text
from core.models import Customer, Pulse

templates = Jinja2Templates(directory=str(Path(__file__).parents[1] / "console" / "templates"))
router = APIRouter(prefix="/pulse", include_in_schema=False)
Token = Annotated[str, PathParam(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_\-.]+$")]
Score = Annotated[int | None, Form()]


async def _language(session: SessionDep, pulse: Pulse) -> str:
    customer = await session.get(Customer, pulse.customer_id)
    return (customer.language if customer else None) or "en"


def _page(request: Request, status: int, **ctx: object) -> HTMLResponse:
    return templates.TemplateResponse(request, "pulse.html", ctx, status_code=status)


async def _load(
    request: Request, session: SessionDep, settings: SettingsDep, token: str
) -> Pulse | HTMLResponse:
    try:
        return await pulse_answers.pulse_by_link(session, signed=token, settings=settings)
    except NotFound:
        return _page(request, 404, state="missing", lang="en", t=_texts("en"))
    except InvalidTransition:
        return _page(request, 410, state="expired", lang="en", t=_texts("en"))


@router.get("/{token}", response_class=HTMLResponse)
async def show(
    request: Request, token: Token, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    pulse = await _load(request, session, settings, token)
    if isinstance(pulse, HTMLResponse):
        return pulse
    lang = await _language(session, pulse)
    return _page(request, 200, state="ask", pulse=pulse, lang=lang, t=_texts(lang))


@router.post("/{token}", response_class=HTMLResponse)
async def answer(
    request: Request,
    token: Token,
    session: SessionDep,
    settings: SettingsDep,
    csat: Score = None,
    ces: Score = None,
    nps: Score = None,
    comment: Annotated[str | None, Form(max_length=2000)] = None,
) -> HTMLResponse:
    pulse = await _load(request, session, settings, token)
    if isinstance(pulse, HTMLResponse):
        return pulse
    lang = await _language(session, pulse)
    assert pulse.id is not None
    try:
        await pulse_answers.record_answer(
            session,
            pulse_id=pulse.id,
            settings=settings,
            csat=csat,
            ces=ces,
            nps=nps,
            comment=comment or None,
        )
    except InvalidInput as exc:
        ctx = {"pulse": pulse, "lang": lang, "t": _texts(lang), "error": str(exc)}
        return _page(request, 422, state="ask", **ctx)
    return _page(request, 200, state="thanks", lang=lang, t=_texts(lang))


def _texts(lang: str) -> dict[str, str]:
    keys = ("csat", "ces", "nps", "thanks", "page_title", "page_submit")
    texts = {k: text(lang, k) for k in (*keys, "page_expired", "page_invalid")}
    return {**texts, "comment": text(lang, "comment_web")}
