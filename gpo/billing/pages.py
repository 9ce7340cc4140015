"""The storefront's billing pages (WEB.md): invoices (with "Pay now" and a printable
view), the saved card entered with Stripe Elements through a SetupIntent, credits, and
the savings dashboard with its CSV. Like the API routes, each page parses, calls one
service of gpo.billing, and renders."""
from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for

from gpo.api import csv_response
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing import invoices, payment_methods, payments, reports, rules
from gpo.billing.models import INVOICE_KINDS
from gpo.billing.routes import SAVINGS_COLUMNS
from gpo.billing.schemas import InvoiceQuerySchema, PeriodQuerySchema
from gpo.db import utcnow
from gpo.errors import DomainError
from gpo.money import format_dollars
from gpo.web import charts
from gpo.web.filters import month_name, time_zone
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal, undo_refused
from gpo.web.shell import page_blueprint

blp = page_blueprint("billing_pages", __name__, "storefront")

INVOICE_WORDS = {
    "draft": "being prepared (draft)",
    "open": "open: awaiting payment",
    "paid": "paid",
    "void": "void (cancelled)",
    "uncollectible": "could not be collected",
}
CREDIT_NOTE_WORDS = {
    "draft": "being prepared (draft)",
    "open": "issued: owed to the practice",
    "paid": "settled",
    "void": "void (cancelled)",
}
INVOICE_KIND_WORDS = {kind: {"credit": "credit note"}.get(kind, kind) for kind in INVOICE_KINDS}
PAYMENT_WORDS = {
    "pending": "payment requested",
    "processing": "being charged",
    "succeeded": "paid",
    "failed": "declined or failed",
}


def stripe_js_url() -> str:
    """Where Stripe.js comes from: STRIPE_JS_URL, else localstripe's stand-in beside
    STRIPE_API_BASE (embedded mode, tests), else Stripe's own."""
    config = current_app.config
    if config.get("STRIPE_JS_URL"):
        return config["STRIPE_JS_URL"]
    if config.get("STRIPE_API_BASE"):
        return config["STRIPE_API_BASE"].rstrip("/") + "/js.stripe.com/v3/"
    return "https://js.stripe.com/v3/"


# --- invoices ------------------------------------------------------------------------


@blp.get("/invoices")
def invoice_list():
    principal = current_principal()
    page, page_size = page_args()
    raw = {k: v for k, v in request.args.items() if k in ("kind", "status") and v}
    errors = FormErrors()
    try:
        filters = load(InvoiceQuerySchema(), raw)
        result = invoices.list_invoices(principal, filters, page, page_size)
    except DomainError as exc:
        undo_refused()
        errors = errors_of(exc)
        return render_template("billing/invoices.html", invoices=[], total=0, page=page, page_size=page_size,
                               filters=raw, errors=errors, statuses=INVOICE_WORDS, kinds=INVOICE_KIND_WORDS), \
            exc.status_code
    return render_template("billing/invoices.html", invoices=result.items, total=result.total, page=page,
                           page_size=page_size, filters=raw, errors=errors, statuses=INVOICE_WORDS,
                           kinds=INVOICE_KIND_WORDS)


def _invoice_page(invoice, errors=None, status: int = 200):
    principal = current_principal()
    payable = rules.payable(invoice.status, invoice.kind, invoice.total_cents)
    last_payment = invoice.payments[-1] if invoice.payments else None
    may_pay = policy.may(principal, "invoice.pay")
    has_card = bool(may_pay and payable and payment_methods.get_payment_method(
        principal, invoice.practice_id)["stripe_payment_method_id"])
    return render_template("billing/invoice.html", invoice=invoice, payable=payable,
                           may_pay=may_pay, has_card=has_card, last_payment=last_payment,
                           errors=errors or FormErrors()), status


@blp.get("/invoices/<int:invoice_id>")
def invoice_detail(invoice_id: int):
    return _invoice_page(invoices.get_invoice(current_principal(), invoice_id))


@blp.get("/invoices/<int:invoice_id>/print")
def invoice_print(invoice_id: int):
    invoice, parties = invoices.parties_of(current_principal(), invoice_id)
    return render_template("billing/invoice_print.html", invoice=invoice, parties=parties)


