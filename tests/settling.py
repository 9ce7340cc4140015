"""What the settlement and scorecard tests share: approved vendor invoices written
straight to the database, as gpo/payables/invoices.py writes them once they match (the
settlement only reads them), on the `after_close` fixture's purchase order."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gpo.db import db, utcnow
from gpo.money import line_cents
from gpo.payables.models import VendorInvoice, VendorInvoiceLine, VendorInvoiceTax
from gpo.payables.settlements import run_settlements

TODAY = utcnow().date()
GLOVES = Decimal("17.9910")  # the close's price at the 10% tier


def vendor_invoice(scenario, number: str, lines: list[tuple], *, freight_cents: int = 0, tax: dict | None = None,
                   issued_on: dt.date | None = None, status: str = "approved") -> VendorInvoice:
    """An invoice of the scenario's purchase order: `lines` are (po_line, quantity) or
    (po_line, quantity, invoiced unit price); `tax` {location id: cents}. Each line is
    matched on price as the match would (contract price = the PO line's unit price, no
    tolerance); the line's `invoiced_quantity` grows. Committed."""
    goods, exception, favourable, rows = 0, 0, 0, []
    for po_line, quantity, *price in lines:
        price = price[0] if price else po_line.unit_price
        cents, contract = line_cents(price, quantity), line_cents(po_line.unit_price, quantity)
        difference = cents - contract
        result = "exception" if difference > 0 else "below" if difference < 0 else "match"
        exception += max(difference, 0)
        favourable += max(-difference, 0)
        goods += cents
        rows.append(VendorInvoiceLine(purchase_order_line_id=po_line.id, quantity=quantity, unit_price=price,
                                      line_cents=cents, contract_price=po_line.unit_price, contract_cents=contract,
                                      price_difference_cents=difference, price_result=result,
                                      quantity_result="matched"))
        po_line.invoiced_quantity += quantity
    taxes = [VendorInvoiceTax(location_id=location_id, tax_cents=cents) for location_id, cents in (tax or {}).items()]
    tax_cents = sum(t.tax_cents for t in taxes)
    invoice = VendorInvoice(
        vendor_id=scenario.po.vendor_id, purchase_order_id=scenario.po.id, number=number,
        issued_on=issued_on or TODAY, status=status, goods_cents=goods, freight_cents=freight_cents,
        tax_cents=tax_cents, total_cents=goods + freight_cents + tax_cents, exception_cents=exception,
        favourable_cents=favourable, submitted_by="vendor_key", lines=rows, taxes=taxes,
        approved_at=utcnow() if status == "approved" else None)
    db.session.add(invoice)
    db.session.commit()
    return invoice


def shipped_and_received(scenario):
    """Every line accepted, shipped in full and received good (what an approved invoice
    needs in real life)."""
    from tests.scenarios import record_receipt_rows

    scenario.accept_all()
    for location in (scenario.world.location, scenario.other_location):
        line = scenario.line(location)
        shipment = scenario.ship(line, line.quantity, tracking=f"1Z-{line.id}")
        record_receipt_rows(shipment["id"], location.practice_id, {line.id: (line.quantity, 0)})
    db.session.expire_all()


def nets_its_fee(scenario, percent: str = "2.5") -> None:
    """The scenario's contract nets its admin fee from settlements, at `percent`."""
    scenario.contract.admin_fee_settlement = "netted"
    scenario.contract.admin_fee_percent = Decimal(percent)
    db.session.commit()


def settle(client, world, through=None, who="mso_finance", **body):
    """POST /vendor-settlements; the response."""
    return client.post("/api/v1/vendor-settlements", json={"through": str(through or TODAY), **body},
                       headers=world.headers[who])


def run_directly(through=None, vendor_id=None) -> dict:
    """The run's job function itself, in its own unit of work (as the job system runs it)."""
    from gpo.db import unit_of_work

    with unit_of_work():
        return run_settlements(str(through or TODAY), vendor_id, "test")
