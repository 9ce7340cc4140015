"""What the billing use cases take: exactly the keys their request schemas load
(gpo/billing/schemas.py)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NotRequired, TypedDict


class RebateInput(TypedDict):
    """RebateCreateSchema: a vendor's rebate on one of its contracts for a period."""

    vendor_id: int
    contract_id: int
    period_start: dt.date
    period_end: dt.date
    amount_cents: int
    retained_percent: Decimal  # the MSO's share
    notes: NotRequired[str]


class BillingRunRequest(TypedDict):
    """BillingRunInSchema: a kind of run ("membership") and its month ("2026-12")."""

    kind: str
    month: str


class FeeScheduleInput(TypedDict, total=False):
    """DefaultFeeScheduleUpdateSchema (every field, none null) or
    PracticeFeeScheduleUpdateSchema (a null or absent field inherits the default)."""

    service_fee_percent: Decimal | None
    monthly_membership_cents: int | None
    pmpm_cents: int | None


class InvoiceFilters(TypedDict, total=False):
    """InvoiceQuerySchema: each filter given narrows the list."""

    practice_id: int
    kind: str
    status: str
    cycle_id: int


class InvoiceLineInput(TypedDict):
    """A line of a draft invoice (`invoices.draft_invoice`, a credit note's lines): what
    it bills and its amount; goods lines say their contract, vendor, product, quantity
    and prices too."""

    kind: str  # one of models.LINE_KINDS
    description: str
    amount_cents: int
    quantity: NotRequired[Decimal | int | None]
    order_line_id: NotRequired[int | None]
    contract_id: NotRequired[int | None]
    vendor_id: NotRequired[int | None]
    product_id: NotRequired[int | None]
    category: NotRequired[str | None]
    unit_price: NotRequired[Decimal | None]
    list_cents: NotRequired[int | None]
    savings_cents: NotRequired[int | None]
