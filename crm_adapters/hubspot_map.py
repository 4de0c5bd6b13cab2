"""HubSpot's records in core types: contacts as customers, deals as orders (with their line
items), tickets as past cases (with their e-mails and notes as messages). The properties read
are listed here and in docs/crm.md."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from core.ports import CaseData, CrmRecord, CustomerData, OrderData
from crm_adapters import fields as f

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

EMAIL_PROPERTIES = ["hs_timestamp", "hs_email_direction", "hs_email_subject", "hs_email_text"]
NOTE_PROPERTIES = ["hs_timestamp", "hs_note_body"]
_TAG = re.compile(r"<[^>]+>")
_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")


def read(
    kind: str,
    raw: Any,
    where: str,
    owners: dict[str, str],
    linked: dict[str, list[dict[str, Any]]],
) -> CustomerData | OrderData | CaseData | None:
    """One search result as a core record; None for a deal or ticket of no contact. ``linked``
    holds each deal's line items or each ticket's messages."""
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
        return _deal(hid, owners[hid], props, linked.get(hid, []), updated, where)
    return _ticket(hid, owners[hid], props, linked.get(hid, []), updated, where)


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
    hid: str,
    contact: str,
    p: dict[str, Any],
    thread: list[dict[str, Any]],
    updated: datetime | None,
    where: str,
) -> CaseData:
    opened = f.when(p.get("createdate"), "createdate", where)
    content = f.text(p, "content", where)
    first = [{"at": opened.isoformat() if opened else None, "author": "customer", "text": content}]
    later = sorted(thread, key=lambda m: m["at"] or "")
    return CaseData(
        external_id=hid,
        customer_ref=contact,
        subject=f.text(p, "subject", where),
        status=f.text(p, "hs_pipeline_stage", where),
        outcome=f.optional_text(p, "hs_resolution", where),
        messages=tuple((first if content else []) + later),
        opened_at=opened,
        closed_at=f.when(p.get("closed_date"), "closed_date", where),
        updated_at=updated,
    )


def message(obj: str, p: dict[str, Any], where: str) -> dict[str, Any] | None:
    """A ticket's e-mail (from the customer when incoming) or note (the team's) as a message."""
    try:
        at = f.when(p.get("hs_timestamp"), "hs_timestamp", where)
    except f.RecordError:
        at = None  # a message without its time is still the case's message
    if obj == "emails":
        incoming = p.get("hs_email_direction") == "INCOMING_EMAIL"
        author, text = ("customer" if incoming else "operator"), p.get("hs_email_text")
        text = text or p.get("hs_email_subject")
    else:
        author, text = "note", p.get("hs_note_body")
    text = _BEFORE_PUNCT.sub(r"\1", " ".join(_TAG.sub(" ", str(text or "")).split()))
    return {"at": at.isoformat() if at else None, "author": author, "text": text} if text else None


def record(kind: str, raw: dict[str, Any]) -> CrmRecord:
    p = raw.get("properties") or {}
    hid = str(raw.get("id"))
    if kind == "orders":
        number = p.get("order_number") or p.get("dealname") or hid
        data = {"status": p.get("dealstage"), "total": p.get("amount")}
        return CrmRecord("order", str(number), None, f"Order {number}", data)
    data = {"status": p.get("hs_pipeline_stage"), "outcome": p.get("hs_resolution")}
    return CrmRecord("case", hid, None, str(p.get("subject") or ""), data)
