"""The cursor of an incremental pull: for each kind of record, the update time of the last one
stored. Records are pulled oldest first from ``>=`` that time, so a record updated at the same
instant as the cursor is pulled again (and counts as unchanged) rather than missed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from core.errors import InvalidInput


class Cursor:
    def __init__(self, marks: dict[str, datetime] | None = None) -> None:
        self.marks = dict(marks or {})

    @classmethod
    def load(cls, value: str | None) -> Cursor:
        if not value:
            return cls()
        try:
            raw = json.loads(value)
            return cls({k: datetime.fromisoformat(v) for k, v in raw.items()})
        except (ValueError, AttributeError, TypeError):
            raise InvalidInput(
                f"stored sync cursor {value!r} is not one this connector wrote"
            ) from None

    def since(self, kind: str) -> datetime | None:
        return self.marks.get(kind)

    def moved(self, kind: str, to: datetime | None) -> Cursor:
        """A copy with ``kind`` at ``to`` (never moved back)."""
        marks = dict(self.marks)
        if to is not None and (kind not in marks or to > marks[kind]):
            marks[kind] = to.astimezone(UTC)
        return Cursor(marks)

    def dump(self) -> str:
        return json.dumps({k: v.isoformat() for k, v in sorted(self.marks.items())})
