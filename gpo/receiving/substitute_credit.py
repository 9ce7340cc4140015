"""A credited claim on an approved substitute's purchase-order line. Such a line pools
no order lines (`pooled_lines` is empty for it: its goods are billed by the invoice
line whose `substitution_id` names the substitution), so `cut_units` finds nothing to
cut; the practice's credit goes through that invoice line instead:

- on a draft purchasing invoice: the line keeps fewer units (or leaves), and the
  invoice's service fee and totals are figured again;
- on an issued document (the purchasing invoice, or the credit note that billed the
  substitute after it was issued): a credit note on the issued purchasing invoice for
  the goods at the substitute's price plus the service fee on them;
- approved after the invoice was issued at no net cost (a same-price substitute: no
  line names it, the issued invoice's original units bill it): the same credit note.

The purchasing invoice is locked first, in finalize's order (orders, then invoice), so
a credit racing finalize waits for it and then sees the invoice issued.

The purchase-order line's `line_cents` stays the substitute's goods still billed."""
from __future__ import annotations

from sqlalchemy import func, select

from gpo.auth.principal import SYSTEM
from gpo.billing.invoices import issue_credit_note, left_to_credit
from gpo.billing.models import FINALIZED_STATUSES, Invoice, InvoiceLine
from gpo.billing.purchasing import _refresh_totals  # billing's own totals rule (no public name yet)
from gpo.billing.purchasing import source_key as purchasing_source_key
from gpo.catalog.models import Product
from gpo.db import db, lock_row
from gpo.money import line_cents, percent_of_cents
from gpo.orders.models import Order, PurchaseOrder, PurchaseOrderLine, Substitution
from gpo.receiving.models import Claim


def _credited_units(po_line: PurchaseOrderLine) -> int:
    """Units of the line credited by claims (this one included: its status is set)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Claim.damaged_quantity + Claim.missing_quantity), 0))
                                 .where(Claim.purchase_order_line_id == po_line.id, Claim.status == "credited")))


def credit_substitute(po_line: PurchaseOrderLine, units: int, reason: str) -> int:
    """Credit `units` of a substitute's line to its practice; returns the units credited
    (0 when nothing bills the substitute: nothing was charged)."""
    substitution = db.session.scalars(select(Substitution).where(Substitution.substitute_line_id == po_line.id)).one()
    cycle_id = db.session.get(PurchaseOrder, po_line.purchase_order_id).cycle_id
    purchasing = _lock_purchasing(cycle_id, substitution.practice_id)
    billed = db.session.execute(
        select(InvoiceLine, Invoice).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.substitution_id == substitution.id, Invoice.status != "void")).first()
    if billed is None and not _swapped_after_issue(substitution, purchasing):
        return 0
    keep = max(0, po_line.quantity - _credited_units(po_line))
    before, after = line_cents(po_line.unit_price, min(po_line.quantity, keep + units)), line_cents(po_line.unit_price, keep)
    po_line.line_cents = after
    if billed is None:
        # Approved after the invoice was issued at no net cost: the issued invoice's
        # original units bill the substitute, so the credit goes against it.
        product = db.session.get(Product, po_line.product_id)
        _credit_note(purchasing, {"description": f"{product.sku} {product.name} (substitute)",
                                  "contract_id": db.session.get(PurchaseOrder, po_line.purchase_order_id).contract_id,
                                  "vendor_id": product.vendor_id, "product_id": product.id,
                                  "category": product.category}, before - after, reason)
    else:
        line, document = billed
        if document.status == "draft":
            _drop_from_draft(line, document, keep, after)
        elif document.status in FINALIZED_STATUSES:
            # the purchasing invoice, or the one the credit note billing the substitute corrects
            target = purchasing if purchasing is not None else lock_row(Invoice, document.corrects_invoice_id or document.id)
            _credit_note(target, _billed_as(line), before - after, reason)
    db.session.flush()
    return units


def _lock_purchasing(cycle_id: int, practice_id: int) -> Invoice | None:
    """The practice's purchasing invoice of the cycle, locked in finalize's order (its
    orders of the cycle, then the invoice) and read as it is now: a finalize running
    meanwhile has committed, so its status says whether the draft or a credit note
    takes the credit."""
    db.session.execute(select(Order.id).where(Order.cycle_id == cycle_id, Order.practice_id == practice_id)
                       .order_by(Order.id).with_for_update(key_share=True))
    invoice_id = db.session.scalar(select(Invoice.id).where(
        Invoice.source_key == purchasing_source_key(cycle_id, practice_id)))
    return lock_row(Invoice, invoice_id) if invoice_id is not None else None


def _swapped_after_issue(substitution: Substitution, purchasing: Invoice | None) -> bool:
    """No invoice line bills the substitute because it cost the same (or the net was
    nothing) when approved after the purchasing invoice was issued."""
    return (purchasing is not None and purchasing.status in FINALIZED_STATUSES and purchasing.kind == "purchasing"
            and purchasing.finalized_at is not None and substitution.decided_at >= purchasing.finalized_at)


def _billed_as(line: InvoiceLine) -> dict:
    return {"description": line.description, "contract_id": line.contract_id, "vendor_id": line.vendor_id,
            "product_id": line.product_id, "category": line.category}


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


def _credit_note(invoice: Invoice, billed_as: dict, goods_cents: int, reason: str) -> None:
    """A credit note on the issued purchasing invoice: the goods and the service fee on
    them (the fee difference, as billing credits a refusal), never beyond what is left."""
    if goods_cents <= 0:
        return
    lines = [{**billed_as, "kind": "adjustment", "description": f"{reason}: {billed_as['description']}"[:300],
              "order_line_id": None, "amount_cents": -goods_cents}]
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
