"""The vendor portal's Claims page (WEB.md "Vendor portal pages"): the claims of the
supplier's shipments (damaged or missing units a practice recorded), filtered by
status, each open one with "Ship a replacement" and "Credit the practice" (each asks to
confirm), as POST /claims/{id}/replace and /credit. Another vendor's claim is 404, as in
the API; a claim resolved already (409) is said on top of the list."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError
from gpo.receiving import claims
from gpo.receiving.models import CLAIM_STATUSES
from gpo.web import Waiting
from gpo.web.forms import FormErrors, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("claims_portal", __name__, "portal", url_prefix="/portal")


def waiting(principal) -> list[Waiting]:
    n = claims.count_open(principal)
    if not n:
        return []
    return [Waiting(f"{n} claim{'' if n == 1 else 's'} to resolve", url_for("claims_portal.claims", status="open"))]


def _page(errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    wanted = request.args.get("status", "")
    if wanted and wanted not in CLAIM_STATUSES:
        errors, status, wanted = FormErrors(message="Please correct the fields marked below.", fields={
            "status": f"Must be one of: {', '.join(CLAIM_STATUSES)}."}), 422, ""
    page, page_size = page_args()
    return render_template("receiving/portal_claims.html", claims=claims.list_claims(principal, wanted or None, page, page_size),
                           status=wanted, statuses=CLAIM_STATUSES, page=page, page_size=page_size,
                           errors=errors or FormErrors(), may_resolve=policy.may(principal, "claim.resolve")), status


@blp.get("/claims", endpoint="claims")
def claims_page():
    return _page()


def _resolve(claim_id: int, action, done: str):
    try:
        claim = action(current_principal(), claim_id)
    except DomainError as error:
        return _page(refusal(error, (409,)), error.status_code)
    flash(f"Claim {claim.id}: {done.format(n=claim.quantity)}", "success")
    return redirect(url_for("claims_portal.claims"))


@blp.post("/claims/<int:claim_id>/replace")
def replace(claim_id: int):
    return _resolve(claim_id, claims.replace, "{n} units to ship again, in a normal shipment.")


@blp.post("/claims/<int:claim_id>/credit")
def credit(claim_id: int):
    return _resolve(claim_id, claims.credit, "{n} units credited to the practice.")
