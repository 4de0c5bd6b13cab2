"""Operator routes on cases: list, open (with the omnichannel timeline), take, reply, note,
resolve, hand back, suggestions (and using one)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from copilot.auth import CurrentUser
from copilot.deps import AssistantDep, SessionDep, SettingsDep
from copilot.operator_deps import CrmDep, OptionalRetrieverDep, OutboundDep, RecollectionDep
from copilot.operator_schemas import (
    MAX_ID,
    AssignIn,
    CaseDetail,
    CaseOut,
    MessageOut,
    ResolveIn,
    TextIn,
    case_detail,
)
from copilot.suggestion_schemas import AcceptedOut, AcceptIn, CaseSummaryOut, SuggestionsOut
from core.cases import reasons
from core.desk import operators, suggestions
from core.desk.summary import summarize_case
from core.learning import candidates

router = APIRouter(prefix="/v1/cases", tags=["cases"])
CaseIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=list[CaseOut])
async def list_cases(
    session: SessionDep,
    user: CurrentUser,
    status_: Annotated[
        Literal["open", "pending", "resolved", "closed"] | None, Query(alias="status")
    ] = None,
    owner: Literal["bot", "human"] | None = None,
    assigned_to: Annotated[
        str | None, Query(max_length=100, description="a user name, 'me' or 'none'")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CaseOut]:
    """Cases, oldest first. Operators see the ones assigned to them and unassigned ones."""
    who = user.name if assigned_to == "me" else assigned_to
    rows = await operators.list_cases(
        session, user=user, status=status_, owner=owner, assigned_to=who, limit=limit, offset=offset
    )
    return [CaseOut.model_validate(c) for c in rows]


@router.get("/{case_id}", response_model=CaseDetail)
async def get_case(
    case_id: CaseIdPath, session: SessionDep, user: CurrentUser, crm: CrmDep
) -> CaseDetail:
    """The case, its customer, and the customer's whole timeline across channels."""
    return case_detail(await operators.case_view(session, case_id=case_id, user=user, crm=crm))


@router.post("/{case_id}/assign", response_model=CaseOut)
async def assign(
    case_id: CaseIdPath, session: SessionDep, user: CurrentUser, body: AssignIn | None = None
) -> CaseOut:
    """Take the case (no body), or -- supervisors -- assign it to ``operator``."""
    operator = body.operator if body else None
    case = await operators.assign_case(session, case_id=case_id, user=user, operator=operator)
    return CaseOut.model_validate(case)


@router.post("/{case_id}/messages", response_model=MessageOut, status_code=status.HTTP_201_CREATED)
async def send_message(
    case_id: CaseIdPath,
    body: TextIn,
    session: SessionDep,
    user: CurrentUser,
    out: OutboundDep,
    settings: SettingsDep,
) -> MessageOut:
    """Reply to the customer on their channel: sent now, or queued for the worker (Telegram;
    e-mail when SMTP is configured). 409 on a channel nothing can deliver (web, phone, store;
    e-mail without SMTP)."""
    message = await operators.reply(
        session,
        case_id=case_id,
        user=user,
        text=body.text,
        outbound=out,
        queued=settings.queued_channels,
    )
    return MessageOut.model_validate(message)


@router.post("/{case_id}/notes", response_model=MessageOut, status_code=status.HTTP_201_CREATED)
async def add_note(
    case_id: CaseIdPath, body: TextIn, session: SessionDep, user: CurrentUser
) -> MessageOut:
    """An internal note on the case timeline; never sent to the customer."""
    message = await operators.add_note(session, case_id=case_id, user=user, text=body.text)
    return MessageOut.model_validate(message)


@router.post("/{case_id}/resolve", response_model=CaseOut)
async def resolve(
    case_id: CaseIdPath,
    body: ResolveIn,
    session: SessionDep,
    user: CurrentUser,
    retriever: OptionalRetrieverDep,
    settings: SettingsDep,
) -> CaseOut:
    """Resolve the case (409 when it is already resolved or closed). With
    ``knowledge_entry_id`` (404 when unknown) or ``new_entry``, the customer's question (or the
    one picked or edited: ``phrasing_message_id``, ``phrasing``) becomes a masked knowledge
    candidate for a supervisor to approve. ``contact_reason`` confirms or changes the case's
    reason (422 for an unknown code)."""
    new = body.new_entry
    case = await operators.resolve_case(
        session,
        case_id=case_id,
        user=user,
        resolution=body.resolution,
        resolution_code=body.resolution_code,
        knowledge_entry_id=body.knowledge_entry_id,
        new_entry=candidates.NewEntry(new.question, new.answer) if new else None,
        retriever=retriever,
        choice=candidates.PhrasingChoice(body.phrasing_message_id, body.phrasing),
        region=settings.default_region,
        contact_reason=body.contact_reason,
        taxonomy=reasons.for_settings(settings),
    )
    return CaseOut.model_validate(case)


@router.post("/{case_id}/handback", response_model=CaseOut)
async def hand_back(case_id: CaseIdPath, session: SessionDep, user: CurrentUser) -> CaseOut:
    """Return the case to the bot."""
    case = await operators.hand_back_case(session, case_id=case_id, user=user)
    return CaseOut.model_validate(case)


@router.get("/{case_id}/suggestions", response_model=SuggestionsOut)
async def get_suggestions(
    case_id: CaseIdPath,
    session: SessionDep,
    user: CurrentUser,
    memory: RecollectionDep,
    retriever: OptionalRetrieverDep,
    crm: CrmDep,
    assistant: AssistantDep,
) -> SuggestionsOut:
    """Top 3 resolutions, a reply draft, the policy's compensation and the customer's context.
    Recorded as shown to the user (the suggestion acceptance rate in the reports)."""
    result = await suggestions.suggest(
        session,
        case_id=case_id,
        user=user,
        retriever=retriever,
        memory=memory,
        crm=crm,
        assistant=assistant,
    )
    return SuggestionsOut.of(result)


@router.get("/{case_id}/summary", response_model=CaseSummaryOut)
async def get_summary(
    case_id: CaseIdPath, session: SessionDep, user: CurrentUser, assistant: AssistantDep
) -> CaseSummaryOut:
    """A summary of the conversation by the language model, for the operator taking over
    (``summary`` null without a model or when it was refused or failed: see ``outcome``)."""
    done = await summarize_case(session, case_id=case_id, user=user, assistant=assistant)
    return CaseSummaryOut(
        case_id=done.case_id,
        summary=done.text,
        outcome=done.outcome,
        composed_by=done.composed_by,
    )


@router.post("/{case_id}/suggestions/accept", response_model=AcceptedOut)
async def accept_suggestion(
    case_id: CaseIdPath, body: AcceptIn, session: SessionDep, user: CurrentUser
) -> AcceptedOut:
    """The operator used a suggestion (the draft, a resolution, the compensation offer): counted
    once per case and operator in the suggestion acceptance rate."""
    row = await suggestions.accept(
        session, case_id=case_id, user=user, kind=body.kind, ref=body.ref
    )
    return AcceptedOut.model_validate(row)