@blp.post("/invoices/<int:invoice_id>/pay")
def invoice_pay(invoice_id: int):
    """Pay now with the saved card: an attempt is recorded and a job charges it (as the
    API's 202); the invoice page shows the outcome."""
    try:
        attempt = payments.pay(current_principal(), invoice_id)
    except DomainError as exc:
        errors = refusal(exc)  # first: the invoice is then read as it was
        return _invoice_page(invoices.get_invoice(current_principal(), invoice_id), errors, exc.status_code)
    flash(f"Payment of {format_dollars(attempt.amount_cents)} requested with the saved card.", "success")
    return redirect(url_for("billing_pages.invoice_detail", invoice_id=invoice_id))


# --- the saved card and credits ----------------------------------------------------------


def _billing_page(errors=None, status: int = 200):
    principal = current_principal()
    overview = payment_methods.billing_overview(principal, principal.organization_id)
    return render_template("billing/billing.html", overview=overview, errors=errors or FormErrors(),
                           stripe_js_url=stripe_js_url(),
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY", "")), status


@blp.get("/billing")
def billing():
    """Reads only: the card form asks for its SetupIntent with a POST (below)."""
    return _billing_page()


@blp.post("/billing/setup-intent")
def billing_setup_intent():
    """The card form's script asks for a SetupIntent when the admin starts entering a
    card (JSON `{client_secret}`; the CSRF token in the X-CSRFToken header). A refusal
    answers JSON `{message}` with its status (403, 502 when Stripe cannot be reached)."""
    principal = current_principal()
    try:
        intent = payment_methods.create_setup_intent(principal, principal.organization_id)
    except DomainError as exc:
        undo_refused()
        return jsonify({"message": exc.message}), exc.status_code
    return jsonify({"client_secret": intent["client_secret"]})


@blp.post("/billing/payment-method")
def billing_save_card():
    """The SetupIntent Stripe.js confirmed with the card (its id only) is checked with
    Stripe and its payment method saved."""
    principal = current_principal()
    try:
        setup_intent_id = form_data().get("setup_intent_id", "")
        payment_methods.save_card_from_setup_intent(principal, principal.organization_id, setup_intent_id)
    except DomainError as exc:
        return _billing_page(refusal(exc), exc.status_code)
    flash("Your card is saved; invoices you pay now are charged to it.", "success")
    return redirect(url_for("billing_pages.billing"))


# --- savings -------------------------------------------------------------------------------


def _period() -> tuple[dict, dict]:
    """from/to from the query string (this year so far by default, in the practice's time
    zone), through the API's schema."""
    today = utcnow().astimezone(time_zone()).date()
    raw = {"from": request.args.get("from") or f"{today.year}-01-01", "to": request.args.get("to") or str(today)}
    return raw, load(PeriodQuerySchema(), raw)


def _chart(months: list[dict]) -> str:
    """The months as a bar chart: an SVG as a data: URL for an <img> (its alt text and
    the table beside it say the same numbers)."""
    chart = charts.new("Bar", height=320, width=720, legend_at_bottom=True, show_legend=True,
                       value_formatter=lambda cents: format_dollars(int(cents or 0)), print_values=False,
                       title=None, x_title="Month")
    chart.x_labels = [month_name(m["month"]) for m in months]
    chart.add("List value", [m["list_cents"] for m in months])
    chart.add("Paid", [m["paid_cents"] for m in months])
    return charts.data_url(chart)


@blp.get("/savings")
def savings():
    principal = current_principal()
    raw = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    try:
        raw, period = _period()
        report = reports.savings_dashboard(principal, None, period["from_"], period["to"])
    except DomainError as exc:
        undo_refused()
        return render_template("billing/savings.html", report=None, period=raw, errors=errors_of(exc),
                               chart=""), exc.status_code
    return render_template("billing/savings.html", report=report, period=raw, errors=FormErrors(),
                           chart=_chart(report["months"]) if report["months"] else "")


@blp.get("/savings.csv")
def savings_csv():
    raw, period = _period()
    report = reports.savings_report(current_principal(), None, period["from_"], period["to"])
    return csv_response(report["rows"], SAVINGS_COLUMNS, f"savings-{raw['from']}-to-{raw['to']}.csv")
