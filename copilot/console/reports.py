"""The supervisor dashboard at /console/reports: one page; its script reads the token the
console keeps in localStorage and draws the charts (inline SVG) from /v1/reports/*."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from copilot.console import templates

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
async def page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "reports.html", {})
