from __future__ import annotations

from fastapi import APIRouter, Depends

from copilot.contract import limited_by
from copilot.deps import AssistantDep, RetrieverDep, SettingsDep
from copilot.rate_limit import per_address
from copilot.schemas import AskRequest, AskResponse
from core.conversation.questions import answer_question

router = APIRouter(prefix="/v1", tags=["knowledge"])


@router.post(
    "/ask",
    response_model=AskResponse,
    dependencies=[Depends(per_address)],
    openapi_extra=limited_by("from this client address"),
)
async def ask(
    body: AskRequest, retriever: RetrieverDep, assistant: AssistantDep, settings: SettingsDep
) -> AskResponse:
    """Answer a question from the knowledge base: answer, clarify (choices) or escalate.
    Counted per client address (``CXC_RATE_LIMIT_ASK``)."""
    answer = await answer_question(
        retriever=retriever,
        text=body.text,
        customer_ref=body.customer_ref,
        language=body.language,
        assistant=assistant,
        settings=settings,
    )
    return AskResponse.of(answer)
