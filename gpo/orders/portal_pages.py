"""The vendor portal's purchase orders (WEB.md "Vendor portal pages"): the supplier's
purchase orders, each acknowledged line by line (units accepted, backordered with an
expected date, offered as another product, the rest rejected, as POST
/purchase-orders/{id}/acknowledge takes them) and shipped per ship-to
location with carrier and tracking number (POST .../shipments). Another vendor's
purchase order answers 404, as in the API. Each page parses, calls one service, renders."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError
from gpo.orders import fulfilment
from gpo.orders import purchase_orders as vendor_side
from gpo.orders.console_pages import purchase_orders_of
from gpo.orders.schemas import AcknowledgeSchema, ShipmentInSchema
from gpo.web import Waiting
from gpo.web.forms import FormErrors, load, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("po_portal", __name__, "portal", url_prefix="/portal")

_INDEXED = re.compile(r"^lines\.(\d+)(?:\.([\w.]+))?$")


def register(app) -> None:
    """The portal's pages, their navigation (Purchase orders 30, suppliers) and what waits."""
    from gpo import web

    web.add_pages(app, blp)
    web.add_nav(app, "portal", "Purchase orders", "po_portal.purchase_orders", order=30, vendor_kinds={"supplier"})
    web.add_waiting(app, "portal", waiting, roles={"vendor_admin"}, order=30)


def waiting(principal) -> list[Waiting]:
    """The supplier's start page: purchase orders to acknowledge, and to ship."""
    counts = fulfilment.waiting_counts(principal)
    found = []
    for status, verb in (("awaiting_acknowledgement", "acknowledge"), ("to_ship", "ship")):
        n = counts.get(status, 0)
        if n:
            found.append(Waiting(f"{n} purchase order{'' if n == 1 else 's'} to {verb}",
                                 url_for("po_portal.purchase_orders", status=status)))
    return found


@blp.get("/purchase-orders")
def purchase_orders():
    return purchase_orders_of("orders/portal_purchase_orders.html", "po_portal.purchase_orders")


def _page(purchase_order_id: int, ack_errors: FormErrors | None = None, ship_errors: dict | None = None,
          values: dict | None = None, status: int = 200):
    principal = current_principal()
    view = fulfilment.purchase_order_detail(principal, purchase_order_id)
    return render_template("orders/portal_purchase_order.html", view=view, ack_errors=ack_errors or FormErrors(),
                           ship_errors=ship_errors or {}, values=values or {},
                           may_acknowledge=policy.may(principal, "purchase_order.acknowledge"),
                           may_ship=policy.may(principal, "purchase_order.ship")), status


@blp.get("/purchase-orders/<int:purchase_order_id>")
def purchase_order(purchase_order_id: int):
    return _page(purchase_order_id)


def _at_fields(errors: FormErrors, names: list[str], field: str) -> FormErrors:
    """Errors naming `lines.<i>` (or `lines.<i>.<field>`) shown at the form field of
    the i-th line posted (`names[i]`); the others stay where they are."""
    return _at_line_fields(errors, [{field: name, None: name} for name in names])


def _at_line_fields(errors: FormErrors, names: list[dict]) -> FormErrors:
    """Errors naming `lines.<i>.<field>` shown at the i-th line's form field for it
    (`names[i][field]`, or `names[i][None]` for the line as a whole)."""
    fields = {}
    for key, message in errors.fields.items():
        match = _INDEXED.match(key)
        i = int(match.group(1)) if match else None
        if match and i < len(names) and (match.group(2) in names[i] or match.group(2) == "line_id"):
            fields[names[i].get(match.group(2), names[i][None])] = message
        elif key == "lines":
            fields["form"] = message
        else:
            fields[key] = message
    return FormErrors(message=errors.message, fields=fields)


# The acknowledgement form's fields of a line (`<prefix>-<line id>`), by the API's names.
ACK_FIELDS = {"accepted_quantity": "accepted", "backordered_quantity": "backordered", "expected_ship_on": "ship_on",
              "substitute.product_id": "sub_product", "substitute.quantity": "sub_quantity",
              "substitute.unit_price": "sub_price"}


