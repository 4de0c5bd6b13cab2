"""amoCRM (API v4, a long-lived token): contacts are customers and leads ("сделки", deals) are
their orders. amoCRM keeps no past cases of its own, so none come from it. Only here are leads
and deals named.

Contacts, then leads, are listed oldest change first (``order[updated_at]=asc``) from the
cursor's time while ``_links.next`` is there; each next list starts again from the newest time
stored (``page`` only pages through records of the same seconds); an empty list is
``204 No Content``. The filter starts one second before the cursor (amoCRM's times are whole
seconds), so a record changed in the cursor's second is pulled again, never missed. A lead's
status is its pipeline status's name (one read of the pipelines); the custom fields read are
listed in docs/crm.md.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime, timedelta
from typing import Any

from core.customers.keys import EMAIL, PHONE, crm_channel
from core.errors import BackendUnavailable
from core.ports import CrmPage, CrmRecord, CustomerData, OrderData
from crm_adapters import fields as f
from crm_adapters.cursor import Cursor
from crm_adapters.http import CrmHttp

KINDS = {"customers": "contacts", "orders": "leads"}
WITH = {"contacts": "", "leads": "contacts"}


class AmoCrmConnector:
    source = "amocrm"

    def __init__(self, http: CrmHttp, *, page_size: int = 250) -> None:
        self.http = http
        self.page_size = page_size
        self._statuses: dict[int, str] | None = None

    async def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]:
        cursor = Cursor.load(since)
        for kind, entity in KINDS.items():
            start, number = cursor.since(kind), 1
            while True:
                found = await self._list(entity, start, number)
                page = await self._page(kind, _embedded(found, entity), cursor)
                cursor = Cursor.load(page.cursor)
                yield page
                if not (found or {}).get("_links", {}).get("next"):
                    break
                newest = cursor.since(kind)
                # from the newest time stored (a record changed during the pull moves to the
                # end, and a page number would skip the one after it); the next page only
                # while a page holds nothing newer
                start, number = (newest, 1) if newest != start else (start, number + 1)

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        """The leads of the contacts found by this customer's phone, e-mail or amoCRM id."""
        ids = {v for c, v in identities if c == crm_channel(self.source)}
        for channel, value in identities:
            if channel in (PHONE, EMAIL):
                found = await self.http.request("GET", "/api/v4/contacts", params={"query": value})
                ids |= {str(c["id"]) for c in _embedded(found, "contacts")}
        if not ids:
            return []
        params = {"with": "contacts", "filter[id][]": sorted(ids)}
        found = await self.http.request("GET", "/api/v4/leads", params=params)
        statuses = await self._status_names()
        return [
            CrmRecord("order", _number(lead), None, f"Order {_number(lead)}", {
                "status": statuses.get(lead.get("status_id"), str(lead.get("status_id", ""))),
                "total": lead.get("price"),
            })
            for lead in _embedded(found, "leads")
            if ids & {str(c.get("id")) for c in _contacts(lead)}
        ]  # fmt: skip

    async def _list(self, entity: str, start: datetime | None, number: int) -> Any:
        params: dict[str, Any] = {
            "order[updated_at]": "asc",
            "limit": self.page_size,
            "page": number,
        }
        if WITH[entity]:
            params["with"] = WITH[entity]
        if start is not None:
            params["filter[updated_at][from]"] = int((start - timedelta(seconds=1)).timestamp())
        return await self.http.request("GET", f"/api/v4/{entity}", params=params)

    async def _page(self, kind: str, rows: list[Any], cursor: Cursor) -> CrmPage:
        page = CrmPage()
        statuses = await self._status_names() if kind == "orders" and rows else {}
        for raw in rows:
            where = (
                f"amocrm {KINDS[kind][:-1]} {raw.get('id', '?') if isinstance(raw, dict) else '?'}"
            )
            try:
                record = (
                    _contact(raw, where) if kind == "customers" else _lead(raw, where, statuses)
                )
            except f.RecordError as exc:
                page.errors.append(str(exc))
                continue
            if record is None:
                continue
            getattr(page, kind).append(record)
            cursor = cursor.moved(kind, record.updated_at)
        return CrmPage(page.customers, page.orders, [], cursor.dump(), page.errors)

    async def _status_names(self) -> dict[int, str]:
        if self._statuses is None:
            found = await self.http.request("GET", "/api/v4/leads/pipelines")
            self._statuses = {
                s["id"]: str(s.get("name", s["id"]))
                for p in _embedded(found, "pipelines")
                for s in _embedded(p, "statuses")
                if isinstance(s, dict) and "id" in s
            }
        return self._statuses


