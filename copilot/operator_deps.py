"""Dependencies of the operator routes: outbound channels, the CRM connector and the index of
resolved cases, all from ``app.state`` (the case index is built on first use, then refreshed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from copilot.deps import SessionDep
from core.desk.case_index import CaseIndex, build_case_index
from core.ports import CrmConnector, OutboundChannel, Retriever

_LOCK = "case_index_lock"


def get_outbound(request: Request) -> Mapping[str, OutboundChannel]:
    return getattr(request.app.state, "outbound", None) or {}


def get_crm(request: Request) -> CrmConnector | None:
    return getattr(request.app.state, "crm", None)


def get_optional_retriever(request: Request) -> Retriever | None:
    return getattr(request.app.state, "retriever", None)


async def get_case_index(request: Request, session: SessionDep) -> CaseIndex:
    state = request.app.state
    index: CaseIndex | None = getattr(state, "case_index", None)
    if index is not None:
        return index
    lock = getattr(state, _LOCK, None)
    if lock is None:
        lock = asyncio.Lock()
        setattr(state, _LOCK, lock)
    async with lock:
        if getattr(state, "case_index", None) is None:
            state.case_index = await build_case_index(session)
    built: CaseIndex = state.case_index
    return built


OutboundDep = Annotated[Mapping[str, OutboundChannel], Depends(get_outbound)]
CrmDep = Annotated[CrmConnector | None, Depends(get_crm)]
CaseIndexDep = Annotated[CaseIndex, Depends(get_case_index)]
OptionalRetrieverDep = Annotated[Retriever | None, Depends(get_optional_retriever)]
