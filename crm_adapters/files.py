"""CRM exports as files (docs/crm.md): a folder with ``customers``, ``orders`` and ``cases``, each
a ``.csv`` (UTF-8, a header row; lists and objects as JSON or ``;``-separated text) or a
``.json`` (a list of objects). Pulled incrementally by ``updated_at`` like a CRM.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from core.customers.keys import crm_channel, email_key, phone_key
from core.errors import InvalidInput, SourceError
from core.ports import CaseData, CrmPage, CrmRecord, CustomerData, OrderData
from crm_adapters import fields as f
from crm_adapters.cursor import Cursor

KINDS = ("customers", "orders", "cases")
Row = tuple[str, dict[str, Any]]


class FileConnector:
    """Reads ``customers``, ``orders`` and ``cases`` files from one folder (see the module)."""

    source = "files"

    def __init__(self, folder: Path, *, region: str = "RU", page_size: int = 500) -> None:
        if not folder.is_dir():
            raise InvalidInput(f"{folder}: not a folder of CRM export files (docs/crm.md)")
        self.folder = folder
        self.region = region
        self.page_size = page_size

    async def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]:
        cursor = Cursor.load(since)
        rows = await asyncio.to_thread(self._read_all)
        parsed = {kind: _fresh(*_parse(kind, rows[kind]), cursor.since(kind)) for kind in KINDS}
        total = sum(len(fresh) for fresh, _ in parsed.values())
        for kind in KINDS:
            fresh, errors = parsed[kind]
            for n in range(0, max(len(fresh), 1 if errors else 0), self.page_size):
                chunk = fresh[n : n + self.page_size]
                for record in chunk:
                    cursor = cursor.moved(kind, record.updated_at)
                page = CrmPage(cursor=cursor.dump(), errors=errors if n == 0 else [], total=total)
                getattr(page, kind).extend(chunk)
                yield page

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        """The orders and cases in the files of the customers known by ``identities``."""
        rows = await asyncio.to_thread(self._read_all)
        wanted = set(identities)
        refs = {
            c.external_id
            for c in _parse("customers", rows["customers"])[0]
            if wanted & self._keys(c)
        }
        out: list[CrmRecord] = []
        for order in _parse("orders", rows["orders"])[0]:
            if order.customer_ref in refs:
                data = {"number": order.number, "status": order.status, "total": order.total}
                out.append(
                    CrmRecord("order", order.number, order.placed_at, f"Order {order.number}", data)
                )
        for case in _parse("cases", rows["cases"])[0]:
            if case.customer_ref in refs:
                data = {"status": case.status, "outcome": case.outcome}
                out.append(CrmRecord("case", case.external_id, case.opened_at, case.subject, data))
        return out

    def _keys(self, customer: CustomerData) -> set[tuple[str, str]]:
        keys = {(crm_channel(self.source), customer.external_id)}
        for phone in customer.phones:
            try:
                keys.add(phone_key(phone, region=self.region))
            except InvalidInput:
                continue
        for email in customer.emails:
            try:
                keys.add(email_key(email))
            except InvalidInput:
                continue
        return keys | {("telegram", t) for t in customer.telegram_ids}

    def _read_all(self) -> dict[str, list[Row]]:
        return {kind: _read(self.folder, kind) for kind in KINDS}


def _read(folder: Path, kind: str) -> list[Row]:
    csv_path, json_path = folder / f"{kind}.csv", folder / f"{kind}.json"
    if csv_path.exists() and json_path.exists():
        raise SourceError(str(folder), f"both {kind}.csv and {kind}.json: keep one")
    if csv_path.exists():
        with csv_path.open(encoding="utf-8-sig", newline="") as fh:
            return [
                (f"{csv_path.name} row {n}", row) for n, row in enumerate(csv.DictReader(fh), 2)
            ]
    if json_path.exists():
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SourceError(str(json_path), exc.msg, line=exc.lineno) from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise SourceError(str(json_path), "must be a JSON list of objects")
        return [(f"{json_path.name} record {n}", row) for n, row in enumerate(data, 1)]
    return []


def _parse(kind: str, rows: list[Row]) -> tuple[list[Any], list[str]]:
    reader: Callable[[dict[str, Any], str], Any] = _READERS[kind]
    records, errors = [], []
    for where, row in rows:
        try:
            records.append(reader(row, where))
        except f.RecordError as exc:
            errors.append(str(exc))
    return records, errors


def _fresh(
    records: list[Any], errors: list[str], start: datetime | None
) -> tuple[list[Any], list[str]]:
    """The records changed at or after ``start`` (all without a time), oldest first."""
    fresh = [r for r in records if start is None or r.updated_at is None or r.updated_at >= start]
    fresh.sort(key=lambda r: (r.updated_at is not None, r.updated_at))
    return fresh, errors


def _customer(row: dict[str, Any], where: str) -> CustomerData:
    where = f"{where} (customer {row.get('id') or '?'})"
    return CustomerData(
        external_id=f.text(row, "id", where, required=True),
        name=f.optional_text(row, "name", where),
        language=f.optional_text(row, "language", where),
        tier=f.optional_text(row, "tier", where),
        lifetime_value=f.amount(row.get("lifetime_value"), "lifetime_value", where),
        marketing_consent=f.flag(row.get("marketing_consent"), "marketing_consent", where),
        opted_out=f.flag(row.get("opted_out"), "opted_out", where),
        preferences=f.json_value(row.get("preferences"), "preferences", where, dict),
        phones=f.strings(row.get("phones")),
        emails=f.strings(row.get("emails")),
        telegram_ids=f.strings(row.get("telegram_id")),
        updated_at=f.when(row.get("updated_at"), "updated_at", where),
    )


def _order(row: dict[str, Any], where: str) -> OrderData:
    where = f"{where} (order {row.get('id') or '?'})"
    return OrderData(
        external_id=f.text(row, "id", where, required=True),
        customer_ref=f.text(row, "customer_id", where, required=True),
        number=f.text(row, "number", where) or f.text(row, "id", where),
        status=f.text(row, "status", where),
        items=f.items(row.get("items"), where),
        total=f.amount(row.get("total"), "total", where),
        currency=f.optional_text(row, "currency", where),
        placed_at=f.when(row.get("placed_at"), "placed_at", where),
        promised_at=f.when(row.get("promised_at"), "promised_at", where),
        delivered_at=f.when(row.get("delivered_at"), "delivered_at", where),
        delivery_region=f.optional_text(row, "delivery_region", where),
        updated_at=f.when(row.get("updated_at"), "updated_at", where),
    )


def _case(row: dict[str, Any], where: str) -> CaseData:
    where = f"{where} (case {row.get('id') or '?'})"
    messages = f.json_value(row.get("messages"), "messages", where, list)
    if not all(isinstance(m, dict) and m.get("text") for m in messages):
        raise f.RecordError(f"{where}: each message needs a text")
    return CaseData(
        external_id=f.text(row, "id", where, required=True),
        customer_ref=f.text(row, "customer_id", where, required=True),
        subject=f.text(row, "subject", where),
        status=f.text(row, "status", where),
        outcome=f.optional_text(row, "outcome", where),
        messages=tuple(messages),
        opened_at=f.when(row.get("opened_at"), "opened_at", where),
        closed_at=f.when(row.get("closed_at"), "closed_at", where),
        updated_at=f.when(row.get("updated_at"), "updated_at", where),
    )


_READERS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "customers": _customer,
    "orders": _order,
    "cases": _case,
}
