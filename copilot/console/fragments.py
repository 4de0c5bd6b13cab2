"""The console's HTML fragments: the queue, the alerts, a case, its suggestions. Each parses,
calls one use case and renders it in the operator's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from copilot.auth import CurrentUser
from copilot.console.templating import ConsoleLanguage, render
from copilot.deps import AssistantDep, SessionDep, SettingsDep
from copilot.operator_deps import CrmDep, OptionalRetrieverDep, RecollectionDep
from copilot.operator_schemas import MAX_ID, case_detail
from copilot.suggestion_schemas import SuggestionsOut
from core.cases import reasons
from core.desk import alerts, operators, suggestions
from core.platform import auth

router = APIRouter(prefix="/console/fragments", include_in_schema=False)
CaseIdPath = Annotated[int, PathParam(ge=1, le=MAX_ID)]


@router.get("/queue", response_class=HTMLResponse)
async def queue(
    request: Request, session: SessionDep, user: CurrentUser, lang: ConsoleLanguage
) -> HTMLResponse:
    rows = await operators.console_queue(session, user=user)
    return render(request, "_queue.html", lang, {"cases": rows, "user": user})


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_panel(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    lang: ConsoleLanguage,
    settings: SettingsDep,
) -> HTMLResponse:
    found = await alerts.alerts(session, user=user, reply_minutes=settings.sla_reply_minutes)
    ctx = {"a": found, "supervising": auth.is_supervising(user)}
    return render(request, "_alerts.html", lang, ctx)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case(
    request: Request,
    case_id: CaseIdPath,
    session: SessionDep,
    user: CurrentUser,
    crm: CrmDep,
    settings: SettingsDep,
    lang: ConsoleLanguage,
) -> HTMLResponse:
    view = await operators.case_view(session, case_id=case_id, user=user, crm=crm)
    ctx = {
        "v": case_detail(view),
        "language": view.language,
        "issue_types": view.issue_types,
        "supervising": auth.is_supervising(user),
        "reasons": reasons.for_settings(settings).reasons,
    }
    return render(request, "_case.html", lang, ctx)


@router.get("/cases/{case_id}/suggestions", response_class=HTMLResponse)
async def case_suggestions(
    request: Request,
    case_id: CaseIdPath,
    session: SessionDep,
    user: CurrentUser,
    memory: RecollectionDep,
    retriever: OptionalRetrieverDep,
    crm: CrmDep,
    assistant: AssistantDep,
    lang: ConsoleLanguage,
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
    return render(request, "_suggestions.html", lang, {"s": SuggestionsOut.of(result)})
