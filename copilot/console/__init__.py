"""The operator console at /console: server-rendered Jinja2 pages and HTML fragments, driven
by a small plain-JS file (no build step, nothing fetched from a CDN). The token is kept in the
browser's localStorage and sent as a bearer header, both to the JSON API and to the fragments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from copilot.auth import CurrentUser
from copilot.deps import AssistantDep, SessionDep, SettingsDep
from copilot.operator_deps import CrmDep, OptionalRetrieverDep, RecollectionDep
from copilot.operator_schemas import MAX_ID, case_detail
from copilot.suggestion_schemas import SuggestionsOut
from core import i18n
from core.cases import reasons
from core.desk import operators, suggestions

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["money"] = lambda amount, currency: i18n.money(float(amount), currency, "en")
router = APIRouter(prefix="/console", include_in_schema=False)
CaseIdPath = Annotated[int, PathParam(ge=1, le=MAX_ID)]


@router.get("", response_class=HTMLResponse)
async def page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "console.html", {})


@router.get("/fragments/queue", response_class=HTMLResponse)
async def queue(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    rows = []
    for state in ("open", "pending"):
        rows += await operators.list_cases(session, user=user, status=state, owner="human")
    rows += await operators.list_cases(session, user=user, status="open", owner="bot", limit=20)
    return templates.TemplateResponse(request, "_queue.html", {"cases": rows, "user": user})


@router.get("/fragments/cases/{case_id}", response_class=HTMLResponse)
async def case(
    request: Request,
    case_id: CaseIdPath,
    session: SessionDep,
    user: CurrentUser,
    crm: CrmDep,
    settings: SettingsDep,
) -> HTMLResponse:
    view = case_detail(await operators.case_view(session, case_id=case_id, user=user, crm=crm))
    taxonomy = reasons.for_settings(settings)
    ctx = {"v": view, "user": user, "reasons": taxonomy.reasons}
    return templates.TemplateResponse(request, "_case.html", ctx)


@router.get("/fragments/cases/{case_id}/suggestions", response_class=HTMLResponse)
async def case_suggestions(
    request: Request,
    case_id: CaseIdPath,
    session: SessionDep,
    user: CurrentUser,
    memory: RecollectionDep,
    retriever: OptionalRetrieverDep,
    crm: CrmDep,
    assistant: AssistantDep,
) -> HTMLResponse:
    result = await suggestions.suggest(
        session,
        case_id=case_id,
        user=user,
        retriever=retriever,
        memory=memory,
        crm=crm,
        assistant=assistant,
    )
    return templates.TemplateResponse(
        request, "_suggestions.html", {"s": SuggestionsOut.of(result)}
    )


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
