"""The console's invoice and billing-run pages (WEB.md "Console pages"), for MSO finance
(policy.MSO_BILLING): invoices filtered by practice, kind, status and cycle with their
totals, finalizing one or several drafts, voiding where the API allows, credit notes;
billing runs started by month, with their job's progress and the invoices they drafted.
Each page parses (the API's schemas), calls one service, renders."""
from __future__ import annotations

import functools

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing import invoice_console, invoices, membership
from gpo.billing.console_forms import CreditNoteFormSchema, FinalizeSelectedSchema
from gpo.billing.models import INVOICE_STATUSES
from gpo.billing.pages import INVOICE_KIND_WORDS, INVOICE_WORDS
from gpo.billing.schemas import BillingRunInSchema, InvoiceQuerySchema, VoidSchema
from gpo.db import utcnow
from gpo.errors import DomainError, Forbidden, Invalid
from gpo.money import format_dollars
from gpo.web.filters import local_date, month_name
from gpo.web.forms import FormErrors, errors_of, form_data, load, page_args, refusal, undo_refused
from gpo.web.shell import Waiting, page_blueprint

blp = page_blueprint("invoice_console", __name__, "console", url_prefix="/console")

FILTERS = ("practice_id", "kind", "status", "cycle_id")
RUN_WORDS = {"queued": "queued or running", "finished": "finished", "failed": "failed (nothing it did was kept)"}


def register(app) -> None:
    """The pages, "Invoices" in the console's navigation (40), and what waits for finance."""
    from gpo import web

    web.add_pages(app, blp)
    web.add_nav(app, "console", "Invoices", "invoice_console.invoice_list", roles=policy.MSO_BILLING, order=40)
    web.add_words(app, "billing_run", RUN_WORDS)
    web.add_waiting(app, "console", waiting, roles=policy.MSO_BILLING, order=40)


def waiting(principal) -> list[Waiting]:
    drafts, late = invoice_console.finance_counts(principal)
    found = []
    if drafts:
        found.append(Waiting(f"{drafts} draft invoice{'' if drafts == 1 else 's'} to finalize",
                             url_for("invoice_console.invoice_list", status="draft")))
    if late:
        found.append(Waiting(f"{late} invoice{'' if late == 1 else 's'} past due",
                             url_for("invoice_console.invoice_list", status="open")))
    return found


def finance_only(view):
    """A role the policy refuses (403) sees the page's place in the console with the
    reason instead of an action (ui.not_offered), and nothing it sent is kept."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Forbidden as exc:
            undo_refused()
            reason = f"Only MSO finance and MSO admins work with invoices and billing runs: {exc.message}."
            return render_template("billing/console_not_offered.html", reason=reason), 403
    return wrapper


def _may(principal) -> dict[str, bool]:
    return {action: policy.may(principal, f"invoice.{action}") for action in ("finalize", "void", "credit")} | {
        "run": policy.may(principal, "billing_run.create")}


# --- the invoice list ------------------------------------------------------------------


def _list_page(raw: dict, errors: FormErrors | None = None, status: int = 200, refused=()):
    """The list for the filters in `raw` (as typed); a bad filter is shown at its field (422)."""
    principal = current_principal()
    page, page_size = page_args()
    try:
        filters = load(InvoiceQuerySchema(), raw)
    except Invalid as exc:
        filters, errors, status = None, errors_of(exc), exc.status_code
    desk = invoice_console.invoice_desk(principal, filters, page, page_size)
    return render_template(
        "billing/console_invoices.html", desk=desk, filters=raw, page=page, page_size=page_size,
        errors=errors or FormErrors(), refused=refused, may=_may(principal),
        statuses=[(s, INVOICE_WORDS[s]) for s in INVOICE_STATUSES], kinds=list(INVOICE_KIND_WORDS.items())), status


@blp.get("/invoices")
@finance_only
def invoice_list():
    return _list_page({k: v for k, v in request.args.items() if k in FILTERS and v})


@blp.post("/invoices/finalize")
@finance_only
def finalize_selected():
    """Finalize the ticked drafts, each on its own (invoice_console.finalize_each): what
    was finalized is kept and said, each refused one is said with the API's reason."""
    back = {k: v for k, v in request.form.items() if k in (*FILTERS, "page") and v}
    picked = {k: v for k, v in form_data(lists=("invoice_ids",)).items() if k == "invoice_ids" and v}
    try:
        ids = load(FinalizeSelectedSchema(), picked)["invoice_ids"]
        outcomes = invoice_console.finalize_each(current_principal(), ids)
    except DomainError as exc:
        errors = refusal(exc)
        if "invoice_ids" in errors.fields:  # no field to mark: the list's checkboxes
            errors.message = errors.fields.pop("invoice_ids")
        return _list_page({k: v for k, v in back.items() if k in FILTERS}, errors, exc.status_code)
    done = [o.invoice for o in outcomes if o.invoice is not None]
    refused = [o for o in outcomes if o.refusal]
    if not done:
        return _list_page({k: v for k, v in back.items() if k in FILTERS},
                          FormErrors(message="None of the selected invoices was finalized; nothing changed."),
                          409, refused)
    flash(f"Finalized {len(done)} invoice{'' if len(done) == 1 else 's'}: "
          + ", ".join(f"{i.number} ({format_dollars(i.total_cents)})" for i in done) + ".", "success")
    for outcome in refused:
        flash(f"Invoice #{outcome.invoice_id} was not finalized, and nothing of it changed: {outcome.refusal}.", "error")
    return redirect(url_for(".invoice_list", **back))


