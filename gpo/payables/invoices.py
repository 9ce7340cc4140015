"""Vendor invoices and the three-way match (DOMAIN.md "After the close"): a vendor (its
user or API key) invoices one of its purchase orders; each line is matched against the
line's contract price (`rules.price_match`, with MATCH_TOLERANCE_CENTS) and, counted
over the vendor's invoices by id, against the good units received
(`rules.quantity_match`). An invoice whose lines all match is approved at once and its
freight, tax and favourable differences go back to the practices (`pass_through`);
otherwise MSO finance disputes it or approves it with a reason (audited). Receipts
re-match the purchase order's open invoices (`rematch`, a RECEIVE step).

Concurrency: a line's `invoiced_quantity` (units on counted invoices) never exceeds
what it may deliver. Submissions lock the purchase-order lines FOR UPDATE in id order
before reading it, so two invoices for the same units queue and the second is refused
(422); the database's check on the column is the backstop. The unique (vendor, number)
refuses a duplicate number (409) whatever path led to it. Lock order everywhere:
purchase-order lines, then vendor invoices (by id), then the practices' invoices."""
from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.db import Paged, db, paged, utcnow
from gpo.errors import Conflict, Invalid, NotFound
from gpo.money import format_dollars
from gpo.notifications import outbox
from gpo.orders.models import PurchaseOrder, PurchaseOrderLine
from gpo.payables import rules
from gpo.payables.models import COUNTED_STATUSES, VendorInvoice, VendorInvoiceLine, VendorInvoiceTax
from gpo.receiving.models import ReceiptLine

OPEN_STATUSES = ("pending_receipt", "exception")  # re-matched by receipts, decided by MSO finance


class InvoicedLine(TypedDict):
    po_line_id: int
    quantity: int
    unit_price: object


class InvoicedTax(TypedDict):
    location_id: int
    tax_cents: int


class VendorInvoiceInput(TypedDict):
    """POST /vendors/{id}/invoices (VendorInvoiceInSchema)."""

    number: str
    purchase_order_id: int
    issued_on: dt.date
    lines: list[InvoicedLine]
    freight_cents: int
    tax: list[InvoicedTax]
    replaces_invoice_id: NotRequired[int | None]


class VendorInvoiceFilters(TypedDict, total=False):
    vendor_id: int
    status: str


def _lock_lines(ids) -> dict[int, PurchaseOrderLine]:
    rows = db.session.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.id.in_(sorted(set(ids))))
                              .order_by(PurchaseOrderLine.id).with_for_update()
                              .execution_options(populate_existing=True)).all()
    return {line.id: line for line in rows}


def _lock_invoice(invoice_id: int) -> VendorInvoice | None:
    return db.session.scalars(select(VendorInvoice).where(VendorInvoice.id == invoice_id).with_for_update()
                              .execution_options(populate_existing=True)).one_or_none()


def _refuse(errors: dict) -> None:
    if errors:
        first = next(iter(errors.values()))
        while isinstance(first, dict):
            first = next(iter(first.values()))
        raise Invalid(first[0], {"json": errors})


def _check(po: PurchaseOrder, data: VendorInvoiceInput) -> None:
    """Lines of this purchase order, each once; tax for its ship-to locations, each once."""
    errors: dict = {}
    by_id = {line.id: line for line in po.lines}
    seen = set()
    for i, item in enumerate(data["lines"]):
        if item["po_line_id"] not in by_id:
            errors.setdefault("lines", {})[str(i)] = {"po_line_id": [
                f"line {item['po_line_id']} is not a line of purchase order {po.id}"]}
        elif item["po_line_id"] in seen:
            errors.setdefault("lines", {})[str(i)] = {"po_line_id": [
                f"line {item['po_line_id']} is invoiced twice: each line at most once per invoice"]}
        seen.add(item["po_line_id"])
    locations = {line.location_id for line in po.lines}
    taxed = set()
    for i, item in enumerate(data["tax"]):
        if item["location_id"] not in locations:
            errors.setdefault("tax", {})[str(i)] = {"location_id": [
                f"location {item['location_id']} is not a ship-to location of purchase order {po.id}"]}
        elif item["location_id"] in taxed:
            errors.setdefault("tax", {})[str(i)] = {"location_id": [
                f"location {item['location_id']} is taxed twice: once per location"]}
        taxed.add(item["location_id"])
    _refuse(errors)


