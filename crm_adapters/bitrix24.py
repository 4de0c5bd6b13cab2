"""Bitrix24 (REST through an inbound webhook, whose URL holds its secret): contacts are
customers and deals ("сделки") their orders. Bitrix24 keeps no past cases of its own by
default, so none come from it. Only here are deals named.

``crm.contact.list``, then ``crm.deal.list``, are asked oldest change first
(``order: DATE_MODIFY ASC``) from the cursor's time (``>=DATE_MODIFY``), 50 a page; like the
other CRMs', each next page starts again from the newest time stored, and ``start`` only pages
through records of the same second. A deal's stage is shown by its name (one
``crm.status.list`` of the deal stages), and its items are its product rows (one
``crm.item.productrow.list`` per page of deals, filtered by owner type ``D`` and the page's
deal ids); the custom fields read are listed in docs/crm.md.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any

from core.customers.keys import EMAIL, PHONE, crm_channel
from core.errors import BackendUnavailable
from core.ports import CrmPage, CrmRecord, CustomerData, OrderData
from crm_adapters import fields as f
from crm_adapters.cursor import Cursor
from crm_adapters.http import CrmHttp

METHODS = {"customers": "crm.contact.list", "orders": "crm.deal.list"}
SELECT = {
    "customers": ["ID", "NAME", "SECOND_NAME", "LAST_NAME", "PHONE", "EMAIL", "DATE_MODIFY",
                  "UF_CRM_TIER", "UF_CRM_LIFETIME_VALUE", "UF_CRM_TELEGRAM_ID"],
    "orders": ["ID", "TITLE", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID", "CONTACT_ID",
               "DATE_CREATE", "DATE_MODIFY", "UF_CRM_ORDER_NUMBER", "UF_CRM_PROMISED_DATE",
               "UF_CRM_DELIVERY_DATE", "UF_CRM_DELIVERY_REGION"],
}  # fmt: skip


class Bitrix24Connector:
    source = "bitrix24"

    def __init__(self, http: CrmHttp) -> None:
        self.http = http
        self._stages: dict[str, str] | None = None

    async def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]:
        cursor = Cursor.load(since)
        for kind, method in METHODS.items():
            start, offset = cursor.since(kind), 0
            while True:
                found = await self._call(method, _list_body(kind, start, offset))
                page = await self._page(kind, found["result"], cursor)
                cursor = Cursor.load(page.cursor)
                yield page
                if found.get("next") is None:
                    break
                newest = cursor.since(kind)
                start, offset = (newest, 0) if newest != start else (start, int(found["next"]))

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        """The deals of the contacts found by this customer's phone, e-mail or Bitrix24 id."""
        ids = {v for c, v in identities if c == crm_channel(self.source)}
        for channel, value in identities:
            if channel in (PHONE, EMAIL):
                body = {"filter": {channel.upper(): value}, "select": ["ID"]}
                found = await self._call("crm.contact.list", body)
                ids |= {str(c.get("ID")) for c in found["result"]}
        if not ids:
            return []
        body = {"filter": {"CONTACT_ID": sorted(ids)}, "select": SELECT["orders"]}
        deals = (await self._call("crm.deal.list", body))["result"]
        stages = await self._stage_names()
        return [
            CrmRecord("order", _number(d), None, f"Order {_number(d)}", {
                "status": stages.get(str(d.get("STAGE_ID")), str(d.get("STAGE_ID") or "")),
                "total": d.get("OPPORTUNITY"),
            })
            for d in deals
        ]  # fmt: skip

    async def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        found = await self.http.request("POST", f"/{method}.json", json=body)
        if isinstance(found, dict) and "error" in found:
            error = found.get("error_description") or found["error"]
            raise BackendUnavailable(f"bitrix24 {method}: {error}")
        if not isinstance(found, dict) or not isinstance(found.get("result"), list):
            raise BackendUnavailable(f"bitrix24 {method}: the answer has no result list")
        return found

    async def _page(self, kind: str, rows: list[Any], cursor: Cursor) -> CrmPage:
        page = CrmPage()
        stages = await self._stage_names() if kind == "orders" and rows else {}
        for raw in rows:
            what = "contact" if kind == "customers" else "deal"
            where = f"bitrix24 {what} {raw.get('ID', '?') if isinstance(raw, dict) else '?'}"
            try:
                record = _contact(raw, where) if kind == "customers" else _deal(raw, where, stages)
            except f.RecordError as exc:
                page.errors.append(str(exc))
                continue
            if record is not None:
                getattr(page, kind).append(record)
                cursor = cursor.moved(kind, record.updated_at)
        orders = await self._with_items(page.orders, page.errors)
        return CrmPage(page.customers, orders, [], cursor.dump(), page.errors)

    async def _with_items(self, orders: list[OrderData], errors: list[str]) -> list[OrderData]:
        """The deals with their product rows as items (one request per 50 rows); a malformed
        row is named in ``errors``, and its deal keeps the items it has."""
        if not orders:
            return orders
        items: dict[str, list[dict[str, Any]]] = defaultdict(list)
        body: dict[str, Any] = {
            "filter": {"=ownerType": "D", "=ownerId": [int(o.external_id) for o in orders]},
            "start": 0,
        }
        while True:
            found = await self.http.request("POST", "/crm.item.productrow.list.json", json=body)
            rows = found.get("result", {}).get("productRows") if isinstance(found, dict) else None
            if not isinstance(rows, list):
                raise BackendUnavailable("bitrix24 crm.item.productrow.list: no productRows")
            for row in rows:
                try:
                    items[str(row.get("ownerId"))].append(_item(row))
                except (f.RecordError, AttributeError) as exc:
                    errors.append(
                        str(exc)
                        if isinstance(exc, f.RecordError)
                        else f"bitrix24 product row: not an object: {row!r:.80}"
                    )
            if found.get("next") is None:
                break
            body["start"] = int(found["next"])
        return [
            dataclasses.replace(o, items=tuple(items[o.external_id]))
            if items.get(o.external_id)
            else o
            for o in orders
        ]

    async def _stage_names(self) -> dict[str, str]:
        if self._stages is None:
            body = {"filter": {"ENTITY_ID": "DEAL_STAGE"}}
            rows = (await self._call("crm.status.list", body))["result"]
            self._stages = {str(r.get("STATUS_ID")): str(r.get("NAME")) for r in rows}
        return self._stages


