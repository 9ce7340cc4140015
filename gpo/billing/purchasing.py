"""The close's invoicing step and what a vendor's refusal does to invoices
(DOMAIN.md "The close" step 6, "Vendor side").

Set-based like the rest of the close: one INSERT ... SELECT copies every priced order
line of the cycle into its practice's draft invoice; Python only touches one row per
practice (its service fee and totals), never one per line.
"""
from __future__ import annotations

from sqlalchemy import String, and_, cast, delete, func, insert, literal, select, text, update
from sqlalchemy.orm import aliased

from gpo.auth.principal import SYSTEM
from gpo.billing.invoices import issue_credit_note, left_to_credit
from gpo.billing.models import FeeSchedule, Invoice, InvoiceLine
from gpo.catalog.models import Product
from gpo.contracts.models import Contract
from gpo.db import (
    db,
    is_postgresql,
    line_cents_sql,
    lock_row,
    percent_of_cents_sql,
    utcnow,
    whole_as_price_sql,
)
from gpo.money import percent_of_cents
from gpo.orders.models import Cycle, Order, OrderLine, PurchaseOrder, PurchaseOrderLine, Substitution
from gpo.orders.purchase_orders import pooled_lines

SERVICE_FEE = "MSO service fee"
OriginalLine = aliased(PurchaseOrderLine)


def source_key(cycle_id: int, practice_id: int) -> str:
    return f"purchasing:cycle:{cycle_id}:practice:{practice_id}"


def _source_key_sql(cycle_id: int, practice_id):
    """`source_key` in SQL, for a column of practice ids."""
    return literal(f"purchasing:cycle:{cycle_id}:practice:") + cast(practice_id, String)


def draft_purchasing_invoices(cycle_id: int) -> None:
    """One draft purchasing invoice per practice with priced orders in the cycle: its
    priced lines (list, paid, savings per line) and the MSO service fee. Three INSERT ...
    SELECTs, whatever the number of practices: the invoices with their totals, then
    their goods lines, then their fee lines. A practice that has its purchasing invoice
    for the cycle already gets no second one."""
    cycle = db.session.get(Cycle, cycle_id)
    # Ids only grow: the invoices made here are the cycle's purchasing invoices above it.
    last_before = db.session.scalar(select(func.coalesce(func.max(Invoice.id), 0)))
    _insert_invoices(cycle)
    if is_postgresql():
        # Thousands of invoices just appeared: let the planner know before joining a
        # cycle's lines to them (it would otherwise plan for none; the close analyzed the
        # orders and lines it priced).
        db.session.execute(text("ANALYZE invoices"))
    invoices = Invoice.__table__
    made_here = and_(invoices.c.cycle_id == cycle_id, invoices.c.kind == "purchasing", invoices.c.id > last_before)
    db.session.execute(insert(InvoiceLine).from_select(
        ["invoice_id", "kind", "description", "order_line_id", "contract_id", "vendor_id", "product_id", "category",
         "quantity", "unit_price", "list_cents", "amount_cents", "savings_cents"],
        select(invoices.c.id, literal("product"), Product.sku + literal(" ") + Product.name, OrderLine.id,
               OrderLine.contract_id, Product.vendor_id, Product.id, Product.category,
               whole_as_price_sql(OrderLine.accepted_quantity), OrderLine.unit_price, OrderLine.list_cents, OrderLine.line_cents,
               OrderLine.savings_cents)
        .select_from(OrderLine)
        .join(Order, _priced_order(cycle_id))
        .join(Product, Product.id == OrderLine.product_id)
        .join(invoices, and_(made_here, invoices.c.practice_id == Order.practice_id))
        .where(_billed(OrderLine))
    ))
    db.session.execute(insert(InvoiceLine).from_select(
        ["invoice_id", "kind", "description", "amount_cents"],
        select(invoices.c.id, literal("service_fee"), literal(SERVICE_FEE), invoices.c.service_fee_cents)
        .where(made_here, invoices.c.service_fee_cents > 0)))


def _priced_order(cycle_id: int):
    return and_(Order.id == OrderLine.order_id, Order.cycle_id == cycle_id, Order.status == "priced")


def _billed(line):
    """An order line with nothing accepted is not billed."""
    return line.accepted_quantity > 0