def _replaced(vendor_id: int, po: PurchaseOrder, invoice_id: int | None) -> VendorInvoice | None:
    if invoice_id is None:
        return None
    old = db.session.get(VendorInvoice, invoice_id)
    if old is None or old.vendor_id != vendor_id or old.purchase_order_id != po.id:
        raise Invalid.of_field("replaces_invoice_id", f"vendor invoice {invoice_id} is not one of yours "
                               f"for purchase order {po.id}")
    return old


def submit(principal: Principal, vendor_id: int, data: VendorInvoiceInput) -> VendorInvoice:
    """The vendor invoices one of its purchase orders. Refused, with nothing written:
    another vendor's purchase order (404), a line not on it, a line twice, tax for a
    location it does not ship to (422), more units than a line may deliver counting the
    vendor's other invoices (422), a number already used (409), replacing an invoice
    that is not disputed (409)."""
    vendor = policy.load(principal, Vendor, vendor_id, "vendor_invoice.create")
    po = db.session.get(PurchaseOrder, data["purchase_order_id"])
    if po is None or po.vendor_id != vendor.id:
        raise NotFound(f"purchase order {data['purchase_order_id']} not found")
    _check(po, data)
    old = _replaced(vendor.id, po, data.get("replaces_invoice_id"))
    line_ids = [item["po_line_id"] for item in data["lines"]] + ([x.purchase_order_line_id for x in old.lines] if old else [])
    po_lines = _lock_lines(line_ids)
    if old is not None:
        old = _lock_invoice(old.id)
        if old.status != "disputed":
            raise Conflict(f"vendor invoice {old.number} is {old.status}: only a disputed invoice is replaced")
        old.status = "replaced"
        for line in old.lines:  # its units stop counting
            po_lines[line.purchase_order_line_id].invoiced_quantity -= line.quantity
    errors = {}
    for i, item in enumerate(data["lines"]):
        po_line = po_lines[item["po_line_id"]]
        after = po_line.invoiced_quantity + item["quantity"]
        if after > po_line.deliverable:
            errors[str(i)] = {"quantity": [
                f"line {po_line.id}: {item['quantity']} more would bring {after} units invoiced, beyond the "
                f"{po_line.deliverable} it may deliver ({po_line.invoiced_quantity} invoiced already)"]}
        po_line.invoiced_quantity = after
    _refuse({"lines": errors} if errors else {})
    tolerance = current_app.config["MATCH_TOLERANCE_CENTS"]
    invoice = VendorInvoice(vendor_id=vendor.id, purchase_order_id=po.id, number=data["number"],
                            issued_on=data["issued_on"], status="pending_receipt", freight_cents=data["freight_cents"],
                            submitted_by=principal.label, replaces_invoice_id=old.id if old else None)
    for item in data["lines"]:
        po_line = po_lines[item["po_line_id"]]
        price = rules.price_match(po_line.unit_price, item["unit_price"], item["quantity"], tolerance)
        invoice.lines.append(VendorInvoiceLine(
            purchase_order_line_id=po_line.id, quantity=item["quantity"], unit_price=item["unit_price"],
            line_cents=price.line_cents, contract_price=po_line.unit_price, contract_cents=price.contract_cents,
            price_difference_cents=price.difference_cents, price_result=price.result,
            quantity_result="pending_receipt", excess_quantity=0))
    invoice.taxes = [VendorInvoiceTax(location_id=t["location_id"], tax_cents=t["tax_cents"]) for t in data["tax"]]
    invoice.goods_cents = sum(line.line_cents for line in invoice.lines)
    invoice.tax_cents = sum(t.tax_cents for t in invoice.taxes)
    invoice.total_cents = invoice.goods_cents + invoice.freight_cents + invoice.tax_cents
    invoice.exception_cents = sum(x.price_difference_cents for x in invoice.lines if x.price_result == "exception")
    invoice.favourable_cents = -sum(x.price_difference_cents for x in invoice.lines if x.price_result == "below")
    db.session.flush()
    try:
        with db.session.begin_nested():  # the unique (vendor, number) decides a duplicate
            db.session.add(invoice)
            db.session.flush()
    except IntegrityError:
        raise Conflict(f"invoice number {data['number']} is already used by {vendor.name}") from None
    audit.record(principal, "vendor_invoice.create", invoice, details={
        "number": invoice.number, "purchase_order_id": po.id, "total_cents": invoice.total_cents,
        "replaces_invoice_id": invoice.replaces_invoice_id})
    _rematch(po.id, principal)
    db.session.flush()
    return invoice