# --- one invoice -------------------------------------------------------------------------


def _invoice_page(invoice_id: int, errors: FormErrors | None = None, form: str = "", values=None, status=200):
    principal = current_principal()
    view = invoice_console.invoice_file(principal, invoice_id)
    return render_template("billing/console_invoice.html", view=view, invoice=view.invoice, may=_may(principal),
                           errors=errors or FormErrors(), form=form, values=values or {}), status


@blp.get("/invoices/<int:invoice_id>")
@finance_only
def invoice(invoice_id: int):
    return _invoice_page(invoice_id)


@blp.get("/invoices/<int:invoice_id>/print")
@finance_only
def invoice_print(invoice_id: int):
    """The practice's printable invoice, the same page the storefront prints."""
    invoice_, parties = invoices.parties_of(current_principal(), invoice_id)
    return render_template("billing/invoice_print.html", invoice=invoice_, parties=parties,
                           back_url=url_for(".invoice", invoice_id=invoice_id))


@blp.post("/invoices/<int:invoice_id>/finalize")
@finance_only
def finalize(invoice_id: int):
    try:
        done = invoices.finalize(current_principal(), invoice_id)
    except DomainError as exc:
        return _invoice_page(invoice_id, refusal(exc), "finalize", status=exc.status_code)
    settled = " and paid by the practice's credits" if done.status == "paid" else f", due on {local_date(done.due_on)}"
    flash(f"Invoice {done.number} finalized: {format_dollars(done.total_cents)}{settled}.", "success")
    return redirect(url_for(".invoice", invoice_id=invoice_id))


@blp.post("/invoices/<int:invoice_id>/void")
@finance_only
def void(invoice_id: int):
    raw = {k: v for k, v in form_data().items() if k == "reason"}
    try:
        reason = load(VoidSchema(), raw)["reason"]
        invoices.void(current_principal(), invoice_id, reason)
    except DomainError as exc:
        return _invoice_page(invoice_id, refusal(exc, (409, 422)), "void", raw, exc.status_code)
    flash(f"Invoice #{invoice_id} is void; any credits it used went back to the practice.", "success")
    return redirect(url_for(".invoice", invoice_id=invoice_id))


@blp.post("/invoices/<int:invoice_id>/credit-notes")
@finance_only
def credit_note(invoice_id: int):
    """A credit note as POST /invoices/{id}/credit-notes takes it; the amount typed in
    dollars (exactly: console_forms.Dollars), a refusal at its field."""
    raw = {k: v for k, v in form_data().items() if k in ("amount", "reason", "left_cents")}
    try:
        data = load(CreditNoteFormSchema(), raw)
        note = invoice_console.credit_invoice_as_seen(current_principal(), invoice_id, data["amount_cents"],
                                                      data["reason"], data["seen_left_cents"])
    except DomainError as exc:
        errors = refusal(exc, (409, 422))
        if "amount_cents" in errors.fields:  # the service names the API's field
            errors.fields["amount"] = errors.fields.pop("amount_cents")
        return _invoice_page(invoice_id, errors, "credit", raw, exc.status_code)
    flash(f"Credit note {note.number} issued for {format_dollars(-note.total_cents)}: a credit on the "
          "practice's next invoices.", "success")
    return redirect(url_for(".invoice", invoice_id=invoice_id))


# --- billing runs ------------------------------------------------------------------------


def _runs_page(errors: FormErrors | None = None, values=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    runs = invoice_console.billing_runs(principal, page, page_size)
    values = values or {"kind": "membership", "month": f"{utcnow():%Y-%m}"}
    return render_template("billing/console_billing_runs.html", runs=runs, page=page, page_size=page_size,
                           errors=errors or FormErrors(), values=values, may=_may(principal)), status


@blp.get("/billing-runs")
@finance_only
def billing_runs():
    return _runs_page()


@blp.post("/billing-runs")
@finance_only
def start_billing_run():
    """As POST /billing-runs: a month asked again returns its run and bills nothing twice."""
    raw = {k: v for k, v in form_data().items() if k in ("kind", "month")}
    try:
        run, created = membership.request_billing_run(current_principal(), load(BillingRunInSchema(), raw))
    except DomainError as exc:
        return _runs_page(refusal(exc, (409, 422)), raw, exc.status_code)
    month = month_name(run.month)
    if created:
        flash(f"The {run.kind} run for {month} has started (run #{run.id}).", "success")
    else:
        flash(f"{month} already has its {run.kind} run (#{run.id}): asked again, it drafts only what is missing "
              "(a practice activated or an invoice voided since), so nothing is billed twice.", "info")
    return redirect(url_for(".billing_run", run_id=run.id))


@blp.get("/billing-runs/<int:run_id>")
@finance_only
def billing_run(run_id: int):
    page, page_size = page_args()
    view = invoice_console.billing_run_file(current_principal(), run_id, page, page_size)
    return render_template("billing/console_billing_run.html", view=view, run=view.run, page=page,
                           page_size=page_size)
