"""Reading the fields of a source's records: times, amounts, flags, lists. A value that cannot
be read raises :class:`RecordError` naming the record and the field; the connector lists it in
its page's ``errors`` (``core.ports.CrmPage``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


class RecordError(ValueError):
    """One record of a source that cannot be read; the message names it."""


def text(record: Mapping[str, Any], name: str, where: str, *, required: bool = False) -> str:
    value = record.get(name)
    if value is None or str(value).strip() == "":
        if required:
            raise RecordError(f"{where}: {name} is missing")
        return ""
    return str(value).strip()


def optional_text(record: Mapping[str, Any], name: str, where: str) -> str | None:
    return text(record, name, where) or None


def when(value: Any, name: str, where: str) -> datetime | None:
    """ISO 8601 (a date alone is midnight UTC; no zone is UTC), or Unix seconds/milliseconds."""
    if value is None or str(value).strip() == "":
        return None
    try:
        if isinstance(value, int | float) or str(value).strip().isdigit():
            number = float(value)
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise RecordError(f"{where}: {name} {value!r} is not a date or time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def amount(value: Any, name: str, where: str) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).replace(",", ".").replace(" ", ""))
    except ValueError:
        raise RecordError(f"{where}: {name} {value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise RecordError(f"{where}: {name} {value!r} is not a number")
    return number


def flag(value: Any, name: str, where: str) -> bool | None:
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "y"}:
        return True
    if lowered in {"0", "false", "no", "n"}:
        return False
    raise RecordError(f"{where}: {name} {value!r} is not true or false")


def strings(value: Any) -> tuple[str, ...]:
    """A list, or one string with values separated by ``;``."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if v is not None and str(v).strip())
    return tuple(v.strip() for v in str(value).split(";") if v.strip())


def json_value(value: Any, name: str, where: str, kind: type) -> Any:
    """A JSON list or object, given as one (JSON files) or as its text (a CSV cell)."""
    if value is None or value == "":
        return kind()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RecordError(f"{where}: {name} is not valid JSON ({exc.msg})") from None
    if not isinstance(value, kind):
        raise RecordError(f"{where}: {name} must be a JSON {kind.__name__}")
    return value


def items(value: Any, where: str) -> tuple[dict[str, Any], ...]:
    """Order items ``{"sku", "name", "quantity", "price"}``; each needs a name and a price."""
    out = []
    for n, item in enumerate(json_value(value, "items", where, list), start=1):
        at = f"{where} item {n}"
        if not isinstance(item, dict):
            raise RecordError(f"{at}: must be an object")
        price = amount(item.get("price"), "price", at)
        if price is None or not text(item, "name", at):
            raise RecordError(f"{at}: needs a name and a price")
        quantity = amount(item.get("quantity"), "quantity", at) or 1
        sku = text(item, "sku", at) or None
        out.append(
            {"sku": sku, "name": text(item, "name", at), "quantity": quantity, "price": price}
        )
    return tuple(out)
