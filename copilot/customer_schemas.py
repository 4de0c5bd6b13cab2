"""Request and response bodies of ``/v1/customers``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.customers.profile import CustomerProfile
from core.ports import CustomerData, OrderData


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str | None = Field(default=None, max_length=100)
    name: str = Field(min_length=1, max_length=300)
    quantity: float = Field(default=1, gt=0)
    price: float = Field(ge=0)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=100, description="Your id of the order.")
    number: str | None = Field(default=None, max_length=64)
    status: str = Field(default="", max_length=64)
    items: list[ItemIn] = Field(default_factory=list, max_length=500)
    total: float | None = Field(default=None, ge=0, description="Default: the items' sum.")
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    placed_at: AwareDatetime | None = None
    promised_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    delivery_region: str | None = Field(default=None, max_length=100)

    def data(self, customer_ref: str) -> OrderData:
        return OrderData(
            external_id=self.id,
            customer_ref=customer_ref,
            number=self.number or self.id,
            status=self.status,
            items=tuple(i.model_dump() for i in self.items),
            total=self.total,
            currency=self.currency,
            placed_at=self.placed_at,
            promised_at=self.promised_at,
            delivered_at=self.delivered_at,
            delivery_region=self.delivery_region,
        )


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=100, description="Your id of the customer.")
    name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=8)
    tier: str | None = Field(default=None, max_length=32)
    lifetime_value: float | None = Field(default=None, ge=0)
    marketing_consent: bool | None = None
    opted_out: bool | None = None
    preferences: dict[str, Any] = Field(default_factory=dict)
    phones: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    emails: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=10)
    telegram_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=10
    )
    orders: list[OrderIn] = Field(default_factory=list, max_length=1000)

    def data(self) -> CustomerData:
        fields = self.model_dump(exclude={"id", "orders", "phones", "emails", "telegram_ids"})
        return CustomerData(
            external_id=self.id,
            phones=tuple(self.phones),
            emails=tuple(self.emails),
            telegram_ids=tuple(self.telegram_ids),
            **fields,
        )


class IdentityOut(BaseModel):
    channel: str
    external_id: str


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source: str
    number: str
    status: str
    items: list[dict[str, Any]]
    total: float
    currency: str | None
    placed_at: AwareDatetime | None
    promised_at: AwareDatetime | None
    delivered_at: AwareDatetime | None
    delivery_region: str | None


class CrmCaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source: str
    subject: str
    status: str
    outcome: str | None
    messages: list[dict[str, Any]]
    opened_at: AwareDatetime | None
    closed_at: AwareDatetime | None


class ConflictOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    detected_at: AwareDatetime
    channel: str
    external_id: str
    holder_id: int
    claimant_id: int
    source: str
    record_id: str


class CustomerOut(BaseModel):
    id: int
    name: str | None
    language: str | None
    tier: str
    lifetime_value: float
    marketing_consent: bool
    opted_out: bool
    preferences: dict[str, Any]
    identities: list[IdentityOut]
    orders: list[OrderOut]
    cases: list[CrmCaseOut]
    conflicts: list[ConflictOut]
    status: Literal["created", "found"] = "found"

    @classmethod
    def of(cls, p: CustomerProfile) -> CustomerOut:
        c = p.customer
        assert c.id is not None
        return cls(
            id=c.id,
            name=c.name,
            language=c.language,
            tier=c.tier,
            lifetime_value=c.lifetime_value,
            marketing_consent=c.marketing_consent,
            opted_out=c.opted_out,
            preferences=c.preferences or {},
            identities=[
                IdentityOut(channel=i.channel, external_id=i.external_id) for i in p.identities
            ],
            orders=[OrderOut.model_validate(o) for o in p.orders],
            cases=[CrmCaseOut.model_validate(x) for x in p.cases],
            conflicts=[ConflictOut.model_validate(x) for x in p.conflicts],
            status="created" if p.created else "found",
        )