def _list_body(kind: str, start: datetime | None, offset: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order": {"DATE_MODIFY": "ASC", "ID": "ASC"},
        "select": SELECT[kind],
        "start": offset,
    }
    if start is not None:
        body["filter"] = {">=DATE_MODIFY": start.isoformat()}
    return body


def _values(raw: dict[str, Any], name: str) -> tuple[str, ...]:
    """A multi-field (``PHONE``, ``EMAIL``: ``[{"VALUE", "VALUE_TYPE"}]``) as its values."""
    items = raw.get(name) or []
    return f.strings([i.get("VALUE") for i in items if isinstance(i, dict)])


def _contact(raw: Any, where: str) -> CustomerData:
    if not isinstance(raw, dict):
        raise f.RecordError(f"{where}: not an object")
    name = " ".join(str(raw[k]) for k in ("NAME", "SECOND_NAME", "LAST_NAME") if raw.get(k))
    return CustomerData(
        external_id=f.text(raw, "ID", where, required=True),
        name=name or None,
        tier=f.optional_text(raw, "UF_CRM_TIER", where),
        lifetime_value=f.amount(raw.get("UF_CRM_LIFETIME_VALUE"), "UF_CRM_LIFETIME_VALUE", where),
        phones=_values(raw, "PHONE"),
        emails=_values(raw, "EMAIL"),
        telegram_ids=f.strings(raw.get("UF_CRM_TELEGRAM_ID")),
        updated_at=f.when(raw.get("DATE_MODIFY"), "DATE_MODIFY", where),
    )


def _deal(raw: Any, where: str, stages: dict[str, str]) -> OrderData | None:
    if not isinstance(raw, dict):
        raise f.RecordError(f"{where}: not an object")
    contact = raw.get("CONTACT_ID")
    if not contact:
        return None  # a deal of no contact: nobody's order
    stage = str(raw.get("STAGE_ID") or "")
    return OrderData(
        external_id=f.text(raw, "ID", where, required=True),
        customer_ref=str(contact),
        number=_number(raw),
        status=stages.get(stage, stage),
        total=f.amount(raw.get("OPPORTUNITY"), "OPPORTUNITY", where),
        currency=f.optional_text(raw, "CURRENCY_ID", where),
        placed_at=f.when(raw.get("DATE_CREATE"), "DATE_CREATE", where),
        promised_at=f.when(raw.get("UF_CRM_PROMISED_DATE"), "UF_CRM_PROMISED_DATE", where),
        delivered_at=f.when(raw.get("UF_CRM_DELIVERY_DATE"), "UF_CRM_DELIVERY_DATE", where),
        delivery_region=f.optional_text(raw, "UF_CRM_DELIVERY_REGION", where),
        updated_at=f.when(raw.get("DATE_MODIFY"), "DATE_MODIFY", where),
    )


def _item(row: dict[str, Any]) -> dict[str, Any]:
    """A product row (``productName``, ``price`` with taxes and discount, ``quantity``)."""
    where = f"bitrix24 product row {row.get('id', '?')}"
    return {
        "sku": str(row["productId"]) if row.get("productId") else None,
        "name": str(row.get("productName") or ""),
        "quantity": f.amount(row.get("quantity"), "quantity", where) or 1,
        "price": f.amount(row.get("price"), "price", where),
    }


def _number(deal: dict[str, Any]) -> str:
    return str(deal.get("UF_CRM_ORDER_NUMBER") or deal.get("TITLE") or deal.get("ID"))