def _embedded(found: Any, name: str) -> list[Any]:
    """``found["_embedded"][name]``; None (204 No Content) is an empty list."""
    if found is None:
        return []
    rows = found.get("_embedded", {}).get(name) if isinstance(found, dict) else None
    if not isinstance(rows, list):
        raise BackendUnavailable(f"amocrm {name}: the answer has no _embedded.{name} list")
    return rows


def _fields(raw: dict[str, Any]) -> dict[str, list[Any]]:
    """Custom field values by field code and by lower-cased field name."""
    out: dict[str, list[Any]] = {}
    for field in raw.get("custom_fields_values") or []:
        values = [v.get("value") for v in field.get("values") or [] if isinstance(v, dict)]
        for key in (field.get("field_code"), str(field.get("field_name") or "").lower()):
            if key:
                out.setdefault(key, []).extend(values)
    return out


def _first(values: dict[str, list[Any]], key: str) -> Any:
    return (values.get(key) or [None])[0]


def _text(values: dict[str, list[Any]], key: str) -> str | None:
    value = _first(values, key)
    return str(value).strip() or None if value is not None else None


def _contact(raw: Any, where: str) -> CustomerData:
    if not isinstance(raw, dict):
        raise f.RecordError(f"{where}: not an object")
    values = _fields(raw)
    return CustomerData(
        external_id=f.text(raw, "id", where, required=True),
        name=f.optional_text(raw, "name", where),
        tier=_text(values, "tier"),
        lifetime_value=f.amount(_first(values, "lifetime_value"), "lifetime_value", where),
        phones=f.strings(values.get("PHONE")),
        emails=f.strings(values.get("EMAIL")),
        telegram_ids=f.strings(values.get("telegram_id")),
        updated_at=f.when(raw.get("updated_at"), "updated_at", where),
    )


def _lead(raw: Any, where: str, statuses: dict[int, str]) -> OrderData | None:
    if not isinstance(raw, dict):
        raise f.RecordError(f"{where}: not an object")
    contacts = _contacts(raw)
    main = next((c for c in contacts if c.get("is_main")), contacts[0] if contacts else None)
    if main is None:
        return None  # a lead of no contact: nobody's order
    values = _fields(raw)
    status = raw.get("status_id")
    return OrderData(
        external_id=f.text(raw, "id", where, required=True),
        customer_ref=str(main.get("id")),
        number=_number(raw),
        status=statuses.get(status, str(status or "")) if isinstance(status, int) else "",
        total=f.amount(raw.get("price"), "price", where),
        currency=_text(values, "currency"),
        placed_at=f.when(raw.get("created_at"), "created_at", where),
        promised_at=f.when(
            _first(values, "promised_delivery_date"), "promised_delivery_date", where
        ),
        delivered_at=f.when(_first(values, "delivery_date"), "delivery_date", where),
        delivery_region=_text(values, "delivery_region"),
        updated_at=f.when(raw.get("updated_at"), "updated_at", where),
    )


def _contacts(lead: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (lead.get("_embedded") or {}).get("contacts") or []
    return [c for c in rows if isinstance(c, dict) and c.get("id") is not None]


def _number(lead: dict[str, Any]) -> str:
    return str(_first(_fields(lead), "order_number") or lead.get("name") or lead.get("id"))