# --- the match -----------------------------------------------------------------------


def _invoiced_up_to(invoice: VendorInvoice) -> dict[int, int]:
    """Per line of the invoice: units on the vendor's counted invoices up to and including it."""
    ids = [line.purchase_order_line_id for line in invoice.lines]
    rows = db.session.execute(
        select(VendorInvoiceLine.purchase_order_line_id, func.sum(VendorInvoiceLine.quantity))
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.vendor_invoice_id)
        .where(VendorInvoiceLine.purchase_order_line_id.in_(ids), VendorInvoice.status.in_(COUNTED_STATUSES),
               VendorInvoice.id <= invoice.id)
        .group_by(VendorInvoiceLine.purchase_order_line_id)).all()
    return {line_id: int(units) for line_id, units in rows}


def _receipted(line_ids) -> dict[int, int]:
    """Per purchase-order line: units shipped that a receipt accounted for (good, damaged or missing)."""
    rows = db.session.execute(
        select(ReceiptLine.purchase_order_line_id, func.sum(ReceiptLine.shipped_quantity))
        .where(ReceiptLine.purchase_order_line_id.in_(list(line_ids)))
        .group_by(ReceiptLine.purchase_order_line_id)).all()
    return {line_id: int(units) for line_id, units in rows}


def _match_quantities(invoice: VendorInvoice) -> None:
    po_lines = {line.id: line for line in db.session.get(PurchaseOrder, invoice.purchase_order_id).lines}
    so_far = _invoiced_up_to(invoice)
    receipted = _receipted(so_far)
    for line in invoice.lines:
        po_line = po_lines[line.purchase_order_line_id]
        arriving = rules.may_still_arrive(po_line.shipped_quantity, receipted.get(po_line.id, 0), po_line.deliverable)
        match = rules.quantity_match(so_far.get(po_line.id, line.quantity), po_line.received_quantity, arriving)
        line.quantity_result, line.excess_quantity = match.result, match.excess_quantity


def _rematch(purchase_order_id: int, principal: Principal) -> list[VendorInvoice]:
    """Re-match the purchase order's open invoices, oldest first (an older invoice's
    units come first); those now matched in full are approved and passed through."""
    from gpo.payables.pass_through import pass_through

    open_invoices = db.session.scalars(
        select(VendorInvoice).where(VendorInvoice.purchase_order_id == purchase_order_id,
                                    VendorInvoice.status.in_(OPEN_STATUSES))
        .order_by(VendorInvoice.id).with_for_update().execution_options(populate_existing=True)).all()
    approved = []
    for invoice in open_invoices:
        _match_quantities(invoice)
        status = rules.invoice_status([x.price_result for x in invoice.lines], [x.quantity_result for x in invoice.lines])
        if status == "approved":
            invoice.status, invoice.approved_at = "approved", utcnow()
            audit.record(principal, "vendor_invoice.matched", invoice, details={"number": invoice.number})
            pass_through(invoice)
            approved.append(invoice)
            _tell_vendor("vendor_invoice.approved", invoice, approved_by="match")
        else:
            landed = status == "exception" and invoice.status != "exception"  # told once per stay
            invoice.status = status
            if landed:
                _tell_vendor("vendor_invoice.exception", invoice)
    db.session.flush()
    return approved


def rematch(purchase_order_id: int, line_ids: list[int]) -> None:
    """The RECEIVE step: receipts changed these lines' good units (the caller holds
    their row locks), so the purchase order's pending and exception invoices are
    matched again; an invoice matched in full is approved automatically."""
    _rematch(purchase_order_id, SYSTEM)


# --- MSO finance decides -------------------------------------------------------------


def _decide(principal: Principal, invoice_id: int, action: str) -> VendorInvoice:
    invoice = policy.load(principal, VendorInvoice, invoice_id, "vendor_invoice.decide", for_update=True)
    if invoice.status not in OPEN_STATUSES:
        raise Conflict(f"vendor invoice {invoice.number} is {invoice.status}: only an invoice with an exception "
                       f"or waiting for a receipt is {action}")
    return invoice


def dispute(principal: Principal, invoice_id: int, reason: str) -> VendorInvoice:
    """MSO finance sends an open invoice back to the vendor, who answers with a
    corrected invoice that replaces it. Twice, or a decided invoice: 409."""
    invoice = _decide(principal, invoice_id, "disputed")
    invoice.status, invoice.decided_by, invoice.decided_at = "disputed", principal.label, utcnow()
    invoice.decision_reason = reason
    audit.record(principal, "vendor_invoice.dispute", invoice, details={
        "number": invoice.number, "reason": reason, "exception_cents": invoice.exception_cents})
    db.session.flush()
    return invoice


