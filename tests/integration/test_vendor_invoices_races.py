"""Vendor invoices racing (PostgreSQL: real concurrent transactions): two invoices for
the same units, and two with the same number. The purchase-order lines' row locks
queue them; the line's invoiced_quantity check and the unique (vendor, number) are the
backstops."""
from __future__ import annotations

from sqlalchemy import func, select

from gpo.db import db
from gpo.payables.models import VendorInvoice
from tests.scenarios import race
from tests.vendor_invoice_scenarios import CONTRACT, Invoicing


def _post(inv, body):
    return ("POST", f"/api/v1/vendors/{inv.world.vendor.id}/invoices",
            {"json": body, "headers": inv.world.headers["vendor_key"]})


def test_two_invoices_for_the_same_units_at_once_one_wins(app, after_close, postgresql_only):
    inv = Invoicing(after_close)
    inv.accept_and_ship()
    db.session.commit()
    responses = race(app, [_post(inv, inv.body(f"RACE-{i}", lines=[(inv.lakeside, 40, CONTRACT)])) for i in range(4)])
    assert sorted(r.status_code for r in responses) == [201, 422, 422, 422]
    assert inv.invoiced()[inv.lakeside.id] == 40
    assert db.session.scalar(select(func.count()).select_from(VendorInvoice)) == 1


def test_two_invoices_with_one_number_at_once_one_wins(app, after_close, postgresql_only):
    inv = Invoicing(after_close)
    inv.accept_and_ship()
    db.session.commit()
    responses = race(app, [_post(inv, inv.body("SAME-1", lines=[(line, 10, CONTRACT)]))
                           for line in (inv.lakeside, inv.riverbend)])
    assert sorted(r.status_code for r in responses) == [201, 409]
    invoiced = inv.invoiced()
    assert sorted((invoiced[inv.lakeside.id], invoiced[inv.riverbend.id])) == [0, 10]
    assert db.session.scalar(select(func.count()).select_from(VendorInvoice)) == 1
