"""The storefront's Receiving pages (WEB.md): the shipments to the practice's
locations waiting to be received and those received; a shipment's page with a form
per line (good units, damaged units; what is left of what shipped is missing) as POST
/shipments/{id}/receipts takes it, refusals at the line's field; once received, what
was recorded and the claims with their status. Each page parses, calls one service of
gpo.receiving, renders; another practice's shipment is 404, as in the API."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError
from gpo.receiving import receipts, shipments
from gpo.receiving.schemas import ReceiptInSchema
from gpo.web import Waiting
from gpo.web.forms import FormErrors, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("receiving_pages", __name__, "storefront")

_INDEXED = re.compile(r"^lines\.(\d+)(?:\.(\w+))?$")
_FIELD = {"received_quantity": "good", "damaged_quantity": "damaged", None: "good"}


def waiting(principal) -> list[Waiting]:
    """What waits for a practice's receiving: shipments with lines not received yet."""
    n = shipments.count_to_receive(principal)
    if not n:
        return []
    return [Waiting(f"{n} shipment{'' if n == 1 else 's'} to receive", url_for("receiving_pages.shipments"))]


@blp.get("/receiving", endpoint="shipments")
def shipments_page():
    principal = current_principal()
    page, page_size = page_args()
    received = shipments.list_shipments(principal, "received", page, page_size)
    return render_template("receiving/shipments.html", to_receive=shipments.list_shipments(principal, "to_receive", 1, 100),
                           received=received, page=page, page_size=page_size)


def _page(shipment_id: int, errors: FormErrors | None = None, values: dict | None = None, status: int = 200):
    principal = current_principal()
    return render_template("receiving/shipment.html", shipment=shipments.get_shipment(principal, shipment_id),
                           errors=errors or FormErrors(), values=values or {},
                           may_receive=policy.may(principal, "receipt.create")), status


@blp.get("/receiving/shipments/<int:shipment_id>")
def shipment(shipment_id: int):
    return _page(shipment_id)


def _at_fields(errors: FormErrors, line_ids: list[str]) -> FormErrors:
    """Errors naming `lines.<i>` (or a field of it) shown at the i-th posted line's field."""
    fields = {}
    for key, message in errors.fields.items():
        match = _INDEXED.match(key)
        if match and int(match.group(1)) < len(line_ids) and match.group(2) in _FIELD:
            fields[f"{_FIELD[match.group(2)]}-{line_ids[int(match.group(1))]}"] = message
        elif key == "lines":
            fields["form"] = message
        else:
            fields[key] = message
    return FormErrors(message=errors.message, fields=fields)


@blp.post("/receiving/shipments/<int:shipment_id>")
def receive(shipment_id: int):
    """`good-<line id>` and `damaged-<line id>` per line received now (both blank: the
    line is received later; one blank counts as 0)."""
    posted = {key: value.strip() for key, value in request.form.items() if key.startswith(("good-", "damaged-"))}
    line_ids = sorted({key.split("-", 1)[1] for key, value in posted.items() if value != ""},
                      key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))
    data = {"lines": [{"shipment_line_id": line_id, "received_quantity": posted.get(f"good-{line_id}") or "0",
                       "damaged_quantity": posted.get(f"damaged-{line_id}") or "0"} for line_id in line_ids]}
    if not line_ids:
        return _page(shipment_id, FormErrors(message="Enter the good and damaged units of at least one line."),
                     posted, 422)
    try:
        lines = load(ReceiptInSchema(), data)["lines"]
        receipts.receive(current_principal(), shipment_id, lines)
    except DomainError as error:
        return _page(shipment_id, _at_fields(refusal(error, (409, 422)), line_ids), posted, error.status_code)
    good = sum(line["received_quantity"] for line in lines)
    damaged = sum(line["damaged_quantity"] for line in lines)
    flash(f"Received {len(lines)} line{'' if len(lines) == 1 else 's'}: {good} good"
          + (f", {damaged} damaged" if damaged else "") + ". Any damaged or missing units are claimed from the vendor.",
          "success")
    return redirect(url_for("receiving_pages.shipment", shipment_id=shipment_id))
