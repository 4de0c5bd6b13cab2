"""The operator console at /console: server-rendered Jinja2 pages and HTML fragments in the
operator's language (``templating``), driven by a small plain-JS file (no build step, nothing
fetched from a CDN). The token is kept in the browser's localStorage and sent as a bearer
header, both to the JSON API and to the fragments. Every action calls the JSON API, so the
console does what the API does, through the same use cases."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from copilot.console import fragments
from copilot.console.templating import HERE, ConsoleLanguage, render, templates, texts
from copilot.deps import SettingsDep

__all__ = ["install", "templates"]

router = APIRouter(prefix="/console", include_in_schema=False)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "extract, translate later")
    return message


SCRIPT_TEXTS = (
    N_("Login failed: {error}"),
    N_("Loading suggestions…"),
    N_("Draft copied"),
    N_("Reply sent"),
    N_("Note added"),
    N_("Interaction recorded"),
    N_("Promise recorded"),
    N_("Promise closed"),
    N_("Compensation #{id}: {status}"),
    N_("Handed back to the bot"),
    N_("Case resolved"),
    N_("Delivery queued again"),
    N_("Reason for rejecting (optional)"),
)


@router.get("", response_class=HTMLResponse)
async def page(request: Request, lang: ConsoleLanguage, settings: SettingsDep) -> HTMLResponse:
    ctx = {"texts": texts(lang, SCRIPT_TEXTS), "refresh_s": settings.console_refresh_s}
    return render(request, "console.html", lang, ctx)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(fragments.router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
