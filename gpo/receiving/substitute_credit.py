"""A credited claim on an approved substitute's purchase-order line. Such a line pools
no order lines (`pooled_lines` is empty for it: its goods are billed by the invoice
line whose `substitution_id` names the substitution), so `cut_units` finds nothing to
cut; the practice's credit goes through that invoice line instead:

- on a draft purchasing invoice: the line keeps fewer units (or leaves), and the
  invoice's service fee and totals are figured again;
- on an issued document (the purchasing invoice, or the credit note that billed the
  substitute after it was issued): a credit note on the issued purchasing invoice for
  the goods at the substitute's price plus the service fee on them.

The purchase-order line's `line_cents` stays the substitute's goods still billed."""
from __future__ import annotations

from sqlalchemy import func, select

from gpo.auth.principal import SYSTEM
from gpo.billing.invoices import issue_credit_note, left_to_credit
from gpo.billing.models import FINALIZED_STATUSES, Invoice, InvoiceLine
from gpo.billing.purchasing import _refresh_totals  # billing's own totals rule (no public name yet)
from gpo.catalog.models import Product
from gpo.db import db, lock_row
from gpo.money import line_cents, percent_of_cents
from gpo.orders.models import PurchaseOrderLine, Substitution
from gpo.receiving.models import Claim


def _credited_units(po_line: PurchaseOrderLine) -> int:
    """Units of the line credited by claims (this one included: its status is set)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Claim.damaged_quantity + Claim.missing_quantity), 0))
                                 .where(Claim.purchase_order_line_id == po_line.id, Claim.status == "credited")))


def credit_substitute(po_line: PurchaseOrderLine, units: int, reason: str) -> int:
    """Credit `units` of a substitute's line to its practice; returns the units credited
    (0 when no live invoice line bills the substitute: nothing was charged)."""
    substitution = db.session.scalars(select(Substitution).where(Substitution.substitute_line_id == po_line.id)).one()
    billed = db.session.execute(
        select(InvoiceLine, Invoice).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.substitution_id == substitution.id, Invoice.status != "void")).first()
    if billed is None:
        return 0
    line, document = billed
    keep = max(0, po_line.quantity - _credited_units(po_line))
    before, after = line_cents(po_line.unit_price, min(po_line.quantity, keep + units)), line_cents(po_line.unit_price, keep)
    po_line.line_cents = after
    if document.status == "draft":
        _drop_from_draft(line, document, keep, after)
    elif document.status in FINALIZED_STATUSES:
        target = lock_row(Invoice, document.corrects_invoice_id if document.kind == "credit" else document.id)
        _credit_note(target, line, before - after, reason)
    db.session.flush()
    return units


def _drop_from_draft(line: InvoiceLine, invoice: Invoice, keep: int, amount_cents: int) -> None:
    if keep == 0:
        db.session.delete(line)
    else:
        line.quantity, line.amount_cents = keep, amount_cents
        if line.list_cents is not None and line.product_id is not None:
            line.list_cents = line_cents(db.session.get(Product, line.product_id).list_price, keep)
            line.savings_cents = line.list_cents - amount_cents
    db.session.flush()
    _refresh_totals(invoice.cycle_id, [invoice.practice_id])


def _credit_note(invoice: Invoice, line: InvoiceLine, goods_cents: int, reason: str) -> None:
    """A credit note on the issued purchasing invoice: the goods and the service fee on
    them (the fee difference, as billing credits a refusal), never beyond what is left."""
    if goods_cents <= 0:
        return
    lines = [{"kind": "adjustment", "description": f"{reason}: {line.description}"[:300],
              "contract_id": line.contract_id, "vendor_id": line.vendor_id, "product_id": line.product_id,
              "category": line.category, "order_line_id": None, "amount_cents": -goods_cents}]
    # the goods billed so far: the invoice's own, and what its credit notes added or took back
    corrections = db.session.scalar(
        select(func.coalesce(func.sum(InvoiceLine.amount_cents), 0)).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.corrects_invoice_id == invoice.id, InvoiceLine.kind.in_(("product", "adjustment")),
               InvoiceLine.contract_id.is_not(None)))
    goods_before = sum(x.amount_cents for x in invoice.lines if x.kind == "product") + int(corrections)
    if invoice.service_fee_percent:
        fee_delta = (percent_of_cents(goods_before - goods_cents, invoice.service_fee_percent)
                     - percent_of_cents(goods_before, invoice.service_fee_percent))
        if fee_delta:
            lines.append({"kind": "service_fee", "amount_cents": fee_delta,
                          "description": f"MSO service fee {invoice.service_fee_percent.normalize():f}% on those units"})
    left = left_to_credit(invoice)
    if -sum(x["amount_cents"] for x in lines) > left:
        lines = [{**lines[0], "description": f"{reason} (capped at what is left to credit)", "amount_cents": -left}] \
            if left else []
    if lines:
        issue_credit_note(SYSTEM, invoice, lines, f"{reason}, after {invoice.number}")
