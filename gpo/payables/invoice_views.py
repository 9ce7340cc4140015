"""What the vendor portal and the console read of vendor invoices: a page of them with
their vendor's name; one invoice with each line's product, ship-to location and
practice beside its match, its tax per location and what the vendor must do next; and
the "Send an invoice" form of a purchase order, one row per line prefilled with the
units shipped and not invoiced yet at the contract price.

Reads only, through the use cases of `invoices` (tenancy and roles are theirs: another
vendor's invoice or purchase order answers 404). Each read is a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from gpo.accounts.models import Location, Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import db
from gpo.orders.models import PurchaseOrder, PurchaseOrderLine
from gpo.orders.purchase_orders import get_purchase_order, list_purchase_orders
from gpo.payables import invoices
from gpo.payables.models import VendorInvoice, VendorInvoiceLine

VENDOR_INVOICE_WORDS = {
    "pending_receipt": "waiting for the practices' receipts",
    "exception": "exception: waiting for MSO finance",
    "approved": "approved",
    "disputed": "disputed: a corrected invoice is needed",
    "replaced": "replaced by a corrected invoice",
}
PRICE_WORDS = {"match": "at the contract price", "below": "below the contract price (passed to the practice)",
               "exception": "above the contract price"}
QUANTITY_WORDS = {"matched": "received", "pending_receipt": "not received yet",
                  "exception": "more than was received"}
NEXT_STEP = {
    "pending_receipt": "Nothing for now: it is approved as soon as the practices record the units as received.",
    "exception": "MSO finance reviews the exception: it approves the invoice with a reason, or disputes it and "
                 "you send a corrected invoice.",
    "approved": "Nothing: it is paid with your next settlement.",
    "disputed": "Send a corrected invoice that replaces this one.",
    "replaced": "Nothing: a corrected invoice replaces it.",
}


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all())


@dataclass(frozen=True)
class Row:
    invoice: VendorInvoice
    vendor_name: str


def invoice_rows(principal: Principal, filters: invoices.VendorInvoiceFilters, page: int, page_size: int,
                 exceptions_first: bool = False) -> tuple[list[Row], int]:
    result = invoices.list_vendor_invoices(principal, filters, page, page_size, exceptions_first=exceptions_first)
    names = _names(i.vendor_id for i in result.items)
    return [Row(i, names.get(i.vendor_id, "")) for i in result.items], result.total


@dataclass(frozen=True)
class LineView:
    line: VendorInvoiceLine
    product: Product
    location_name: str
    practice_name: str


@dataclass(frozen=True)
class InvoiceView:
    invoice: VendorInvoice
    vendor_name: str
    lines: list[LineView]
    taxes: list[tuple[str, int]]  # (location and practice, cents)
    next_step: str
    replaced_by: VendorInvoice | None


def _places(location_ids) -> dict[int, tuple[str, str]]:
    rows = db.session.execute(select(Location.id, Location.name, Organization.name)
                              .join(Organization, Organization.id == Location.practice_id)
                              .where(Location.id.in_(set(location_ids)))).all()
    return {i: (loc, practice) for i, loc, practice in rows}


def invoice_view(principal: Principal, invoice_id: int) -> InvoiceView:
    invoice = invoices.get_vendor_invoice(principal, invoice_id)
    po_lines = {line.id: line for line in db.session.get(PurchaseOrder, invoice.purchase_order_id).lines}
    products = {p.id: p for p in db.session.scalars(select(Product).where(
        Product.id.in_({line.product_id for line in po_lines.values()})))}
    places = _places([line.location_id for line in po_lines.values()] + [t.location_id for t in invoice.taxes])
    lines = []
    for line in invoice.lines:
        po_line = po_lines[line.purchase_order_line_id]
        location, practice = places[po_line.location_id]
        lines.append(LineView(line, products[po_line.product_id], location, practice))
    taxes = [(f"{places[t.location_id][0]}, {places[t.location_id][1]}", t.tax_cents) for t in invoice.taxes]
    replaced_by = db.session.scalars(select(VendorInvoice).where(VendorInvoice.replaces_invoice_id == invoice.id)).first()
    return InvoiceView(invoice, _names([invoice.vendor_id]).get(invoice.vendor_id, ""), lines, taxes,
                       NEXT_STEP[invoice.status], replaced_by)


def exceptions_waiting(principal: Principal) -> int:
    return invoices.count_by_status(principal).get("exception", 0)


# --- the "Send an invoice" form ------------------------------------------------------------


@dataclass(frozen=True)
class FormLine:
    po_line: PurchaseOrderLine
    product: Product
    location_name: str
    practice_name: str

    @property
    def suggested_quantity(self) -> int:
        """Units shipped and not on a counted invoice yet."""
        return max(self.po_line.shipped_quantity - self.po_line.invoiced_quantity, 0)

    @property
    def may_invoice(self) -> int:
        return max(self.po_line.deliverable - self.po_line.invoiced_quantity, 0)


@dataclass(frozen=True)
class InvoiceForm:
    po: PurchaseOrder
    lines: list[FormLine]
    locations: list[tuple[int, str]]  # ship-to locations: (id, "Location, Practice")
    replaces: VendorInvoice | None


def invoice_form(principal: Principal, purchase_order_id: int, replaces_invoice_id: int | None = None) -> InvoiceForm:
    policy.authorize(principal, "vendor_invoice.create")
    po = get_purchase_order(principal, purchase_order_id)
    products = {p.id: p for p in db.session.scalars(select(Product).where(
        Product.id.in_({line.product_id for line in po.lines})))}
    places = _places(line.location_id for line in po.lines)
    lines = [FormLine(line, products[line.product_id], *places[line.location_id]) for line in po.lines
             if line.accepted_quantity is not None]
    replaces = None
    if replaces_invoice_id is not None:
        replaces = invoices.get_vendor_invoice(principal, replaces_invoice_id)
        if replaces.purchase_order_id != po.id or replaces.status != "disputed":
            replaces = None
    return InvoiceForm(po, lines, sorted(((i, f"{loc}, {practice}") for i, (loc, practice) in places.items()),
                                         key=lambda kv: kv[1]), replaces)


def purchase_order_options(principal: Principal) -> list[tuple[int, str]]:
    """The vendor's purchase orders, newest first, to choose one to invoice."""
    return [(po.id, f"Purchase order {po.id}") for po in list_purchase_orders(principal, None, 1, 100).items]
