"""The supervisor dashboard at /console/reports (its script reads the token the console keeps
in localStorage and draws the charts, inline SVG, from /v1/reports/*) and the incidents page at
/console/incidents (declare one, follow and steer its broadcast, read its report, through
/v1/incidents)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from copilot.console import templates

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
async def page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "reports.html", {})


@router.get("/incidents", response_class=HTMLResponse)
async def incidents(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "incidents.html", {})
