"""Back to the practices (DOMAIN.md "After the close"): once a vendor invoice is
approved, its freight is split with `allocate` by each practice's goods cents on that
invoice, each location's sales tax goes to its practice, and each line invoiced below
the contract price gives its difference to the practices whose order lines it pools
(`allocate` by units; an approved substitute's line to its location's practice).

No service fee on any of it: the amounts are lines of kind `freight`, `tax` and
`adjustment` (negative) naming the vendor's invoice. They join the practice's draft
purchasing invoice of the cycle (its totals refreshed; the fee is rebuilt from goods
only); once that invoice is issued, they make a separate document: an `adjustment`
invoice drafted for finance to finalize when they add up to zero or more, a credit
note against the purchasing invoice when less (never beyond what it has left). What no
credit note can take (the purchasing invoice uncollectible or never issued, or too
little left to credit) becomes a `Credit` of source "adjustment" applied to the
practice's next invoices: a favourable difference is never dropped.

Once per vendor invoice: the caller holds its row lock and `passed_through_at` says it
was done."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from gpo.accounts.models import Location, Vendor
from gpo.auth.principal import SYSTEM
from gpo.billing import purchasing
from gpo.billing.invoices import draft_invoice, issue_credit_note, left_to_credit
from gpo.billing.models import Credit, Invoice, InvoiceLine
from gpo.catalog.models import Product
from gpo.db import db, lock_row, utcnow
from gpo.orders.models import Order, OrderLine, PurchaseOrder
from gpo.orders.purchase_orders import pooled_lines
from gpo.payables import rules
from gpo.payables.models import VendorInvoice

ISSUED = ("open", "paid")


def amounts_by_practice(invoice: VendorInvoice) -> dict[int, list[dict]]:
    """The invoice lines (InvoiceLineInput) each practice gets: its freight share, the
    tax of each of its locations, the favourable differences of its lines."""
    po = db.session.get(PurchaseOrder, invoice.purchase_order_id)
    po_lines = {line.id: line for line in po.lines}
    location_ids = {line.location_id for line in po.lines}
    locations = {loc.id: loc for loc in db.session.scalars(select(Location).where(Location.id.in_(location_ids)))}
    vendor = db.session.get(Vendor, invoice.vendor_id)
    source = f"{vendor.name} invoice {invoice.number}"
    out: dict[int, list[dict]] = defaultdict(list)

    goods: dict[int, int] = defaultdict(int)
    for line in invoice.lines:
        goods[locations[po_lines[line.purchase_order_line_id].location_id].practice_id] += line.line_cents
    for practice_id, cents in rules.freight_split(invoice.freight_cents, goods).items():
        if cents:
            out[practice_id].append({"kind": "freight", "description": f"Freight on {source}", "amount_cents": cents,
                                     "vendor_id": vendor.id})
    for tax in invoice.taxes:
        if tax.tax_cents:
            location = locations[tax.location_id]
            out[location.practice_id].append({"kind": "tax", "description": f"Sales tax for {location.name} on {source}",
                                              "amount_cents": tax.tax_cents, "vendor_id": vendor.id})
    below = [line for line in invoice.lines if line.price_result == "below"]
    products = {p.id: p for p in db.session.scalars(select(Product).where(
        Product.id.in_({po_lines[x.purchase_order_line_id].product_id for x in below})))} if below else {}
    for line in below:
        po_line = po_lines[line.purchase_order_line_id]
        product = products[po_line.product_id]
        what = (f"Invoiced below the contract price on {source}: {line.quantity} x {product.sku} {product.name} "
                f"at {line.unit_price:.4f}, not {line.contract_price:.4f}")
        for practice_id, cents in _favourable_shares(po, po_line, line.price_difference_cents,
                                                     locations[po_line.location_id].practice_id).items():
            if cents:
                out[practice_id].append({"kind": "adjustment", "description": what[:300], "amount_cents": cents,
                                         "vendor_id": vendor.id, "product_id": product.id})
    return dict(out)


def _favourable_shares(po, po_line, difference_cents: int, location_practice_id: int) -> dict[int, int]:
    """A line's (negative) difference over the order lines it pools, by their units, per practice."""
    rows = db.session.execute(pooled_lines(po, po_line).with_only_columns(
        OrderLine.id, OrderLine.accepted_quantity, Order.practice_id)).all()
    units = {line_id: qty or 0 for line_id, qty, _ in rows}
    if not any(units.values()):  # a substitute's line (it pools none): its location's practice
        return {location_practice_id: difference_cents}
    practice_of = {line_id: practice_id for line_id, _, practice_id in rows}
    shares: dict[int, int] = defaultdict(int)
    for line_id, cents in rules.split_by_quantity(difference_cents, units).items():
        shares[practice_of[line_id]] += cents
    return dict(shares)


def pass_through(invoice: VendorInvoice) -> list[Invoice]:
    """Give the approved invoice's freight, tax and favourable differences to the
    practices, once (the caller holds the vendor invoice's row lock). Returns the
    practices' documents that changed or appeared."""
    if invoice.passed_through_at is not None:
        return []
    invoice.passed_through_at = utcnow()
    cycle_id = db.session.get(PurchaseOrder, invoice.purchase_order_id).cycle_id
    touched = []
    for practice_id, lines in sorted(amounts_by_practice(invoice).items()):
        document = _deliver(invoice, cycle_id, practice_id, lines)
        if document is not None:
            touched.append(document)
    db.session.flush()
    return touched


def _deliver(invoice: VendorInvoice, cycle_id: int, practice_id: int, lines: list[dict]) -> Invoice | None:
    purchasing_id = db.session.scalar(select(Invoice.id).where(
        Invoice.source_key == purchasing.source_key(cycle_id, practice_id)))
    target = lock_row(Invoice, purchasing_id) if purchasing_id is not None else None
    if target is not None and target.status == "draft":
        for line in lines:
            db.session.add(InvoiceLine(invoice_id=target.id, **line))
        db.session.flush()
        purchasing._refresh_totals(cycle_id, [practice_id])
        db.session.expire(target)
        return target
    net = sum(line["amount_cents"] for line in lines)
    vendor_name = db.session.get(Vendor, invoice.vendor_id).name
    if net >= 0:
        return draft_invoice(practice_id, "adjustment", f"vendor-invoice:{invoice.id}:practice:{practice_id}",
                             f"Freight and tax on {vendor_name} invoice {invoice.number}", lines)
    left = left_to_credit(target) if target is not None and target.status in ISSUED else 0
    if -net > left:
        # More than a credit note may take back (uncollectible, nothing issued, little
        # left): the rest is a credit applied to the practice's next invoices, not lost.
        _credit(practice_id, -net - left, f"{vendor_name} invoice {invoice.number}: favourable difference"
                + (" beyond what the purchasing invoice has left to credit" if left else ""))
        if not left:
            return None
        lines = [{"kind": "adjustment", "amount_cents": -left, "vendor_id": invoice.vendor_id,
                  "description": f"{vendor_name} invoice {invoice.number} (capped at what is left to credit)"}]
    return issue_credit_note(SYSTEM, target, lines, f"{vendor_name} invoice {invoice.number}, after {target.number}")


def _credit(practice_id: int, cents: int, description: str) -> None:
    """Once per vendor invoice, as the pass-through is (its `passed_through_at`)."""
    db.session.add(Credit(practice_id=practice_id, source="adjustment", description=description[:300],
                          amount_cents=cents, remaining_cents=cents))
