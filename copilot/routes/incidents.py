"""Incidents: declare one (supervisors), follow its broadcast, pause, resume or cancel it, and
read its report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from copilot.auth import CurrentUser
from copilot.deps import SessionDep, SettingsDep
from copilot.incident_schemas import IncidentIn, IncidentOut, ReportOut
from copilot.operator_schemas import MAX_ID
from core.incidents import control, report
from core.incidents.declare import declare_incident
from core.models import IncidentStatus

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", response_model=IncidentOut, status_code=status.HTTP_201_CREATED)
async def declare(
    body: IncidentIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> IncidentOut:
    """Declare an incident; each affected customer is told once (422 and nothing stored for an
    empty segment, unknown customers or a missing language)."""
    incident = await declare_incident(session, user=user, draft=body.draft(), settings=settings)
    assert incident.id is not None
    return IncidentOut.of(await control.incident_view(session, incident_id=incident.id))


@router.get("", response_model=list[IncidentOut])
async def list_all(session: SessionDep, user: CurrentUser) -> list[IncidentOut]:
    return [IncidentOut.of(view) for view in await control.list_incidents(session, user=user)]


@router.get("/{incident_id}", response_model=IncidentOut)
async def get(incident_id: IdPath, session: SessionDep, user: CurrentUser) -> IncidentOut:
    """The incident and its broadcast's progress (sent, failed, pending, opted out)."""
    return IncidentOut.of(await control.incident_view(session, incident_id=incident_id, user=user))


@router.post("/{incident_id}/{action}", response_model=IncidentOut)
async def act(
    incident_id: IdPath,
    action: Annotated[str, Path(pattern="^(pause|resume|cancel)$")],
    session: SessionDep,
    user: CurrentUser,
) -> IncidentOut:
    """Pause (withdraws what is not being sent yet), resume or cancel the broadcast."""
    target = {
        "pause": IncidentStatus.PAUSED,
        "resume": IncidentStatus.ACTIVE,
        "cancel": IncidentStatus.CANCELLED,
    }[action]
    view = await control.set_status(session, incident_id=incident_id, user=user, status=target)
    return IncidentOut.of(view)


@router.get("/{incident_id}/report", response_model=ReportOut)
async def get_report(incident_id: IdPath, session: SessionDep, user: CurrentUser) -> ReportOut:
    return ReportOut.of(await report.incident_report(session, incident_id=incident_id, user=user))
