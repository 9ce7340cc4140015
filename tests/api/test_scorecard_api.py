"""The vendor scorecard over HTTP, figures by hand. Acme's purchase order after the close:

  Lakeside gloves, 60 ordered: 50 accepted, 10 backordered to ship by D; shipped 50 on
    D-3 and 10 on D (late in the day, UTC): on time.
  Riverbend gloves, 50 ordered: 36 accepted, 6 backordered by D, 4 substituted (masks:
    a substitute line of 4, not an order), 4 rejected; shipped 36 on D-3, 6 on D+1: late.
  ordered 110, accepted 86 -> fill 78.18..% = 78.2; backordered 16 -> 14.54..% = 14.5;
  backorders on time 1 of 2 = 50.0.
  Invoices: INV-A (approved) Lakeside 50 at 17.9910 and the masks 4 at 4.0000 (both at
  the contract price); INV-B (exception) Riverbend 36 at 18.0000: 64,800 - 64,768 = 32
  cents above; INV-C (replaced: not counted) Lakeside 10 at 19.00. Counted lines 3, at
  the contract price 2 -> 66.7; exception dollars 32 cents."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from gpo.db import db, utcnow
from gpo.money import line_cents
from gpo.orders.models import PurchaseOrderLine, Shipment, ShipmentLine
from tests.helpers import assert_error
from tests.settling import TODAY, vendor_invoice

D = TODAY + dt.timedelta(days=5)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.timezone.utc)


@pytest.fixture
def scored(after_close):
    s, world = after_close, after_close.world
    lakeside, riverbend = s.line(world.location), s.line(s.other_location)
    lakeside.accepted_quantity, lakeside.backordered_quantity, lakeside.expected_ship_on = 50, 10, D
    riverbend.accepted_quantity, riverbend.backordered_quantity, riverbend.expected_ship_on = 36, 6, D
    riverbend.substituted_quantity = 4
    masks = PurchaseOrderLine(purchase_order_id=s.po.id, product_id=s.masks.id, location_id=s.other_location.id,
                              quantity=4, accepted_quantity=4, unit_price=Decimal("4.0000"),
                              line_cents=line_cents(Decimal("4.0000"), 4), substitution_of_id=riverbend.id)
    db.session.add(masks)
    db.session.flush()
    for line, shipments in ((lakeside, [(50, _at(D - dt.timedelta(days=3), 12)), (10, _at(D, 23))]),
                            (riverbend, [(36, _at(D - dt.timedelta(days=3), 12)), (6, _at(D + dt.timedelta(days=1), 1))]),
                            (masks, [(4, _at(D, 9))])):
        for quantity, at in shipments:
            shipment = Shipment(purchase_order_id=s.po.id, carrier="UPS", tracking_number=f"T{line.id}{quantity}",
                                created_at=at)
            db.session.add(shipment)
            db.session.flush()
            db.session.add(ShipmentLine(shipment_id=shipment.id, purchase_order_line_id=line.id, quantity=quantity))
            line.shipped_quantity += quantity
    db.session.commit()
    vendor_invoice(s, "INV-A", [(lakeside, 50), (masks, 4)])
    vendor_invoice(s, "INV-B", [(riverbend, 36, Decimal("18.0000"))], status="exception")
    vendor_invoice(s, "INV-C", [(lakeside, 10, Decimal("19.0000"))], status="replaced")
    return s


def _card(s, who="mso_procurement", accept=None, **query):
    period = {"from": str(TODAY - dt.timedelta(days=30)), "to": str(TODAY), **query}
    args = "&".join(f"{k}={v}" for k, v in period.items())
    headers = {**s.world.headers[who], **({"Accept": accept} if accept else {})}
    return s.client.get(f"/api/v1/reports/vendor-scorecard?{args}", headers=headers)


def test_the_scorecard_figures_by_hand(scored):
    response = _card(scored)
    assert response.status_code == 200, response.get_data(as_text=True)
    [row] = response.get_json()["rows"]
    assert row == {
        "vendor_id": scored.world.vendor.id, "vendor_name": "Acme", "purchase_orders": 1,
        "ordered_units": 110, "accepted_units": 86, "fill_rate_percent": "78.2",
        "backordered_units": 16, "backorder_rate_percent": "14.5",
        "backordered_lines": 2, "shipped_on_time_lines": 1, "shipped_on_time_percent": "50.0",
        "invoice_lines": 3, "price_match_lines": 2, "price_accuracy_percent": "66.7", "exception_cents": 32}


def test_a_cancelled_backorder_is_not_shipped_on_time(scored):
    """Lakeside ships 9 of its 10 backordered units on time and cancels the tenth."""
    line = scored.line(scored.world.location)
    late = db.session.scalars(select(ShipmentLine).where(ShipmentLine.purchase_order_line_id == line.id,
                                                         ShipmentLine.quantity == 10)).one()
    late.quantity, line.shipped_quantity, line.invoiced_quantity = 9, 59, 59
    line.backorder_cancelled_quantity = 1
    db.session.commit()
    [row] = _card(scored).get_json()["rows"]
    assert (row["shipped_on_time_lines"], row["shipped_on_time_percent"]) == (0, "0.0")


def test_the_scorecard_as_csv(scored):
    response = _card(scored, who="vendor_admin", accept="text/csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (row["fill_rate_percent"], row["price_accuracy_percent"], row["exception_cents"]) == ("78.2", "66.7", "32")


def test_a_vendor_sees_its_own_and_another_vendors_is_404(scored):
    world = scored.world
    mine = _card(scored, who="vendor_key").get_json()
    assert mine["vendor_id"] == world.vendor.id and len(mine["rows"]) == 1
    assert_error(_card(scored, who="vendor_admin", vendor_id=world.other_vendor.id), 404)
    assert_error(_card(scored, who="other_vendor_admin", vendor_id=world.vendor.id), 404)
    theirs = _card(scored, who="other_vendor_admin").get_json()
    assert theirs["vendor_id"] == world.other_vendor.id and theirs["rows"] == []
    assert_error(_card(scored, who="mso_finance", vendor_id=999999), 404)
    assert_error(_card(scored, who="practice_admin"), 403)
    assert [r["vendor_id"] for r in _card(scored, who="mso_admin", vendor_id=world.vendor.id).get_json()["rows"]] == [
        world.vendor.id]


def test_a_period_without_the_close_has_no_rows_and_bad_dates_are_422(scored):
    before = TODAY - dt.timedelta(days=400)
    assert _card(scored, **{"from": str(before), "to": str(before + dt.timedelta(days=1))}).get_json()["rows"] == []
    assert "to" in assert_error(_card(scored, **{"from": str(TODAY), "to": str(TODAY - dt.timedelta(days=1))}),
                                422)["errors"]["query"]
    assert_error(_card(scored, **{"from": "2027-02-30"}), 422)
    assert_error(_card(scored, **{"from": "soon"}), 422)
    assert_error(_card(scored, vendor_id="abc"), 422)


def test_nothing_acknowledged_counts_no_units_filled(after_close):
    [row] = _card(after_close).get_json()["rows"]
    assert (row["ordered_units"], row["accepted_units"], row["fill_rate_percent"]) == (110, 0, "0.0")
    assert (row["shipped_on_time_percent"], row["price_accuracy_percent"]) == (None, None)
    assert utcnow().date() == TODAY
