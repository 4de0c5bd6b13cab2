"""Answering a free-text question from the knowledge base (the use case behind ``/v1/ask``)."""

from __future__ import annotations

from core.config import Settings
from core.conversation.handover import handover
from core.domain import Answer, Decision
from core.errors import InvalidInput
from core.grounding.compose import grounded
from core.grounding.rerank import reranked
from core.ports import Assistant, Retriever

MAX_QUESTION_CHARS = 4000


async def answer_question(
    *,
    retriever: Retriever,
    text: str,
    customer_ref: str | None = None,
    language: str | None = None,
    assistant: Assistant | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Validate the question and ask the knowledge base. Long texts are cut, not refused; a
    message that must go to a person (``handover``) escalates without asking. With an
    ``assistant`` (and the ``settings`` that bound it) an answer is composed from the retrieved
    entries (``core.grounding.compose``)."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("text must not be empty")
    why = handover(cleaned[:MAX_QUESTION_CHARS])
    if why is not None:
        return Answer("", None, 0.0, Decision.ESCALATE, language=language, reason=str(why))
    question = cleaned[:MAX_QUESTION_CHARS]
    answer = await retriever.ask(question, customer_ref=customer_ref, language=language)
    if settings is None:
        return answer
    answer = await reranked(
        answer, question=question, assistant=assistant, lookup=retriever.entry, settings=settings
    )
    return await grounded(
        answer, question=question, assistant=assistant, lookup=retriever.entry, settings=settings
    )
