"""HubSpot CRM (API v3, a private app's token): contacts are customers, deals are their orders
(with their line items), tickets are their past cases (with their e-mails and notes). Only here
and in ``hubspot_map`` are deals and tickets named.

Each kind is pulled with the CRM search endpoint, oldest change first, from the cursor's time
(``lastmodifieddate``/``hs_lastmodifieddate`` >= it). Each next page searches again from the
newest time stored, so a record changed during the pull is never skipped and HubSpot's cap of
10,000 results per search is never reached; ``after`` pages only through records of one
instant.
Deals and tickets find their contact, deals their line items and tickets their e-mails and notes
through the v4 associations batch read. The property names read are in ``hubspot_map``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any

from core.customers.keys import EMAIL, PHONE, TELEGRAM, crm_channel
from core.errors import BackendUnavailable
from core.ports import CrmPage, CrmRecord
from crm_adapters import fields as f
from crm_adapters import hubspot_map as hm
from crm_adapters.cursor import Cursor
from crm_adapters.http import CrmHttp

SEARCH_LIMIT = 10_000
"""HubSpot's cap on the results of one search (``after`` stops there)."""


def _next(
    start: datetime | None, newest: datetime | None, after: str, page_size: int
) -> tuple[datetime | None, str | None]:
    """Where the next search starts: from the newest time stored (a record changed during the
    pull moves to the end of the results, and an offset would skip the one after it), or, while
    a page holds only records of one instant, ``after`` within that instant."""
    if newest is not None and newest != start:
        return newest, None
    if int(after) + page_size > SEARCH_LIMIT:
        raise BackendUnavailable(
            f"hubspot: more than {SEARCH_LIMIT} records changed at {start}; cannot page past them"
        )
    return start, after


class HubSpotConnector:
    source = "hubspot"

    def __init__(self, http: CrmHttp, *, page_size: int = 100) -> None:
        self.http = http
        self.page_size = page_size

    async def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]:
        cursor = Cursor.load(since)
        for kind in hm.KINDS:
            start, after = cursor.since(kind), None
            while True:
                found = await self._search(kind, start, after)
                page = await self._page(kind, found["results"], cursor)
                cursor = Cursor.load(page.cursor)
                yield page
                more = (found.get("paging") or {}).get("next", {}).get("after")
                if more is None:
                    break
                start, after = _next(start, cursor.since(kind), more, self.page_size)

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        """The deals and tickets of the contacts known by ``identities``."""
        contacts = await self._contacts_of(identities)
        records: list[CrmRecord] = []
        for kind, (obj, _) in list(hm.KINDS.items())[1:]:
            linked = await self._associated("contacts", obj, contacts)
            ids = sorted({i for targets in linked.values() for i in targets})
            for raw in await self._batch_read(obj, ids, hm.PROPERTIES[obj]):
                records.append(hm.record(kind, raw))
        return records

    async def _search(self, kind: str, since: datetime | None, after: str | None) -> Any:
        obj, modified = hm.KINDS[kind]
        body: dict[str, Any] = {
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
            "properties": hm.PROPERTIES[obj],
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
        obj = hm.KINDS[kind][0]
        owners = {} if kind == "customers" else await self._owners(obj, results)
        linked = await self._linked(kind, results)
        for raw in results:
            where = f"hubspot {obj[:-1]} {raw.get('id', '?') if isinstance(raw, dict) else '?'}"
            try:
                record = hm.read(kind, raw, where, owners, linked)
            except f.RecordError as exc:
                errors.append(str(exc))
                continue
            if record is not None:
                records.append(record)
                cursor = cursor.moved(kind, record.updated_at)
        page = CrmPage(cursor=cursor.dump(), errors=errors)
        getattr(page, kind).extend(records)
        return page

    async def _linked(self, kind: str, results: list[Any]) -> dict[str, list[dict[str, Any]]]:
        if kind == "orders":
            return await self._line_items(results)
        return await self._messages(results) if kind == "cases" else {}

    async def _owners(self, obj: str, results: list[Any]) -> dict[str, str]:
        """The first associated contact of each deal or ticket."""
        ids = [str(r["id"]) for r in results if isinstance(r, dict) and "id" in r]
        linked = await self._associated(obj, "contacts", ids)
        return {k: v[0] for k, v in linked.items() if v}

    async def _messages(self, tickets: list[Any]) -> dict[str, list[dict[str, Any]]]:
        """Each ticket's e-mails and notes as messages."""
        ids = [str(t["id"]) for t in tickets if isinstance(t, dict) and "id" in t]
        out: dict[str, list[dict[str, Any]]] = {}
        for obj, props in (("emails", hm.EMAIL_PROPERTIES), ("notes", hm.NOTE_PROPERTIES)):
            linked = await self._associated("tickets", obj, ids)
            wanted = sorted({i for v in linked.values() for i in v})
            rows = {str(r.get("id")): r for r in await self._batch_read(obj, wanted, props)}
            for ticket, targets in linked.items():
                for target in (rows[t] for t in targets if t in rows):
                    where = f"hubspot {obj[:-1]} {target.get('id')} of ticket {ticket}"
                    found = hm.message(obj, target.get("properties") or {}, where)
                    out.setdefault(ticket, []).extend([found] if found else [])
        return out

    async def _line_items(self, deals: list[Any]) -> dict[str, list[dict[str, Any]]]:
        ids = [str(d["id"]) for d in deals if isinstance(d, dict) and "id" in d]
        linked = await self._associated("deals", "line_items", ids)
        rows = await self._batch_read(
            "line_items", sorted({i for v in linked.values() for i in v}), hm.LINE_ITEM_PROPERTIES
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
