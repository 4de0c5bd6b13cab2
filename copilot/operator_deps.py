"""Dependencies of the operator routes: outbound channels, the CRM connector and the index of
resolved cases, all from the runtime on ``app.state`` (the case index is built on first use).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from copilot.deps import SessionDep
from core.desk.case_index import CaseIndex
from core.ports import CrmConnector, OutboundChannel, Retriever
from core.runtime import Runtime


def get_outbound(request: Request) -> Mapping[str, OutboundChannel]:
    return getattr(request.app.state, "outbound", None) or {}


def get_crm(request: Request) -> CrmConnector | None:
    return getattr(request.app.state, "crm", None)


def get_optional_retriever(request: Request) -> Retriever | None:
    return getattr(request.app.state, "retriever", None)


async def get_case_index(request: Request, session: SessionDep) -> CaseIndex:
    runtime: Runtime = request.app.state.runtime
    return await runtime.case_index(session)


OutboundDep = Annotated[Mapping[str, OutboundChannel], Depends(get_outbound)]
CrmDep = Annotated[CrmConnector | None, Depends(get_crm)]
CaseIndexDep = Annotated[CaseIndex, Depends(get_case_index)]
OptionalRetrieverDep = Annotated[Retriever | None, Depends(get_optional_retriever)]
