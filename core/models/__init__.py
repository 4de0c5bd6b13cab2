"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from core.models.audit import AuditEvent
from core.models.beat import ProcessBeat
from core.models.case import Case, CaseStatus, Owner
from core.models.compensation import (
    Compensation,
    CompensationAudit,
    CompensationPolicy,
    CompensationStatus,
)
from core.models.crm import CrmCase, CrmSyncState, CustomerOrder, IdentityConflict
from core.models.customer import ChannelIdentity, Customer
from core.models.incident import Incident, IncidentStatus, Notice, NoticeKind, NoticeStatus
from core.models.knowledge import KnowledgeItem, KnowledgeVersion
from core.models.knowledge_candidate import CandidateStatus, KnowledgeCandidate
from core.models.llm_call import LlmCall
from core.models.message import Author, CaseEvent, Direction, Message, ReplyKind
from core.models.message_meta import CandidateRef, MessageMeta, QueueRef, SourceRef
from core.models.promise import Promise, PromiseStatus
from core.models.retention import RetentionAction, RetentionKind, RetentionOutcome
from core.models.suggestion import SuggestionUse
from core.models.survey import Pulse, PulseKind, PulseStatus
from core.models.updates import DeliveryStatus, InboundUpdate, OutboundDelivery, UpdateStatus
from core.models.users import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Author",
    "CandidateRef",
    "CandidateStatus",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "ChannelIdentity",
    "CrmCase",
    "CrmSyncState",
    "Compensation",
    "CompensationAudit",
    "CompensationPolicy",
    "CompensationStatus",
    "Customer",
    "CustomerOrder",
    "DeliveryStatus",
    "Direction",
    "IdentityConflict",
    "InboundUpdate",
    "Incident",
    "IncidentStatus",
    "KnowledgeCandidate",
    "KnowledgeItem",
    "KnowledgeVersion",
    "LlmCall",
    "Message",
    "MessageMeta",
    "Notice",
    "NoticeKind",
    "NoticeStatus",
    "OutboundDelivery",
    "Owner",
    "Promise",
    "ProcessBeat",
    "PromiseStatus",
    "Pulse",
    "PulseKind",
    "PulseStatus",
    "QueueRef",
    "RetentionAction",
    "RetentionKind",
    "RetentionOutcome",
    "ReplyKind",
    "Role",
    "SourceRef",
    "SuggestionUse",
    "UpdateStatus",
    "User",
]
