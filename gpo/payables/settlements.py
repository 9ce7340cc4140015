"""Vendor settlements (DOMAIN.md "After the close", Settlement): a run pays each vendor
its approved, unsettled invoices issued on or before a date, less the admin fees netted
where the contract says `admin_fee_settlement: netted`; finance marks it sent with the
bank reference. Each settlement carries its remittance advice: every invoice and every
deduction, and payable = invoices - deductions to the cent.

The run is a background job (`SETTLEMENT_RUN`), idempotent: it runs in one unit of work
(a crash keeps nothing), each vendor's invoices are taken under their row locks only
while `settlement_id IS NULL`, and the unique (vendor_id, through) lets one settlement
per vendor and date exist however often the run is asked for or retried."""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlalchemy import select

from gpo import audit, jobs
from gpo.accounts.models import Organization, Vendor
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.contracts.models import Contract
from gpo.db import Paged, db, flush_unless_duplicate, paged, utcnow
from gpo.errors import Conflict, Invalid
from gpo.money import format_dollars, percent_of_cents
from gpo.notifications import outbox
from gpo.orders.models import PurchaseOrder
from gpo.payables.models import SettlementDeduction, VendorInvoice, VendorSettlement

SETTLEMENT_RUN = "payables.settlement_run"


class SettlementRequest(TypedDict, total=False):
    """POST /vendor-settlements (SettlementRequestSchema)."""

    through: dt.date
    vendor_id: int | None


class SettlementFilters(TypedDict, total=False):
    vendor_id: int
    status: str


def today() -> dt.date:
    """Invoices are issued on calendar dates, read in UTC."""
    return utcnow().date()


def _settleable(through: dt.date, vendor_id: int | None = None):
    """Approved invoices nobody settled yet, issued on or before `through`."""
    stmt = select(VendorInvoice).where(VendorInvoice.status == "approved", VendorInvoice.settlement_id.is_(None),
                                       VendorInvoice.issued_on <= through)
    if vendor_id is not None:
        stmt = stmt.where(VendorInvoice.vendor_id == vendor_id)
    return stmt


def vendors_to_settle(through: dt.date, vendor_id: int | None = None) -> list[int]:
    """Vendors with settleable invoices that have no settlement for `through` yet."""
    done = select(VendorSettlement.vendor_id).where(VendorSettlement.through == through)
    stmt = _settleable(through, vendor_id).where(VendorInvoice.vendor_id.not_in(done))
    return sorted(db.session.scalars(stmt.with_only_columns(VendorInvoice.vendor_id).distinct()).all())


def request_settlement(principal: Principal, data: SettlementRequest) -> jobs.Job:
    """Ask for a settlement run through a date (MSO finance): refused before anything is
    written when no vendor has approved, unsettled invoices issued by then (422), or
    when those it has are waiting for a settlement already made for that date (409)."""
    policy.authorize(principal, "vendor_settlement.create")
    through, vendor_id = data["through"], data.get("vendor_id")
    if through > today():
        raise Invalid.of_field("through", f"a settlement pays invoices issued by a day that has begun: {through} "
                                          f"is after today ({today()})")
    if vendor_id is not None and db.session.get(Vendor, vendor_id) is None:
        raise Invalid.of_field("vendor_id", f"vendor {vendor_id} does not exist")
    if not vendors_to_settle(through, vendor_id):
        waiting = db.session.scalar(_settleable(through, vendor_id).with_only_columns(VendorInvoice.id).limit(1))
        if waiting is not None:
            raise Conflict(f"the vendor is already settled through {through}: invoices approved since wait for a "
                           "settlement through a later date", {"json": {"through": ["already settled through this date"]}})
        whom = f" for vendor {vendor_id}" if vendor_id is not None else ""
        raise Invalid.of_field("through", f"nothing approved to settle through {through}{whom}")
    job = jobs.enqueue(SETTLEMENT_RUN, principal, through=through.isoformat(), vendor_id=vendor_id,
                       requested_by=principal.label)
    job.args = {**job.args, "job_id": job.id}
    audit.record(principal, "vendor_settlement.request", job,
                 details={"through": through.isoformat(), "vendor_id": vendor_id})
    return job


