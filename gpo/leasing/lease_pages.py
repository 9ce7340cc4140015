"""The storefront's leasing pages (WEB.md): the practice's offers waiting for its
signature, its active leases with the next rent and the balance, its ended ones; a
lease's page with its terms and figures in plain words, the classification, the
whole schedule and "Sign lease" (clinical equipment: a physician, CPOM). Each page
calls the use cases of gpo.leasing.leases, as the API does."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.invoices import today
from gpo.errors import DomainError
from gpo.leasing import leases
from gpo.money import format_dollars
from gpo.web.filters import local_date
from gpo.web.forms import refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("lease_pages", __name__, "storefront")

# How an asset's category reads on a page ("IT", not "It"); registered by
# gpo/leasing/__init__.py as the "asset_category" words.
ASSET_CATEGORY_WORDS = {"medical_equipment": "medical equipment", "it": "IT", "office": "office", "other": "other"}


@blp.get("/leasing", endpoint="leases")
def leases_page():
    on = today()
    return render_template("leasing/leases.html", on=on, **leases.overview(current_principal(), on))


def _lease_page(lease_id: int, *, errors=None, status: int = 200):
    principal = current_principal()
    lease = leases.get_lease(principal, lease_id)
    on = today()
    view = leases.lease_view(lease)
    invoice = leases.commencement_invoice(lease)
    body = render_template(
        "leasing/lease.html", lease=view, on=on, invoice=invoice,
        standing=leases.standing(lease, on) if lease.status == "active" else None,
        not_signed=leases.why_not_signed(principal, lease, on) if lease.status == "offered" else None,
        may_quote=policy.may(principal, "lease_quote.create"),
        errors=errors)
    return body, status


@blp.get("/leasing/leases/<int:lease_id>")
def lease(lease_id: int):
    return _lease_page(lease_id)


@blp.post("/leasing/leases/<int:lease_id>/sign")
def sign(lease_id: int):
    """Sign, as POST /leasing/leases/{id}/sign: a 403 (CPOM, a role that may not) or 404
    is the error page; a 409 (signed already, withdrawn, too late) shows on the lease."""
    try:
        signed = leases.sign(current_principal(), lease_id)
    except DomainError as exc:
        return _lease_page(lease_id, errors=refusal(exc, (409,)), status=exc.status_code)
    due = format_dollars(leases.lease_view(signed, with_schedule=False)["due_at_signing_cents"])
    flash(f"Lease {signed.id} is signed: it starts on {local_date(signed.commences_on)}."
          + (f" The commencement invoice ({due}) is issued." if signed.commencement_invoice_id else ""), "success")
    return redirect(url_for("lease_pages.lease", lease_id=signed.id))
