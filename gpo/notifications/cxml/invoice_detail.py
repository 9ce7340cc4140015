"""An InvoiceDetailRequest, mapped onto the vendor's invoice: the same input as
POST /vendors/{id}/invoices, loaded by its schema (VendorInvoiceInSchema) and given to
the same use case (`invoices.submit`), which matches it three ways.

    InvoiceDetailRequestHeader invoiceID        number (the vendor's, once per vendor)
    InvoiceDetailRequestHeader invoiceDate      issued_on (the date as written)
    InvoiceDetailOrder/InvoiceDetailOrderInfo/  purchase_order_id
        OrderReference orderID
    InvoiceDetailItem quantity                  a line: quantity,
        UnitPrice/Money                         unit_price (exact, up to 4 places),
        InvoiceDetailItemReference lineNumber   po_line_id (the purchase-order line's id)
        Tax/Money                               tax of the line's ship-to location
                                                (summed per location: `tax`)
    InvoiceDetailSummary SubtotalAmount         must be the lines' cents added up
    InvoiceDetailSummary Tax/Money              the tax: the items' taxes added up, or,
                                                without item taxes, the tax of the one
                                                location the invoiced lines ship to
    InvoiceDetailSummary ShippingAmount         freight_cents

Money is USD, in cents (amounts) or 4 places (unit prices). Not supported (400):
purpose other than "standard" (credit and debit memos), operation="delete", header-level
invoices (InvoiceDetailHeaderOrder), service items; a corrected invoice that replaces a
disputed one is sent through the JSON API (`replaces_invoice_id`).
"""
from __future__ import annotations

from lxml import etree

from gpo.auth.principal import Principal
from gpo.errors import Invalid
from gpo.money import line_cents
from gpo.notifications.cxml.mapping import Outcome, described, load_input, purchase_order_of
from gpo.notifications.cxml.parsing import cents, day, money_text, refused, required, whole
from gpo.orders.models import PurchaseOrder
from gpo.payables import invoices
from gpo.payables.invoice_schemas import VendorInvoiceInSchema

HEADER_FIELDS = {"number": "InvoiceDetailRequestHeader invoiceID", "issued_on": "InvoiceDetailRequestHeader invoiceDate",
                 "freight_cents": "InvoiceDetailSummary ShippingAmount", "tax": "InvoiceDetailSummary Tax"}


def invoice(principal: Principal, request: etree._Element) -> Outcome:
    """Submit the vendor's invoice of the purchase order the document names."""
    header = required(request, "InvoiceDetailRequestHeader")
    if (header.get("purpose") or "standard") != "standard":
        raise refused(f"InvoiceDetailRequestHeader purpose=\"{header.get('purpose')}\" is not supported: "
                      "only standard invoices")
    if (header.get("operation") or "new") != "new":
        raise refused("InvoiceDetailRequestHeader operation=\"delete\" is not supported")
    if request.find("InvoiceDetailHeaderOrder") is not None:
        raise refused("header-level invoices (InvoiceDetailHeaderOrder) are not supported: invoice the lines")
    orders = request.findall("InvoiceDetailOrder")
    if len(orders) != 1:
        raise refused(f"an invoice is of one purchase order: one InvoiceDetailOrder, not {len(orders)}")
    order = orders[0]
    if order.find("InvoiceDetailServiceItem") is not None:
        raise refused("InvoiceDetailServiceItem is not supported: invoice goods with InvoiceDetailItem")
    po = purchase_order_of(principal, order.find("InvoiceDetailOrderInfo/OrderReference"), "purchase_order.read")
    items = order.findall("InvoiceDetailItem")
    lines, item_taxes = _lines(po, items)
    summary = required(request, "InvoiceDetailSummary")
    payload = {"number": (header.get("invoiceID") or "").strip(), "purchase_order_id": po.id,
               "issued_on": day(header.get("invoiceDate"), "InvoiceDetailRequestHeader invoiceDate").isoformat(),
               "lines": lines, "freight_cents": _amount(summary, "ShippingAmount"),
               "tax": _tax(po, lines, item_taxes, summary)}
    payload = {k: v for k, v in payload.items() if v not in ("", None)}
    where = {f"lines.{i}": _item_name(item, i) for i, item in enumerate(items)} | HEADER_FIELDS
    with described(where):
        data = load_input(VendorInvoiceInSchema(), payload)
        _check_subtotal(data, summary)
        submitted = invoices.submit(principal, principal.organization_id, data)
    said = (f"vendor invoice {submitted.id} ({submitted.number}) of purchase order {po.id}: {submitted.status}, "
            f"total {submitted.total_cents} cents")
    if submitted.exception_cents:
        said += f", price exceptions of {submitted.exception_cents} cents for MSO finance to decide"
    return Outcome(said, f"/api/v1/vendor-invoices/{submitted.id}", [po], {
        "document": "InvoiceDetailRequest", "vendor_invoice_id": submitted.id, "number": submitted.number})


