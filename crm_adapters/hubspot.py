"""HubSpot CRM (API v3, a private app's token): contacts are customers, deals are their orders
(with their line items), tickets are their past cases. Only here are deals and tickets named.

Each kind is pulled with the CRM search endpoint, oldest change first, from the cursor's time
(``lastmodifieddate``/``hs_lastmodifieddate`` >= it) and paged with ``after``. HubSpot serves at
most 10,000 results per search, so a longer pull searches again from the newest time stored.
Deals and tickets find their contact through the v4 associations batch read. The property
names read are listed in docs/crm.md.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any

from core.customers.keys import EMAIL, PHONE, TELEGRAM, crm_channel
from core.errors import BackendUnavailable
from core.ports import CaseData, CrmPage, CrmRecord, CustomerData, OrderData
from crm_adapters import fields as f
from crm_adapters.cursor import Cursor
from crm_adapters.http import CrmHttp

SEARCH_LIMIT = 10_000
"""HubSpot's cap on the results of one search (``after`` stops there)."""
KINDS = {  # our kind -> (HubSpot object, its last-modified property)
    "customers": ("contacts", "lastmodifieddate"),
    "orders": ("deals", "hs_lastmodifieddate"),
    "cases": ("tickets", "hs_lastmodifieddate"),
}
PROPERTIES = {
    "contacts": [
        "firstname", "lastname", "email", "phone", "mobilephone", "hs_language",
        "customer_tier", "lifetime_value", "telegram_id", "hs_email_optout",
        "hs_marketable_status", "lastmodifieddate",
    ],
    "deals": [
        "dealname", "order_number", "dealstage", "amount", "deal_currency_code", "createdate",
        "promised_delivery_date", "delivery_date", "delivery_region", "hs_lastmodifieddate",
    ],
    "tickets": [
        "subject", "content", "hs_pipeline_stage", "hs_resolution", "createdate", "closed_date",
        "hs_lastmodifieddate",
    ],
}  # fmt: skip
LINE_ITEM_PROPERTIES = ["name", "hs_sku", "quantity", "price"]


class HubSpotConnector:
    source = "hubspot"

    def __init__(self, http: CrmHttp, *, page_size: int = 100) -> None:
        self.http = http
        self.page_size = page_size

    async def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]:
        cursor = Cursor.load(since)
        for kind in KINDS:
            after: str | None = None
            start = cursor.since(kind)  # fixed while ``after`` pages through one search
            while True:
                found = await self._search(kind, start, after)
                page = await self._page(kind, found["results"], cursor)
                cursor = Cursor.load(page.cursor)
                yield page
                after = (found.get("paging") or {}).get("next", {}).get("after")
                if after is None:
                    break
                if int(after) + self.page_size > SEARCH_LIMIT:
                    after, start = None, cursor.since(kind)  # search again from there

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        """The deals and tickets of the contacts known by ``identities``."""
        contacts = await self._contacts_of(identities)
        records: list[CrmRecord] = []
        for kind, (obj, _) in list(KINDS.items())[1:]:
            linked = await self._associated("contacts", obj, contacts)
            ids = sorted({i for targets in linked.values() for i in targets})
            for raw in await self._batch_read(obj, ids, PROPERTIES[obj]):
                records.append(_record(kind, raw))
        return records

    async def _search(self, kind: str, since: datetime | None, after: str | None) -> Any:
        obj, modified = KINDS[kind]
        body: dict[str, Any] = {
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
            "properties": PROPERTIES[obj],
            "limit": self.page_size,
        }
        if since is not None:
            value = str(int(since.timestamp() * 1000))
            body["filterGroups"] = [
                {"filters": [{"propertyName": modified, "operator": "GTE", "value": value}]}
            ]
        if after is not None:
            body["after"] = after
        found = await self.http.request("POST", f"/crm/v3/objects/{obj}/search", json=body)
        if not isinstance(found, dict) or not isinstance(found.get("results"), list):
            raise BackendUnavailable(f"hubspot {obj} search: the answer has no list of results")
        return found

    async def _page(self, kind: str, results: list[Any], cursor: Cursor) -> CrmPage:
        records: list[Any] = []
        errors: list[str] = []
        obj = KINDS[kind][0]
        owners = {} if kind == "customers" else await self._owners(obj, results)
        items = await self._line_items(results) if kind == "orders" else {}
        for raw in results:
            where = f"hubspot {obj[:-1]} {raw.get('id', '?') if isinstance(raw, dict) else '?'}"
            try:
                record = _read(kind, raw, where, owners, items)
            except f.RecordError as exc:
                errors.append(str(exc))
                continue
            if record is not None:
                records.append(record)
                cursor = cursor.moved(kind, record.updated_at)
        page = CrmPage(cursor=cursor.dump(), errors=errors)
        getattr(page, kind).extend(records)
        return page

    async def _owners(self, obj: str, results: list[Any]) -> dict[str, str]:
        """The first associated contact of each deal or ticket."""
        ids = [str(r["id"]) for r in results if isinstance(r, dict) and "id" in r]
        linked = await self._associated(obj, "contacts", ids)
        return {k: v[0] for k, v in linked.items() if v}

    async def _line_items(self, deals: list[Any]) -> dict[str, list[dict[str, Any]]]:
        ids = [str(d["id"]) for d in deals if isinstance(d, dict) and "id" in d]
        linked = await self._associated("deals", "line_items", ids)
        rows = await self._batch_read(
            "line_items", sorted({i for v in linked.values() for i in v}), LINE_ITEM_PROPERTIES
        )
        by_id = {str(r.get("id")): r.get("properties") or {} for r in rows}
        return {deal: [by_id[i] for i in items if i in by_id] for deal, items in linked.items()}

    async def _associated(self, src: str, dst: str, ids: Sequence[str]) -> dict[str, list[str]]:
        if not ids:
            return {}
        body = {"inputs": [{"id": i} for i in ids]}
        found = await self.http.request(
            "POST", f"/crm/v4/associations/{src}/{dst}/batch/read", json=body
        )
        try:
            return {
                str(row["from"]["id"]): [str(t["toObjectId"]) for t in row.get("to", [])]
                for row in (found or {}).get("results", [])
            }
        except (KeyError, TypeError, AttributeError):
            raise BackendUnavailable(
                f"hubspot {src}->{dst} associations: a result lacks from.id or to[].toObjectId"
            ) from None

    async def _batch_read(self, obj: str, ids: Sequence[str], props: list[str]) -> list[Any]:
        if not ids:
            return []
        body = {"properties": props, "inputs": [{"id": i} for i in ids]}
        found = await self.http.request("POST", f"/crm/v3/objects/{obj}/batch/read", json=body)
        return list((found or {}).get("results", []))

    async def _contacts_of(self, identities: Sequence[tuple[str, str]]) -> list[str]:
        ids = [v for c, v in identities if c == crm_channel(self.source)]
        searchable = {EMAIL: "email", PHONE: "phone", TELEGRAM: "telegram_id"}
        groups = [
            {"filters": [{"propertyName": searchable[c], "operator": "EQ", "value": v}]}
            for c, v in identities
            if c in searchable
        ][:5]
        if groups:
            body = {"filterGroups": groups, "properties": ["email"], "limit": 10}
            found = await self.http.request("POST", "/crm/v3/objects/contacts/search", json=body)
            ids += [str(r["id"]) for r in (found or {}).get("results", [])]
        return sorted(set(ids))