def _insert_invoices(cycle: Cycle) -> None:
    """The draft invoices, their amounts computed in the INSERT as `_refresh_totals`
    would from their lines: the goods are the practice's billed line cents, the fee its
    percent of them (rounded half-up once), subtotal and total the two together."""
    goods = (select(Order.practice_id, func.coalesce(func.sum(OrderLine.line_cents), 0).label("cents"))
             .select_from(Order)
             .outerjoin(OrderLine, and_(OrderLine.order_id == Order.id, _billed(OrderLine)))
             .where(Order.cycle_id == cycle.id, Order.status == "priced")
             .group_by(Order.practice_id).subquery())
    invoiced_already = select(Invoice.id).where(
        Invoice.cycle_id == cycle.id, Invoice.kind == "purchasing", Invoice.practice_id == goods.c.practice_id).exists()
    with_percent = (select(goods.c.practice_id, goods.c.cents, _service_fee_percent_sql(goods.c.practice_id).label("percent"))
                    .where(~invoiced_already).subquery())
    fees = select(with_percent, percent_of_cents_sql(with_percent.c.cents, with_percent.c.percent).label("fee")).subquery()
    db.session.execute(insert(Invoice).from_select(
        ["practice_id", "kind", "status", "source_key", "description", "cycle_id", "service_fee_percent",
         "service_fee_cents", "subtotal_cents", "credits_applied_cents", "total_cents", "created_at"],
        select(fees.c.practice_id, literal("purchasing"), literal("draft"),
               _source_key_sql(cycle.id, fees.c.practice_id), literal(f"Purchasing: {cycle.name}"),
               literal(cycle.id), fees.c.percent, fees.c.fee, fees.c.cents + fees.c.fee, literal(0),
               fees.c.cents + fees.c.fee, literal(utcnow(), Invoice.created_at.type))
        .order_by(fees.c.practice_id)))


def _service_fee_percent_sql(practice_id):
    """SQL for a practice's service fee percent as `effective_fees` gives it: its own
    schedule's where set, else the MSO default's, else zero."""
    own = select(FeeSchedule.service_fee_percent).where(FeeSchedule.practice_id == practice_id).scalar_subquery()
    default = select(FeeSchedule.service_fee_percent).where(FeeSchedule.is_default.is_(True)).scalar_subquery()
    return func.coalesce(own, default, literal(0))


def _refresh_totals(cycle_id: int, practice_ids: list[int] | None = None) -> None:
    """Service fee and totals of the cycle's draft purchasing invoices (all of them, or
    these practices'), set-based: the fee line is rebuilt from the goods, rounded
    half-up once, and each invoice's amounts summed from its lines."""
    drafts = select(Invoice.id).where(Invoice.cycle_id == cycle_id, Invoice.kind == "purchasing",
                                      Invoice.status == "draft")
    if practice_ids is not None:
        drafts = drafts.where(Invoice.practice_id.in_(practice_ids))
    db.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(drafts), InvoiceLine.kind == "service_fee"))
    goods = (select(InvoiceLine.invoice_id, func.sum(InvoiceLine.amount_cents).label("cents"))
             .where(InvoiceLine.invoice_id.in_(drafts), InvoiceLine.kind == "product")
             .group_by(InvoiceLine.invoice_id).subquery())
    fee = percent_of_cents_sql(goods.c.cents, Invoice.service_fee_percent)
    db.session.execute(insert(InvoiceLine).from_select(
        ["invoice_id", "kind", "description", "amount_cents"],
        select(Invoice.id, literal("service_fee"), literal(SERVICE_FEE), fee)
        .join(goods, goods.c.invoice_id == Invoice.id)
        .where(Invoice.service_fee_percent > 0, fee > 0)))

    def sum_of(kind=None):
        stmt = select(func.coalesce(func.sum(InvoiceLine.amount_cents), 0)).where(InvoiceLine.invoice_id == Invoice.id)
        return (stmt.where(InvoiceLine.kind == kind) if kind else stmt).scalar_subquery()

    db.session.execute(update(Invoice).where(Invoice.id.in_(drafts)).values(
        service_fee_cents=sum_of("service_fee"), subtotal_cents=sum_of(), credits_applied_cents=0,
        total_cents=sum_of(), version=Invoice.version + 1).execution_options(synchronize_session=False))


def follow_acknowledgement(purchase_order_id: int, line_ids: list[int], reason: str) -> None:
    """Order lines lost units (the vendor refused them, a backorder was cancelled, a
    substitution declined, a claim credited): the practices' draft invoices drop them
    (lines follow their order lines; a line with nothing accepted leaves). An invoice
    already issued is not touched: the practice gets a credit note for what its lines
    billed beyond what their order lines hold now and earlier credit notes gave back,
    its lines saying `reason` ("Refused by Exam gloves 2026")."""
    po = db.session.get(PurchaseOrder, purchase_order_id)
    issued = _follow_drafts(po, _order_line_ids(po, line_ids))
    contract = db.session.get(Contract, po.contract_id)
    for invoice_id, keys in sorted(issued.items()):
        invoice = lock_row(Invoice, invoice_id)
        lines = [line for key in sorted(keys) if (line := _refusal_line(invoice, key, reason)) is not None]
        _issue_correction(invoice, lines, contract, reason)


