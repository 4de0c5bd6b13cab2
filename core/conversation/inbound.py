"""What a front end hands the conversation: who wrote (:class:`Identity`), and what they sent
(:class:`Inbound`, with its :class:`Attachment` items). Front ends build these from their own
updates; :class:`core.conversation.turn.Conversation` takes them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.conversation.intents import Intent
from core.customers import identities
from core.models import MessageMeta

DEFAULT_LANGUAGE = "en"
"""The language of replies to a customer whose language nobody knows."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A person on a channel: the channel's id for them and what the channel tells about them."""

    channel: str
    external_id: str
    display_name: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """Something a message carries besides text; stored on the case timeline as JSON."""

    kind: str
    """sticker, photo, voice, document, video, audio, video_note, animation, or the channel's
    own content type when nothing else is known."""
    file_id: str | None = None
    emoji: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    mime_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None

    def as_json(self) -> dict[str, Any]:
        """``{"type": kind, ...}`` without the fields the channel did not give."""
        fields = dataclasses.asdict(self)
        return {"type": fields.pop("kind")} | {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a customer did: a message, an edit, a tapped button, a command.

    ``intent`` is what a button or command stated; the words of a message are read in core
    (:func:`core.conversation.intents.recognize`).
    """

    identity: Identity
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    edited: bool = False
    intent: Intent = Intent.MESSAGE
    chosen_entry_id: str | None = None
    """Answer this knowledge entry directly (a tapped clarify candidate)."""
    channel_message_id: int | None = None
    """The channel's id of the message (stored as ``<channel>_message_id``)."""
    event_ref: str | None = None
    """The channel's id of this event when it is not a new message: an edit (its message and
    edit time), a tapped button (the callback query). With ``channel_message_id`` it is how the
    same event, received again, is known (:attr:`ref`)."""
    via: str | None = None
    """How it came when not typed: ``button``, ``clarify_button``."""
    reply_to: int | None = None
    """The bot message whose button was tapped."""

    @property
    def ref(self) -> str | None:
        """What identifies this event within its sender's chat: one copy is stored."""
        if self.event_ref is not None:
            return self.event_ref
        return str(self.channel_message_id) if self.channel_message_id is not None else None

    @property
    def plain_text(self) -> bool:
        """A new message of text only (no caption, no media): the kind a pulse comment is."""
        return bool(self.text) and not self.attachments and not self.edited

    def meta(self, intent: Intent) -> MessageMeta:
        """The metadata the inbound message is stored with."""
        return MessageMeta(
            via=self.via,
            reply_to=self.reply_to,
            telegram_message_id=(
                self.channel_message_id if self.identity.channel == "telegram" else None
            ),
            edited=self.edited,
            intent=str(intent) if intent != Intent.MESSAGE else None,
        )


async def identify(session: AsyncSession, who: Identity) -> identities.Identified:
    """The customer behind ``who``, created on first contact (``identities.identify``)."""
    return await identities.identify(
        session,
        channel=who.channel,
        external_id=who.external_id,
        display_name=who.display_name,
        language=who.language,
    )