def _read(
    kind: str,
    raw: Any,
    where: str,
    owners: dict[str, str],
    items: dict[str, list[dict[str, Any]]],
) -> CustomerData | OrderData | CaseData | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
        raise f.RecordError(f"{where}: no properties")
    hid = f.text(raw, "id", where, required=True)
    props = raw["properties"]
    updated = f.when(props.get(KINDS[kind][1]) or raw.get("updatedAt"), "updatedAt", where)
    if kind == "customers":
        return _contact(hid, props, updated, where)
    if hid not in owners:
        return None  # a deal or ticket of no contact: nobody's history
    if kind == "orders":
        return _deal(hid, owners[hid], props, items.get(hid, []), updated, where)
    return _ticket(hid, owners[hid], props, updated, where)


def _contact(hid: str, p: dict[str, Any], updated: datetime | None, where: str) -> CustomerData:
    name = " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x) or None
    return CustomerData(
        external_id=hid,
        name=name,
        language=f.optional_text(p, "hs_language", where),
        tier=f.optional_text(p, "customer_tier", where),
        lifetime_value=f.amount(p.get("lifetime_value"), "lifetime_value", where),
        marketing_consent=f.flag(p.get("hs_marketable_status"), "hs_marketable_status", where),
        opted_out=f.flag(p.get("hs_email_optout"), "hs_email_optout", where),
        phones=f.strings([p.get("phone"), p.get("mobilephone")]),
        emails=f.strings(p.get("email")),
        telegram_ids=f.strings(p.get("telegram_id")),
        updated_at=updated,
    )


def _deal(
    hid: str,
    contact: str,
    p: dict[str, Any],
    lines: list[dict[str, Any]],
    updated: datetime | None,
    where: str,
) -> OrderData:
    items = f.items(
        [{"sku": i.get("hs_sku"), "name": i.get("name"), "quantity": i.get("quantity"),
          "price": i.get("price")} for i in lines],
        where,
    )  # fmt: skip
    return OrderData(
        external_id=hid,
        customer_ref=contact,
        number=f.text(p, "order_number", where) or f.text(p, "dealname", where) or hid,
        status=f.text(p, "dealstage", where),
        items=items,
        total=f.amount(p.get("amount"), "amount", where),
        currency=f.optional_text(p, "deal_currency_code", where),
        placed_at=f.when(p.get("createdate"), "createdate", where),
        promised_at=f.when(p.get("promised_delivery_date"), "promised_delivery_date", where),
        delivered_at=f.when(p.get("delivery_date"), "delivery_date", where),
        delivery_region=f.optional_text(p, "delivery_region", where),
        updated_at=updated,
    )


def _ticket(
    hid: str, contact: str, p: dict[str, Any], updated: datetime | None, where: str
) -> CaseData:
    opened = f.when(p.get("createdate"), "createdate", where)
    content = f.text(p, "content", where)
    messages = ({"at": opened.isoformat() if opened else None, "author": "customer",
                 "text": content},) if content else ()  # fmt: skip
    return CaseData(
        external_id=hid,
        customer_ref=contact,
        subject=f.text(p, "subject", where),
        status=f.text(p, "hs_pipeline_stage", where),
        outcome=f.optional_text(p, "hs_resolution", where),
        messages=messages,
        opened_at=opened,
        closed_at=f.when(p.get("closed_date"), "closed_date", where),
        updated_at=updated,
    )


def _record(kind: str, raw: dict[str, Any]) -> CrmRecord:
    p = raw.get("properties") or {}
    hid = str(raw.get("id"))
    if kind == "orders":
        number = p.get("order_number") or p.get("dealname") or hid
        data = {"status": p.get("dealstage"), "total": p.get("amount")}
        return CrmRecord("order", str(number), None, f"Order {number}", data)
    data = {"status": p.get("hs_pipeline_stage"), "outcome": p.get("hs_resolution")}
    return CrmRecord("case", hid, None, str(p.get("subject") or ""), data)