def _order_line_ids(po: PurchaseOrder, line_ids: list[int]) -> list[int]:
    return [order_line_id for po_line in po.lines if po_line.id in line_ids
            for order_line_id in db.session.scalars(pooled_lines(po, po_line).with_only_columns(OrderLine.id))]


def _follow_drafts(po: PurchaseOrder, order_line_ids: list[int]) -> dict[int, set[tuple[int, int]]]:
    """Draft invoices' lines follow these order lines (then their fee and totals); the
    issued invoices with lines that differ, and the (contract, product) of those lines."""
    changed = db.session.execute(
        select(InvoiceLine, OrderLine, Invoice.status, Invoice.practice_id)
        .join(OrderLine, OrderLine.id == InvoiceLine.order_line_id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.order_line_id.in_(order_line_ids), Invoice.status != "void",
               InvoiceLine.amount_cents != OrderLine.line_cents)
    ).all() if order_line_ids else []
    drafts, issued = set(), {}
    for invoice_line, order_line, status, practice_id in changed:
        if status == "draft":
            drafts.add(practice_id)
            if order_line.accepted_quantity == 0:
                db.session.delete(invoice_line)
            else:
                invoice_line.quantity = order_line.accepted_quantity
                invoice_line.list_cents = order_line.list_cents
                invoice_line.amount_cents = order_line.line_cents
                invoice_line.savings_cents = order_line.savings_cents
        else:
            issued.setdefault(invoice_line.invoice_id, set()).add((invoice_line.contract_id, invoice_line.product_id))
    db.session.flush()
    if drafts:
        _refresh_totals(po.cycle_id, sorted(drafts))
    return issued


def _uncredited(invoice: Invoice, key: tuple[int, int]) -> tuple[int, int, int, str]:
    """For one (contract, product) of an issued invoice: the goods, list and savings
    cents it billed beyond what its order lines hold now, less what credit notes gave
    back already (their refusal lines of that product) and less the original units of
    substitutions approved with nothing to bill (their substitute cost the same), and
    the description of its first line."""
    contract_id, product_id = key
    billed = db.session.execute(
        select(func.sum(InvoiceLine.amount_cents - OrderLine.line_cents),
               func.sum(InvoiceLine.list_cents - OrderLine.list_cents),
               func.sum(InvoiceLine.savings_cents - OrderLine.savings_cents), func.min(InvoiceLine.description))
        .join(OrderLine, OrderLine.id == InvoiceLine.order_line_id)
        .where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.contract_id == contract_id,
               InvoiceLine.product_id == product_id)).one()
    credited = db.session.execute(
        select(func.coalesce(func.sum(InvoiceLine.amount_cents), 0), func.coalesce(func.sum(InvoiceLine.list_cents), 0),
               func.coalesce(func.sum(InvoiceLine.savings_cents), 0))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.corrects_invoice_id == invoice.id, Invoice.kind == "credit", InvoiceLine.kind == "adjustment",
               InvoiceLine.contract_id == contract_id, InvoiceLine.product_id == product_id,
               InvoiceLine.substitution_id.is_(None))).one()
    billed_elsewhere = select(InvoiceLine.id).where(InvoiceLine.substitution_id == Substitution.id).exists()
    # The substitution's own value, fixed when approved: a credited claim lowers the
    # substitute line's `line_cents`, and those units must not be credited again here.
    swapped = db.session.scalar(
        select(func.coalesce(func.sum(line_cents_sql(Substitution.unit_price, Substitution.quantity)), 0))
        .select_from(Substitution)
        .join(PurchaseOrder, PurchaseOrder.id == Substitution.purchase_order_id)
        .join(OriginalLine, OriginalLine.id == Substitution.original_line_id)
        .where(Substitution.status == "approved", Substitution.practice_id == invoice.practice_id,
               PurchaseOrder.cycle_id == invoice.cycle_id,
               PurchaseOrder.contract_id == contract_id, OriginalLine.product_id == product_id, ~billed_elsewhere))
    return (int(billed[0] or 0) + int(credited[0]) - int(swapped), int(billed[1] or 0) + int(credited[1]),
            int(billed[2] or 0) + int(credited[2]), billed[3] or "")


def _refusal_line(invoice: Invoice, key: tuple[int, int], reason: str, uncredited=None) -> dict | None:
    amount, list_cents, savings, description = uncredited or _uncredited(invoice, key)
    if amount <= 0:
        return None
    product = db.session.get(Product, key[1])
    return {"kind": "adjustment", "description": f"{reason}: {description}", "contract_id": key[0],
            "vendor_id": product.vendor_id, "product_id": product.id, "category": product.category,
            "order_line_id": None, "amount_cents": -amount, "list_cents": -list_cents, "savings_cents": -savings}


