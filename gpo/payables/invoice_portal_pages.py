"""The vendor portal's invoices (WEB.md "Vendor portal pages"): the supplier's invoices
with their status in words; "Send an invoice" for a purchase order, one row per line
prefilled with the units shipped and not invoiced yet at the contract price, freight
and tax per ship-to location in dollars (as POST /vendors/{id}/invoices takes them);
an invoice's page with each line's match and what the vendor must do next. Another
vendor's invoice or purchase order answers 404. Each page parses, calls one service,
renders."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.invoices import today
from gpo.errors import DomainError, Invalid
from gpo.money import NotDollars, format_dollars, parse_dollars
from gpo.payables import invoice_views, invoices
from gpo.payables.invoice_schemas import VendorInvoiceInSchema
from gpo.payables.models import VENDOR_INVOICE_STATUSES
from gpo.web import Waiting
from gpo.web.forms import FormErrors, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("invoice_portal", __name__, "portal", url_prefix="/portal")

NOT_SEND = "Only the vendor's admin sends invoices."
_INDEXED = re.compile(r"^(lines|tax)\.(\d+)(?:\.(\w+))?$")


def register(app) -> None:
    from gpo import web

    web.add_pages(app, blp)
    web.add_nav(app, "portal", "Invoices", "invoice_portal.invoice_list", order=35, vendor_kinds={"supplier"})
    web.add_waiting(app, "portal", waiting, roles={"vendor_admin"}, order=35)


def waiting(principal) -> list[Waiting]:
    """The supplier's start page: disputed invoices to correct."""
    n = invoices.count_by_status(principal).get("disputed", 0)
    if not n:
        return []
    return [Waiting(f"{n} disputed invoice{'' if n == 1 else 's'} to correct",
                    url_for("invoice_portal.invoice_list", status="disputed"))]


@blp.get("/invoices")
def invoice_list():
    principal = current_principal()
    page, page_size = page_args()
    status = request.args.get("status", "")
    filters = {"status": status} if status in VENDOR_INVOICE_STATUSES else {}
    rows, total = invoice_views.invoice_rows(principal, filters, page, page_size)
    return render_template("payables/portal_invoices.html", rows=rows, total=total, page=page, page_size=page_size,
                           status=filters.get("status"), statuses=VENDOR_INVOICE_STATUSES,
                           purchase_orders=invoice_views.purchase_order_options(principal))


@blp.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    return render_template("payables/portal_invoice.html", view=invoice_views.invoice_view(current_principal(), invoice_id))


def _id_arg(name: str) -> int | None:
    raw = request.values.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 19 else None


def _form_page(purchase_order_id: int, values: dict, errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    form = invoice_views.invoice_form(principal, purchase_order_id, _id_arg("replaces_invoice_id"))
    return render_template("payables/portal_invoice_new.html", form=form, values=values, errors=errors or FormErrors(),
                           may_send=policy.may(principal, "vendor_invoice.create"), not_send=NOT_SEND,
                           today=today().isoformat()), status


@blp.get("/invoices/new")
def new():
    """The form for ?purchase_order_id= (and ?replaces_invoice_id= for a correction)."""
    purchase_order_id = _id_arg("purchase_order_id")
    if purchase_order_id is None:
        return redirect(url_for("invoice_portal.invoice_list"))
    return _form_page(purchase_order_id, {})


def _body(form) -> tuple[dict, list[str], list[str]]:
    """The form as VendorInvoiceInSchema takes it, and the form's field of each line and
    tax row posted (the service names them by their place: lines.0, tax.1)."""
    problems, line_fields, tax_fields = {}, [], []
    lines = []
    for key, value in form.items():
        if key.startswith("quantity-") and value.strip():
            line_id = key.removeprefix("quantity-")
            line_fields.append(line_id)
            lines.append({"po_line_id": line_id, "quantity": value.strip(),
                          "unit_price": form.get(f"price-{line_id}", "").strip()})
    tax = []
    for key, value in form.items():
        if key.startswith("tax-") and value.strip():
            try:
                cents = parse_dollars(value)
            except NotDollars as exc:
                problems[key] = [str(exc)]
                continue
            if cents:
                tax_fields.append(key.removeprefix("tax-"))
                tax.append({"location_id": key.removeprefix("tax-"), "tax_cents": cents})
    body = {"number": form.get("number", "").strip(), "purchase_order_id": form.get("purchase_order_id", ""),
            "issued_on": form.get("issued_on", "").strip(), "lines": lines, "tax": tax}
    if form.get("replaces_invoice_id", "").strip():
        body["replaces_invoice_id"] = form["replaces_invoice_id"].strip()
    try:
        body["freight_cents"] = parse_dollars(form.get("freight", "") or "0")
    except NotDollars as exc:
        problems["freight"] = [str(exc)]
    body = {k: v for k, v in body.items() if v != ""}
    if not lines:
        problems["form"] = ["enter the units of at least one line"]
    if problems:
        raise Invalid("Please correct the fields marked below.", {"json": problems})
    return body, line_fields, tax_fields


def _at_fields(errors: FormErrors, line_fields: list[str], tax_fields: list[str]) -> FormErrors:
    """lines.<i>.<field> at the i-th line's `quantity-`/`price-` field, tax.<i> at its
    location's `tax-` field, freight_cents at `freight`."""
    fields = {}
    for key, message in errors.fields.items():
        match = _INDEXED.match(key)
        if match and match.group(1) == "lines" and int(match.group(2)) < len(line_fields):
            prefix = "price" if match.group(3) == "unit_price" else "quantity"
            fields[f"{prefix}-{line_fields[int(match.group(2))]}"] = message
        elif match and match.group(1) == "tax" and int(match.group(2)) < len(tax_fields):
            fields[f"tax-{tax_fields[int(match.group(2))]}"] = message
        elif key == "freight_cents":
            fields["freight"] = message
        elif key in ("lines", "tax"):
            fields["form"] = message
        else:
            fields[key] = message
    return FormErrors(message=errors.message, fields=fields)


@blp.post("/invoices")
def send():
    principal = current_principal()
    purchase_order_id = _id_arg("purchase_order_id")
    if purchase_order_id is None:
        return redirect(url_for("invoice_portal.invoice_list"))
    policy.authorize(principal, "vendor_invoice.create")
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    line_fields, tax_fields = [], []
    try:
        body, line_fields, tax_fields = _body(request.form)
        invoice = invoices.submit(principal, principal.organization_id, load(VendorInvoiceInSchema(), body))
    except DomainError as error:
        errors = _at_fields(refusal(error, (409, 422)), line_fields, tax_fields)
        return _form_page(purchase_order_id, values, errors, error.status_code)
    flash(f"Invoice {invoice.number} is sent ({format_dollars(invoice.total_cents)}): "
          f"{invoice_views.VENDOR_INVOICE_WORDS[invoice.status]}.", "success")
    return redirect(url_for("invoice_portal.invoice", invoice_id=invoice.id))