def run_settlements(through: str, vendor_id: int | None, requested_by: str, job_id: int | None = None) -> dict:
    """The run's job: one settlement per vendor with settleable invoices (nothing twice)."""
    on = dt.date.fromisoformat(through)
    made = [s for v in vendors_to_settle(on, vendor_id) if (s := settle_vendor(v, on, requested_by, job_id))]
    ids = db.session.scalars(select(VendorSettlement.id).where(
        VendorSettlement.through == on, *([VendorSettlement.vendor_id == vendor_id] if vendor_id else []))
        .order_by(VendorSettlement.id)).all()
    return {"through": through, "created": len(made), "settlements": list(ids)}


def settle_vendor(vendor_id: int, through: dt.date, requested_by: str, job_id: int | None = None):
    """The vendor's settlement through the date, or None when there is nothing left to
    settle (a run before this one, or racing it, took the invoices) or it exists."""
    invoices = db.session.scalars(_settleable(through, vendor_id).order_by(VendorInvoice.id)
                                  .with_for_update().execution_options(populate_existing=True)).all()
    if not invoices:
        return None
    settlement = VendorSettlement(vendor_id=vendor_id, through=through, status="pending", requested_by=requested_by,
                                  job_id=job_id, invoices_cents=0, deductions_cents=0, payable_cents=0)
    if not flush_unless_duplicate(settlement):
        return None
    contracts = _contracts_of(invoices)
    deductions = []
    for invoice in invoices:
        invoice.settlement_id = settlement.id
        contract = contracts[invoice.purchase_order_id]
        if contract.admin_fee_settlement == "netted":
            percent = contract.admin_fee_percent or 0
            deductions.append(SettlementDeduction(
                settlement_id=settlement.id, vendor_invoice_id=invoice.id, contract_id=contract.id,
                goods_cents=invoice.goods_cents, admin_fee_percent=percent,
                amount_cents=percent_of_cents(invoice.goods_cents, percent)))
    db.session.add_all(deductions)
    settlement.invoices_cents = sum(i.total_cents for i in invoices)
    settlement.deductions_cents = sum(d.amount_cents for d in deductions)
    settlement.payable_cents = settlement.invoices_cents - settlement.deductions_cents
    db.session.flush()
    audit.record(SYSTEM, "vendor_settlement.create", settlement, details={
        "through": through.isoformat(), "invoices": len(invoices), "invoices_cents": settlement.invoices_cents,
        "deductions_cents": settlement.deductions_cents, "payable_cents": settlement.payable_cents})
    return settlement


def _contracts_of(invoices) -> dict[int, Contract]:
    """Purchase order id -> its contract (one contract per purchase order)."""
    rows = db.session.execute(select(PurchaseOrder.id, Contract).join(Contract, Contract.id == PurchaseOrder.contract_id)
                              .where(PurchaseOrder.id.in_({i.purchase_order_id for i in invoices}))).all()
    return {po_id: contract for po_id, contract in rows}


# --- reading and sending -------------------------------------------------------------------


def list_settlements(principal: Principal, filters: SettlementFilters, page: int, page_size: int) -> Paged:
    """Newest first (MSO finance: every vendor's; a vendor admin: its own)."""
    policy.authorize(principal, "vendor_settlement.read")
    stmt = policy.scope(principal, select(VendorSettlement), VendorSettlement.vendor_id)
    for name in ("vendor_id", "status"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(VendorSettlement, name) == filters[name])
    return paged(stmt.order_by(VendorSettlement.through.desc(), VendorSettlement.id.desc()), page, page_size)


def get_settlement(principal: Principal, settlement_id: int) -> VendorSettlement:
    return policy.load(principal, VendorSettlement, settlement_id, "vendor_settlement.read")


def mark_sent(principal: Principal, settlement_id: int, bank_reference: str) -> VendorSettlement:
    """pending -> sent with the payment's bank reference (MSO finance); once (409)."""
    settlement = policy.load(principal, VendorSettlement, settlement_id, "vendor_settlement.send", for_update=True)
    if settlement.status != "pending":
        raise Conflict(f"settlement {settlement.id} is already sent (bank reference {settlement.bank_reference})")
    settlement.status, settlement.bank_reference = "sent", bank_reference
    settlement.sent_at, settlement.sent_by = utcnow(), principal.label
    db.session.flush()
    audit.record(principal, "vendor_settlement.send", settlement, details={"bank_reference": bank_reference,
                                                                          "payable_cents": settlement.payable_cents})
    outbox.emit(
        "settlement.sent", settlement, vendor_id=settlement.vendor_id,
        summary=(f"Settlement {settlement.id} of {vendor_names([settlement.vendor_id])[settlement.vendor_id]} through "
                 f"{settlement.through.isoformat()} sent: {format_dollars(settlement.payable_cents)} "
                 f"(bank reference {bank_reference})"),
        data={"vendor_settlement_id": settlement.id, "through": settlement.through.isoformat(),
              "invoices_cents": settlement.invoices_cents, "deductions_cents": settlement.deductions_cents,
              "payable_cents": settlement.payable_cents, "bank_reference": bank_reference})
    return settlement