def approve(principal: Principal, invoice_id: int, reason: str) -> VendorInvoice:
    """MSO finance approves an open invoice over its exceptions (or before its receipts)
    with a reason, audited; its freight, tax and favourable differences go back to the
    practices. Twice, or a decided invoice: 409."""
    from gpo.payables.pass_through import pass_through

    invoice = _decide(principal, invoice_id, "approved")
    now = utcnow()
    invoice.status, invoice.decided_by, invoice.decided_at, invoice.approved_at = "approved", principal.label, now, now
    invoice.decision_reason = reason
    audit.record(principal, "vendor_invoice.approve", invoice, details={
        "number": invoice.number, "reason": reason, "exception_cents": invoice.exception_cents,
        "over": sorted({x.price_result for x in invoice.lines if x.price_result == "exception"}
                       | {x.quantity_result for x in invoice.lines if x.quantity_result != "matched"})})
    pass_through(invoice)
    db.session.flush()
    _tell_vendor("vendor_invoice.approved", invoice, approved_by="mso_finance")
    return invoice


def _tell_vendor(event_type: str, invoice: VendorInvoice, approved_by: str | None = None) -> None:
    """vendor_invoice.approved (matched in full, or by MSO finance over its exceptions:
    `approved_by` "match" or "mso_finance"; it will be settled) or
    vendor_invoice.exception (above the contract price, or more units than can arrive)."""
    vendor = db.session.get(Vendor, invoice.vendor_id).name
    data = {"vendor_invoice_id": invoice.id, "invoice_number": invoice.number,
            "purchase_order_id": invoice.purchase_order_id, "total_cents": invoice.total_cents,
            "exception_cents": invoice.exception_cents}
    if approved_by is not None:
        how = "matched" if approved_by == "match" else "approved by MSO finance"
        what = f"{how}: {format_dollars(invoice.total_cents)} to be settled"
        data["approved_by"] = approved_by
    else:
        data["reasons"] = _exception_reasons(invoice)
        what = "in exception: " + " and ".join(
            (f"{format_dollars(invoice.exception_cents)} above the contract price" if reason == "price"
             else "more units invoiced than can arrive") for reason in data["reasons"])
    outbox.emit(event_type, invoice, vendor_id=invoice.vendor_id,
                summary=f"{vendor}'s invoice {invoice.number} for purchase order {invoice.purchase_order_id} is {what}",
                data=data)


def _exception_reasons(invoice: VendorInvoice) -> list[str]:
    """Why an invoice is in exception: "price", "quantity" or both."""
    return [reason for reason, result in (("price", [x.price_result for x in invoice.lines]),
                                          ("quantity", [x.quantity_result for x in invoice.lines]))
            if "exception" in result]


# --- reading -------------------------------------------------------------------------

# Exceptions first, then what waits for receipts, then the rest; newest first within.
_STATUS_ORDER = case({"exception": 0, "pending_receipt": 1, "disputed": 2, "approved": 3, "replaced": 4},
                     value=VendorInvoice.status, else_=5)


def vendor_invoice_query(principal: Principal, filters: VendorInvoiceFilters):
    policy.authorize(principal, "vendor_invoice.read")
    stmt = policy.scope(principal, select(VendorInvoice), VendorInvoice.vendor_id)
    for name in ("vendor_id", "status"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(VendorInvoice, name) == filters[name])
    return stmt


def list_vendor_invoices(principal: Principal, filters: VendorInvoiceFilters, page: int, page_size: int,
                         exceptions_first: bool = False) -> Paged:
    """Vendor invoices, newest first (a vendor: its own; MSO: all), or exceptions first."""
    order = (_STATUS_ORDER, VendorInvoice.id.desc()) if exceptions_first else (VendorInvoice.id.desc(),)
    return paged(vendor_invoice_query(principal, filters).order_by(*order), page, page_size)


def get_vendor_invoice(principal: Principal, invoice_id: int) -> VendorInvoice:
    return policy.load(principal, VendorInvoice, invoice_id, "vendor_invoice.read")


def count_by_status(principal: Principal) -> dict[str, int]:
    stmt = vendor_invoice_query(principal, {}).with_only_columns(VendorInvoice.status, func.count())
    return dict(db.session.execute(stmt.group_by(VendorInvoice.status)).all())
