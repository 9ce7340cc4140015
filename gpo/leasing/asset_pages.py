"""The storefront's lease quote page (practice users): for an asset offered or leased to
the practice, up to three sets of terms side by side (as POST /leasing/quotes, for the
practice itself), so its admin can ask MSO finance for other terms. Column A starts
from the practice's latest lease of the asset. A role that may not quote reads why."""
from __future__ import annotations

from flask import render_template, request

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.invoices import today
from gpo.leasing import asset_forms, assets, leases
from gpo.web.forms import form_data
from gpo.web.shell import page_blueprint

blp = page_blueprint("asset_pages", __name__, "storefront")

NOT_QUOTE = ("Only your practice's admins compare lease terms; ask one of them, or MSO finance, "
             "for other terms.")


def _own_assets(principal) -> list[dict]:
    return [a for a in assets.list_assets(principal, {}, 1, 100).items if a["status"] != "sold"]


def _quote_page(values: dict, *, asset=None, columns=None, errors=None, status: int = 200):
    principal = current_principal()
    listed = _own_assets(principal)
    body = render_template(
        "leasing/quote.html", values=values, asset=asset, columns=columns or [], errors=errors,
        may_quote=policy.may(principal, "lease_quote.create"), not_quote=NOT_QUOTE,
        asset_options=[(a["id"], f"{a['description']} (#{a['id']})") for a in listed],
        column_keys=asset_forms.COLUMNS, column_labels=asset_forms.COLUMN_LABELS,
        test_rows=asset_forms.test_rows(columns or []))
    return body, status


@blp.get("/leasing/quote")
def quote():
    """The form, for the asset in the query string (one the practice does not see: 404)."""
    principal = current_principal()
    values = asset_forms.terms_defaults(today())
    asset = None
    raw = request.args.get("asset_id", "")
    if raw:
        asset = assets.get_asset(principal, asset_forms.id_of(raw) or 0)  # junk: no such asset, 404
        values["asset_id"] = str(asset["id"])
        lease = leases.latest_of_practice(principal, asset["id"])
        if lease is not None:
            values.update(asset_forms.terms_of_lease(lease, today()))
            if values["b-term_months"] == values["a-term_months"]:  # B is another term to compare with
                values["b-term_months"] = "36"
    return _quote_page(values, asset=asset)


@blp.post("/leasing/quote")
def compare():
    """Quote each set of terms typed, for the practice itself (nothing stored)."""
    principal = current_principal()
    policy.authorize(principal, "lease_quote.create")
    values = form_data()
    columns, errors = asset_forms.compare(principal, values, str(principal.organization_id))
    asset = None
    asset_id = asset_forms.id_of(values.get("asset_id"))
    if asset_id is not None and not (errors and errors.get("asset_id")):
        asset = assets.get_asset(principal, asset_id)
    return _quote_page(values, asset=asset, columns=columns, errors=errors or None, status=422 if errors else 200)
