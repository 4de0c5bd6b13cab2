"""The supervisor page at /console/knowledge: the candidates proposed from resolved cases, with
Approve / Reject buttons. Its script reads the console's token from localStorage and calls
/v1/knowledge/candidates*."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from copilot.console import templates

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/knowledge", response_class=HTMLResponse)
async def page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "knowledge.html", {})