def _issue_correction(invoice: Invoice, lines: list[dict], contract: Contract, reason: str) -> None:
    """One credit note for goods lines changed after the invoice was issued, with the
    service fee's difference (so fee + credits equal the fee on what the practice
    keeps); nothing when they add up to zero or more (never billed after the fact)."""
    if not lines:
        return
    credited_goods = db.session.scalar(
        select(func.coalesce(func.sum(InvoiceLine.amount_cents), 0)).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.corrects_invoice_id == invoice.id, InvoiceLine.kind == "adjustment", InvoiceLine.contract_id.is_not(None),
               Invoice.kind == "credit"))
    goods_before = sum(line.amount_cents for line in invoice.lines if line.kind == "product") + int(credited_goods)
    goods_after = goods_before + sum(line["amount_cents"] for line in lines)
    if invoice.service_fee_percent:
        fee_delta = (percent_of_cents(goods_after, invoice.service_fee_percent)
                     - percent_of_cents(goods_before, invoice.service_fee_percent))
        if fee_delta:
            lines.append({"kind": "service_fee", "amount_cents": fee_delta,
                          "description": f"MSO service fee {invoice.service_fee_percent.normalize():f}% on those units"})
    total = sum(line["amount_cents"] for line in lines)
    if total >= 0:
        return
    left = left_to_credit(invoice)
    if -total > left:
        # Credit notes already gave back more: never credit beyond the invoice.
        lines = [{"kind": "adjustment", "description": f"{reason} (capped at what is left to credit)",
                  "contract_id": contract.id, "vendor_id": contract.vendor_id, "amount_cents": -left}] if left else []
    if lines:
        issue_credit_note(SYSTEM, invoice, lines, f"{reason}, after {invoice.number}")


def follow_substitution(substitution_id: int) -> None:
    """A practice approved a substitute (its original units already left the order
    lines): on the cycle's draft purchasing invoice the original goods drop and the
    substitute's goods come in as a product line (`substitution_id`), the fee
    recomputed; on an issued one, ONE credit note for the net difference: the original
    goods back, the substitute's goods, the fee's difference (nothing if that is zero
    or more: a substitute never costs more than the line it replaces)."""
    substitution = db.session.get(Substitution, substitution_id)
    po = db.session.get(PurchaseOrder, substitution.purchase_order_id)
    original = db.session.get(PurchaseOrderLine, substitution.original_line_id)
    substitute = db.session.get(PurchaseOrderLine, substitution.substitute_line_id)
    product = db.session.get(Product, substitution.product_id)
    reason = f"Substitute approved by {substitution.decided_by}"
    issued = _follow_drafts(po, _order_line_ids(po, [original.id]))
    invoice = db.session.scalars(select(Invoice).where(
        Invoice.cycle_id == po.cycle_id, Invoice.kind == "purchasing", Invoice.practice_id == substitution.practice_id,
        Invoice.status != "void")).one_or_none()
    if invoice is None:
        return
    goods = {"kind": "product", "description": f"{product.sku} {product.name} (substitute)", "contract_id": po.contract_id,
             "vendor_id": product.vendor_id, "product_id": product.id, "category": product.category,
             "quantity": substitute.quantity, "unit_price": substitute.unit_price, "list_cents": substitute.line_cents,
             "amount_cents": substitute.line_cents, "savings_cents": 0, "substitution_id": substitution.id}
    if invoice.status == "draft":
        db.session.add(InvoiceLine(invoice_id=invoice.id, **goods))
        db.session.flush()
        _refresh_totals(po.cycle_id, [invoice.practice_id])
        return
    invoice = lock_row(Invoice, invoice.id)
    key = (po.contract_id, original.product_id)
    lines = []
    for contract_id, product_id in sorted(issued.get(invoice.id, set())):
        # the swapped units are not yet billed elsewhere: count them as the original's
        uncredited = _uncredited(invoice, (contract_id, product_id))
        if (contract_id, product_id) == key:
            uncredited = (uncredited[0] + substitute.line_cents, *uncredited[1:])
        if (line := _refusal_line(invoice, (contract_id, product_id), reason, uncredited)) is not None:
            lines.append(line)
    if sum(line["amount_cents"] for line in lines) + substitute.line_cents >= 0:
        return  # nothing to give back: the substitute cost the same
    lines.append({**goods, "kind": "adjustment", "quantity": None, "unit_price": None,
                  "description": f"{reason}: {goods['description']}"})
    _issue_correction(invoice, lines, db.session.get(Contract, po.contract_id), reason)