def _posted_acknowledgement() -> tuple[list[dict], list[dict]]:
    """The lines posted (an accepted quantity given; blank: decided later) as the API
    takes them, and each one's form field names."""
    form = {key: value.strip() for key, value in request.form.items()}
    lines, names = [], []
    for key, value in form.items():
        if not key.startswith("accepted-") or value == "":
            continue
        line_id = key.removeprefix("accepted-")
        given = {api: form.get(f"{prefix}-{line_id}", "") for api, prefix in ACK_FIELDS.items()}
        line = {"line_id": line_id, "accepted_quantity": value}
        if given["backordered_quantity"] not in ("", "0"):
            line["backordered_quantity"] = given["backordered_quantity"]
        if given["expected_ship_on"]:
            line["expected_ship_on"] = given["expected_ship_on"]
        if given["substitute.product_id"]:
            line["substitute"] = {"product_id": given["substitute.product_id"],
                                  "quantity": given["substitute.quantity"], "unit_price": given["substitute.unit_price"]}
        lines.append(line)
        names.append({None: key, **{api: f"{prefix}-{line_id}" for api, prefix in ACK_FIELDS.items()},
                      "substitute": f"sub_product-{line_id}"})
    return lines, names


@blp.post("/purchase-orders/<int:purchase_order_id>/acknowledge")
def acknowledge(purchase_order_id: int):
    """Per line: `accepted-<id>` (blank: decided later), `backordered-<id>` and
    `ship_on-<id>`, a substitute's `sub_product-<id>`, `sub_quantity-<id>`, `sub_price-<id>`."""
    posted, names = _posted_acknowledgement()
    try:
        lines = load(AcknowledgeSchema(), {"lines": posted})["lines"]
        po = vendor_side.acknowledge(current_principal(), purchase_order_id, lines)
    except DomainError as error:
        errors = _at_line_fields(refusal(error), names)
        return _page(purchase_order_id, ack_errors=errors, values={**request.form}, status=error.status_code)
    done = [line for line in po.lines if line.id in {item["line_id"] for item in lines}]
    counts = [(sum(line.rejected_quantity for line in done), "rejected"),
              (sum(line.backordered_quantity for line in done), "backordered"),
              (sum(line.substituted_quantity for line in done), "offered as a substitute")]
    said = [f"{n} unit{'' if n == 1 else 's'} {words}" for n, words in counts if n]
    flash(f"{len(lines)} line{'' if len(lines) == 1 else 's'} acknowledged"
          + (f": {', '.join(said)}." if said else ": every unit accepted."), "success")
    return redirect(url_for("po_portal.purchase_order", purchase_order_id=purchase_order_id))


@blp.post("/purchase-orders/<int:purchase_order_id>/shipments")
def ship(purchase_order_id: int):
    """One location's shipment: `location_id`, carrier, tracking number and
    `ship-<line id>`, the units of each line (blank: not in this shipment)."""
    location = request.form.get("location_id", "").strip()
    posted = [(key, value.strip()) for key, value in request.form.items()
              if key.startswith("ship-") and value.strip() != ""]
    names = [key for key, _ in posted]
    data = {"carrier": request.form.get("carrier", "").strip(),
            "tracking_number": request.form.get("tracking_number", "").strip(),
            "lines": [{"line_id": key.removeprefix("ship-"), "location_id": location, "quantity": value}
                      for key, value in posted]}
    data = {k: v for k, v in data.items() if v != ""}
    try:
        shipment = vendor_side.ship(current_principal(), purchase_order_id, load(ShipmentInSchema(), data))
    except DomainError as error:
        errors = _at_fields(refusal(error), names, "quantity")
        return _page(purchase_order_id, ship_errors={location: errors}, values={**request.form}, status=error.status_code)
    units = sum(line.quantity for line in shipment.lines)
    flash(f"Shipment sent: {units} unit{'' if units == 1 else 's'} with {shipment.carrier}, "
          f"tracking number {shipment.tracking_number}.", "success")
    return redirect(url_for("po_portal.purchase_order", purchase_order_id=purchase_order_id))

