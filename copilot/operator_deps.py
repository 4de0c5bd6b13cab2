"""Dependencies of the operator routes: outbound channels, the CRM connector and the case
memory, all from the runtime on ``app.state`` (the case memory is opened on first use).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from core.desk.case_memory import Recollection
from core.ports import CrmConnector, OutboundChannel, Retriever
from core.runtime import Runtime


async def get_outbound(request: Request) -> Mapping[str, OutboundChannel]:
    return getattr(request.app.state, "outbound", None) or {}


async def get_crm(request: Request) -> CrmConnector | None:
    return getattr(request.app.state, "crm", None)


async def get_optional_retriever(request: Request) -> Retriever | None:
    return getattr(request.app.state, "retriever", None)


async def get_recollection(request: Request) -> Recollection | None:
    runtime: Runtime = request.app.state.runtime
    return await runtime.recollection()


OutboundDep = Annotated[Mapping[str, OutboundChannel], Depends(get_outbound)]
CrmDep = Annotated[CrmConnector | None, Depends(get_crm)]
RecollectionDep = Annotated[Recollection | None, Depends(get_recollection)]
OptionalRetrieverDep = Annotated[Retriever | None, Depends(get_optional_retriever)]
