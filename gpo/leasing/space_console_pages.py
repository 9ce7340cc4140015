"""The console's shared-space pages (WEB.md "Console pages"): the suites with this
month's rent and "New shared space" (MSO finance and admins, as POST /leasing/spaces,
the rent typed in dollars), and a suite's page: its occupancies with a form to end
each, "Add occupancy" with a practice to choose, and the split of a chosen month with
each practice's square feet and share and the vacancy, the MSO's own share. Forms are
parsed by the API's schemas and handed to the same use cases (gpo.leasing.spaces)."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.billing.schemas import MAX_CENTS
from gpo.errors import DomainError, Invalid
from gpo.leasing import assets, spaces
from gpo.leasing.space_schemas import OccupancyEndSchema, OccupancyInSchema, SpaceCreateSchema
from gpo.money import NotDollars, format_dollars, parse_dollars
from gpo.web.filters import local_date
from gpo.web.forms import form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("space_console", __name__, "console", url_prefix="/console")

NOT_MANAGE = "Only MSO finance and admins create shared spaces and occupancies."
_MONTH = re.compile(r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$")


def _space_body(values: dict) -> dict:
    """The API body from the form: the base rent typed in dollars becomes exact cents.
    What cannot be read is refused at its field (base_rent)."""
    body = {k: values[k] for k in ("name", "address", "square_feet", "escalation_percent", "starts_on") if k in values}
    if "escalation_percent" in body:
        body["escalation_percent"] = body["escalation_percent"].removesuffix("%").strip()
    problems = {}
    if "base_rent" in values:
        try:
            body["base_rent_cents"] = parse_dollars(values["base_rent"])
        except NotDollars as exc:
            problems["base_rent"] = [str(exc)]
    try:
        data = load(SpaceCreateSchema(), body)
    except Invalid as exc:
        found = dict(exc.errors["json"])
        if "base_rent_cents" in found:  # the schema speaks in cents; the form in dollars
            found.pop("base_rent_cents")
            found["base_rent"] = [f"a monthly rent from $0.01 to {format_dollars(MAX_CENTS)}"]
        raise Invalid(exc.message, {"json": {**found, **problems}}) from None
    if problems:
        raise Invalid("Please correct the fields marked below.", {"json": problems})
    return data


def _spaces_page(*, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    listed = spaces.list_spaces(principal, page, page_size)
    body = render_template("leasing/spaces_console_list.html", rows=[spaces.space_row(principal, s) for s in listed.items],
                           total=listed.total, page=page, page_size=page_size,
                           may_manage=policy.may(principal, "space.manage"), not_manage=NOT_MANAGE,
                           values=values or {"escalation_percent": "3"}, errors=errors)
    return body, status


@blp.get("/leasing/spaces", endpoint="spaces")  # the endpoint the leasing sub-navigation names
def spaces_list():
    return _spaces_page()


@blp.post("/leasing/spaces")
def create():
    principal = current_principal()
    policy.authorize(principal, "space.manage")  # a role that may not: 403, whatever the form holds
    values = form_data()
    try:
        space = spaces.create_space(principal, _space_body(values))
    except DomainError as exc:
        return _spaces_page(values=values, errors=refusal(exc, (422,)), status=exc.status_code)
    flash(f"{space.name} is created: {space.square_feet:,} sq ft at {format_dollars(space.base_rent_cents)} a month.",
          "success")
    return redirect(url_for("space_console.space_page", space_id=space.id))


def _month_asked() -> str | None:
    month = request.args.get("month", "")
    return month if _MONTH.fullmatch(month) else None


def _space_page(space_id: int, *, values=None, errors=None, end_errors=None, ending=None, status: int = 200):
    principal = current_principal()
    detail = spaces.space_detail(principal, space_id, _month_asked())
    may_manage = policy.may(principal, "space.manage")
    body = render_template("leasing/spaces_console_space.html", month_name=spaces.month_name,
                           d=detail, split=detail["split"], may_manage=may_manage,
                           not_manage=NOT_MANAGE, may_read_invoices=policy.may(principal, "invoice.read"),
                           practices=assets.practice_options() if may_manage else [],
                           values=values or {"starts_on": str(max(detail["starts_on"], spaces.today()))},
                           errors=errors, end_errors=end_errors, ending=ending)
    return body, status


@blp.get("/leasing/spaces/<int:space_id>")
def space_page(space_id: int):
    return _space_page(space_id)


@blp.post("/leasing/spaces/<int:space_id>/occupancies")
def add_occupancy(space_id: int):
    """Add an occupancy; a refusal (422 at its field, 409 for an overlap or more square
    feet than the suite has) shows the form again with the message."""
    values = form_data()
    try:
        occupancy = spaces.add_occupancy(current_principal(), space_id, load(OccupancyInSchema(), values))
    except DomainError as exc:
        return _space_page(space_id, values=values, errors=refusal(exc, (409, 422)), status=exc.status_code)
    flash(f"{spaces.practice_names([occupancy.practice_id])[occupancy.practice_id]} occupies "
          f"{occupancy.square_feet:,} sq ft from {local_date(occupancy.starts_on)}.", "success")
    return redirect(url_for("space_console.space_page", space_id=space_id))


@blp.post("/leasing/occupancies/<int:occupancy_id>/end")
def end_occupancy(occupancy_id: int):
    principal = current_principal()
    found = policy.load(principal, spaces.Occupancy, occupancy_id, "space.manage")
    space_id = found.space_id
    values = form_data()
    try:
        occupancy = spaces.end_occupancy(principal, occupancy_id, load(OccupancyEndSchema(), values)["ends_on"])
    except DomainError as exc:
        return _space_page(space_id, end_errors=refusal(exc, (409, 422)), ending=occupancy_id, status=exc.status_code)
    flash(f"Occupancy {occupancy.id} ends on {local_date(occupancy.ends_on)}.", "success")
    return redirect(url_for("space_console.space_page", space_id=space_id))

