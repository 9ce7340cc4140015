"""The console's asset pages (MSO staff): every asset with its status, lessee, cost and
fair value, and "New asset" (as POST /leasing/assets, a sale-leaseback too); an asset's
page with its history and leases; and the quote page that compares up to three sets of
terms side by side for one asset and practice (as POST /leasing/quotes), each with
"Offer this lease" (the leases pages' offer). Each page parses, calls the use
cases of gpo.leasing, and renders."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.invoices import today
from gpo.errors import DomainError
from gpo.leasing import asset_forms, assets
from gpo.leasing.models import ASSET_CATEGORIES
from gpo.money import format_dollars
from gpo.web import Waiting
from gpo.web.forms import FormErrors, form_data, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("asset_console", __name__, "console", url_prefix="/console")

NOT_CREATE = "Only MSO finance and MSO admins record assets."
NOT_QUOTE = "Only MSO finance and MSO admins quote leases."
OFFER_ENDPOINT = "lease_console.offer"
CATEGORY_OPTIONS = [(c, c.replace("_", " ").capitalize()) for c in ASSET_CATEGORIES]
AVAILABLE_OPTIONS = [("", "Every asset"), ("true", "On no lease"), ("false", "Leased or sold")]


def _available_filter() -> dict:
    raw = request.args.get("available", "")
    return {"available": raw == "true"} if raw in ("true", "false") else {}


def _assets_page(*, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    filters = _available_filter()
    listed = assets.list_assets(principal, filters, page, page_size)
    may_create = policy.may(principal, "leasing_asset.create")
    body = render_template(
        "leasing/console_assets.html", assets=listed.items, total=listed.total, page=page, page_size=page_size,
        available=request.args.get("available", ""), available_options=AVAILABLE_OPTIONS,
        may_create=may_create, not_create=NOT_CREATE, category_options=CATEGORY_OPTIONS,
        practice_options=assets.practice_options() if may_create else [],
        values=values if values is not None else {**asset_forms.asset_defaults(today()),
                                                  "seen_last_asset_id": str(assets.last_asset_id())},
        errors=errors)
    return body, status


@blp.get("/leasing/assets", endpoint="assets")  # the leasing subnav's endpoint (CONSOLE_SUBNAV)
def assets_list():
    return _assets_page()


@blp.post("/leasing/assets")
def create():
    """Record an asset; with a practice chosen, the MSO buys it from the practice and
    the price becomes the practice's credit. Refusals are shown at their fields."""
    principal = current_principal()
    policy.authorize(principal, "leasing_asset.create")  # a role that may not: 403, whatever the form holds
    values = form_data()
    seen = values.pop("seen_last_asset_id", None)
    seen_last_id = int(seen) if seen and seen.isascii() and seen.isdigit() and len(seen) < 19 else None
    try:
        asset = assets.create_asset_as_seen(principal, asset_forms.asset_input(values), seen_last_id)
    except DomainError as exc:
        errors = refusal(exc, (404, 409, 422))
        if seen_last_id is not None:
            values["seen_last_asset_id"] = str(assets.last_asset_id() if exc.status_code == 409 else seen_last_id)
        errors = FormErrors(errors.message, asset_forms.renamed(errors, asset_forms.ASSET_MONEY))
        if exc.status_code == 404:
            errors.fields.setdefault("sold_by_practice_id", exc.message)
        return _assets_page(values=values, errors=errors, status=exc.status_code)
    if asset["purchase_credit_id"]:
        origin = asset["history"]["origin"]
        flash(f"{asset['description']} is the MSO's: bought from {origin['practice_name']} for "
              f"{format_dollars(asset['cost_cents'])}, credited to the practice (credit "
              f"#{asset['purchase_credit_id']}, applied to its next invoices).", "success")
    else:
        flash(f"{asset['description']} is recorded at {format_dollars(asset['cost_cents'])}.", "success")
    return redirect(url_for("asset_console.asset_page", asset_id=asset["id"]))


@blp.get("/leasing/assets/<int:asset_id>")
def asset_page(asset_id: int):
    principal = current_principal()
    asset = assets.get_asset(principal, asset_id)
    return render_template("leasing/console_asset.html", asset=asset,
                           may_quote=policy.may(principal, "lease_quote.create"), not_quote=NOT_QUOTE)


# --- the comparison --------------------------------------------------------------------------


def _quote_page(values: dict, *, columns=None, errors=None, status: int = 200):
    principal = current_principal()
    may_quote = policy.may(principal, "lease_quote.create")
    asset_options = [(a["id"], f"{a['description']} (#{a['id']}, {format_dollars(a['cost_cents'])}, "
                               f"{a['status']})")
                     for a in assets.list_assets(principal, {}, 1, 100).items if a["status"] != "sold"]
    body = render_template(
        "leasing/console_quote.html", values=values, columns=columns or [], errors=errors, may_quote=may_quote,
        not_quote=NOT_QUOTE, asset_options=asset_options, practice_options=assets.practice_options(),
        column_keys=asset_forms.COLUMNS, column_labels=asset_forms.COLUMN_LABELS,
        test_rows=asset_forms.test_rows(columns or []),
        may_offer=policy.may(principal, "lease.offer"),
        offer_endpoint=OFFER_ENDPOINT)
    return body, status


@blp.get("/leasing/quote")
def quote():
    """The comparison's form: the asset and practice from the query string, two sets of
    terms filled in to start from."""
    values = asset_forms.terms_defaults(today())
    if "practice_id" in request.args and asset_forms.id_of(request.args["practice_id"]) is not None:
        values["practice_id"] = request.args["practice_id"]
    if request.args.get("asset_id"):
        # another's, no such asset, or not an id at all: 404
        assets.load_asset(current_principal(), asset_forms.id_of(request.args["asset_id"]) or 0)
        values["asset_id"] = request.args["asset_id"]
    return _quote_page(values)


@blp.post("/leasing/quote")
def compare():
    """Quote each set of terms typed (nothing stored) and show them side by side."""
    principal = current_principal()
    policy.authorize(principal, "lease_quote.create")
    values = form_data()
    columns, errors = asset_forms.compare(principal, values, values.get("practice_id"))
    return _quote_page(values, columns=columns, errors=errors or None, status=422 if errors else 200)


def waiting(principal) -> list[Waiting]:
    """The console's start page: assets earning nothing (on no lease)."""
    n = assets.count_available()
    if not n:
        return []
    return [Waiting(f"{n} asset{'' if n == 1 else 's'} on no lease",
                    url_for("asset_console.assets", available="true"))]
