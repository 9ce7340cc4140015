"""The console's vendor invoices (WEB.md "Console pages": billing and finance): every
vendor invoice, exceptions first, filtered by status and vendor; an invoice's page with
each line's match and, while it waits, "Dispute invoice" and "Approve invoice" with a
reason (MSO finance, as POST /vendor-invoices/{id}/dispute and /approve: audited); the
start page says how many invoices have exceptions. Each page parses, calls one use
case of gpo.payables.invoices, renders."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError
from gpo.payables import invoice_views, invoices
from gpo.payables.invoice_schemas import VendorInvoiceDecisionSchema
from gpo.payables.models import VENDOR_INVOICE_STATUSES
from gpo.web import Waiting
from gpo.web.forms import form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("vendor_invoice_console", __name__, "console", url_prefix="/console")

NOT_DECIDE = "Only MSO finance (or an MSO admin) disputes or approves vendor invoices."


def register(app) -> None:
    from gpo import web

    web.add_pages(app, blp)
    web.add_nav(app, "console", "Vendor invoices", "vendor_invoice_console.vendor_invoices", order=47)
    web.add_waiting(app, "console", waiting, roles=policy.MSO_BILLING, order=47)
    web.add_words(app, "vendor_invoice", invoice_views.VENDOR_INVOICE_WORDS)
    web.add_words(app, "price_result", invoice_views.PRICE_WORDS)
    web.add_words(app, "quantity_result", invoice_views.QUANTITY_WORDS)


def waiting(principal) -> list[Waiting]:
    n = invoice_views.exceptions_waiting(principal)
    if not n:
        return []
    return [Waiting(f"{n} vendor invoice{'' if n == 1 else 's'} with exceptions",
                    url_for("vendor_invoice_console.vendor_invoices", status="exception"))]


@blp.get("/vendor-invoices")
def vendor_invoices():
    principal = current_principal()
    page, page_size = page_args()
    status = request.args.get("status", "")
    filters = {"status": status} if status in VENDOR_INVOICE_STATUSES else {}
    rows, total = invoice_views.invoice_rows(principal, filters, page, page_size, exceptions_first=True)
    return render_template("payables/console_invoices.html", rows=rows, total=total, page=page, page_size=page_size,
                           status=filters.get("status"), statuses=VENDOR_INVOICE_STATUSES,
                           unknown_status=status if status and not filters else None)


def _page(invoice_id: int, errors=None, values=None, status: int = 200):
    principal = current_principal()
    view = invoice_views.invoice_view(principal, invoice_id)
    return render_template("payables/console_invoice.html", view=view, errors=errors, values=values or {},
                           open=view.invoice.status in invoices.OPEN_STATUSES,
                           may_decide=policy.may(principal, "vendor_invoice.decide"), not_decide=NOT_DECIDE), status


@blp.get("/vendor-invoices/<int:invoice_id>")
def vendor_invoice(invoice_id: int):
    return _page(invoice_id)


def _decide(invoice_id: int, action):
    principal = current_principal()
    policy.authorize(principal, "vendor_invoice.decide", invoices.get_vendor_invoice(principal, invoice_id))
    values = form_data()
    try:
        reason = load(VendorInvoiceDecisionSchema(), {k: v for k, v in values.items() if k == "reason"})["reason"]
        invoice = action(principal, invoice_id, reason)
    except DomainError as exc:
        return _page(invoice_id, errors=refusal(exc, (409, 422)), values=values, status=exc.status_code)
    flash(f"Vendor invoice {invoice.number} is {invoice_views.VENDOR_INVOICE_WORDS[invoice.status]}"
          + (": its freight, tax and differences below contract went to the practices." if invoice.status == "approved"
             else ": the vendor is asked for a corrected invoice."), "success")
    return redirect(url_for("vendor_invoice_console.vendor_invoice", invoice_id=invoice.id))


@blp.post("/vendor-invoices/<int:invoice_id>/dispute")
def dispute(invoice_id: int):
    return _decide(invoice_id, invoices.dispute)


@blp.post("/vendor-invoices/<int:invoice_id>/approve")
def approve(invoice_id: int):
    return _decide(invoice_id, invoices.approve)
