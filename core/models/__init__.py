"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from core.models.case import Case, CaseStatus, Owner
from core.models.customer import ChannelIdentity, Customer
from core.models.knowledge import KnowledgeItem
from core.models.message import Author, Direction, Message

__all__ = [
    "Author",
    "Case",
    "CaseStatus",
    "ChannelIdentity",
    "Customer",
    "Direction",
    "KnowledgeItem",
    "Message",
    "Owner",
]