def _item_name(item: etree._Element, i: int) -> str:
    number = item.get("invoiceLineNumber")
    return f"InvoiceDetailItem invoiceLineNumber=\"{number}\"" if number else f"InvoiceDetailItem {i + 1}"


def _lines(po: PurchaseOrder, items: list[etree._Element]) -> tuple[list[dict], dict[int, int]]:
    """The invoice's lines (the JSON's wire form), and each item's tax by line id."""
    if not items:
        raise refused("the InvoiceDetailOrder lists its lines in InvoiceDetailItem elements")
    lines, taxes = [], {}
    for i, item in enumerate(items):
        name = _item_name(item, i)
        reference = required(item, "InvoiceDetailItemReference")
        line_id = whole(reference.get("lineNumber"), f"{name}: InvoiceDetailItemReference lineNumber")
        lines.append({"po_line_id": line_id, "quantity": whole(item.get("quantity"), f"{name} quantity"),
                      "unit_price": money_text(item.find("UnitPrice/Money"), f"{name} UnitPrice")})
        tax = item.find("Tax")
        if tax is not None:
            taxes[line_id] = taxes.get(line_id, 0) + cents(tax.find("Money"), f"{name} Tax")
    return lines, taxes


def _amount(summary: etree._Element, tag: str) -> int | None:
    element = summary.find(tag)
    return cents(element.find("Money"), f"InvoiceDetailSummary {tag}") if element is not None else None


def _tax(po: PurchaseOrder, lines: list[dict], item_taxes: dict[int, int], summary: etree._Element) -> list[dict]:
    """Tax per ship-to location, as the JSON takes it."""
    total = _amount(summary, "Tax")
    location_of = {line.id: line.location_id for line in po.lines}
    if item_taxes:
        if total is not None and total != sum(item_taxes.values()):
            raise Invalid(f"InvoiceDetailSummary Tax is {total} cents but the items' taxes add up to "
                          f"{sum(item_taxes.values())}")
        per_location: dict[int, int] = {}
        for line_id, amount in item_taxes.items():
            if line_id in location_of:  # a line not on the order: the use case names it
                per_location[location_of[line_id]] = per_location.get(location_of[line_id], 0) + amount
        return [{"location_id": loc, "tax_cents": amount} for loc, amount in sorted(per_location.items()) if amount]
    if not total:
        return []
    locations = sorted({location_of[line["po_line_id"]] for line in lines if line["po_line_id"] in location_of})
    if len(locations) != 1:
        raise Invalid(f"InvoiceDetailSummary Tax: the invoiced lines ship to {len(locations)} locations; give each "
                      "InvoiceDetailItem its own Tax so that each location's tax is known")
    return [{"location_id": locations[0], "tax_cents": total}]


def _check_subtotal(data: dict, summary: etree._Element) -> None:
    stated = cents(required(summary, "SubtotalAmount").find("Money"), "InvoiceDetailSummary SubtotalAmount")
    computed = sum(line_cents(line["unit_price"], line["quantity"]) for line in data["lines"])
    if stated != computed:
        raise Invalid(f"InvoiceDetailSummary SubtotalAmount is {stated} cents but the lines add up to {computed} "
                      "(each line's quantity times its unit price, to the cent)")