def vendor_names(ids) -> dict[int, str]:
    return dict(db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(set(ids)))).all())


def summary(settlement: VendorSettlement, names: dict[int, str] | None = None) -> dict:
    """A settlement's facts (a list's row)."""
    names = names if names is not None else vendor_names([settlement.vendor_id])
    return {"id": settlement.id, "vendor_id": settlement.vendor_id, "vendor_name": names.get(settlement.vendor_id, ""),
            "through": settlement.through, "status": settlement.status, "invoices_cents": settlement.invoices_cents,
            "deductions_cents": settlement.deductions_cents, "payable_cents": settlement.payable_cents,
            "bank_reference": settlement.bank_reference, "sent_at": settlement.sent_at, "sent_by": settlement.sent_by,
            "requested_by": settlement.requested_by, "job_id": settlement.job_id, "created_at": settlement.created_at}


def rows(result: Paged) -> list[dict]:
    names = vendor_names(s.vendor_id for s in result.items)
    return [summary(s, names) for s in result.items]


def advice(settlement: VendorSettlement) -> dict:
    """The settlement with its remittance advice: each invoice it pays, each fee netted."""
    invoices = db.session.scalars(select(VendorInvoice).where(VendorInvoice.settlement_id == settlement.id)
                                  .order_by(VendorInvoice.issued_on, VendorInvoice.id)).all()
    numbers = {i.id: i.number for i in invoices}
    titles = dict(db.session.execute(select(Contract.id, Contract.title).where(
        Contract.id.in_({d.contract_id for d in settlement.deductions}))).all())
    return {**summary(settlement), "invoices": [
        {"vendor_invoice_id": i.id, "number": i.number, "purchase_order_id": i.purchase_order_id,
         "issued_on": i.issued_on, "goods_cents": i.goods_cents, "freight_cents": i.freight_cents,
         "tax_cents": i.tax_cents, "total_cents": i.total_cents} for i in invoices],
        "deductions": [
        {"vendor_invoice_id": d.vendor_invoice_id, "number": numbers.get(d.vendor_invoice_id, ""),
         "contract_id": d.contract_id, "contract_title": titles.get(d.contract_id, ""), "goods_cents": d.goods_cents,
         "admin_fee_percent": d.admin_fee_percent, "amount_cents": d.amount_cents} for d in settlement.deductions]}


# The advice as CSV: one row per invoice (its total), one per deduction (negative), and
# the payable: the amounts of the invoice and deduction rows add up to it.
ADVICE_COLUMNS = ["line", "vendor_invoice_id", "invoice_number", "issued_on", "purchase_order_id", "contract_id",
                  "goods_cents", "freight_cents", "tax_cents", "admin_fee_percent", "amount_cents"]


def advice_rows(detail: dict) -> list[dict]:
    out = [{"line": "invoice", "vendor_invoice_id": i["vendor_invoice_id"], "invoice_number": i["number"],
            "issued_on": i["issued_on"], "purchase_order_id": i["purchase_order_id"], "goods_cents": i["goods_cents"],
            "freight_cents": i["freight_cents"], "tax_cents": i["tax_cents"], "amount_cents": i["total_cents"]}
           for i in detail["invoices"]]
    out += [{"line": "admin_fee_netted", "vendor_invoice_id": d["vendor_invoice_id"], "invoice_number": d["number"],
             "contract_id": d["contract_id"], "goods_cents": d["goods_cents"],
             "admin_fee_percent": d["admin_fee_percent"], "amount_cents": -d["amount_cents"]}
            for d in detail["deductions"]]
    out.append({"line": "payable", "amount_cents": detail["payable_cents"]})
    return out
