"""Vendor invoices on the after-the-close world (tests/scenarios.py:AfterClose): Acme's
purchase order, 60 gloves to Lakeside's location and 50 to Riverbend's at 17.9910
(107,946 and 89,955 cents), accepted, shipped and received as each test needs, and its
invoices sent over the API. Shared by the vendor-invoice and pass-through tests."""
from __future__ import annotations

from sqlalchemy import select

from gpo.billing.models import Invoice
from gpo.db import db, unit_of_work
from gpo.orders.models import PurchaseOrderLine
from gpo.payables import invoices
from gpo.payables.models import VendorInvoice
from tests.scenarios import record_receipt_rows

CONTRACT = "17.9910"
LAKESIDE_CENTS, RIVERBEND_CENTS = 107946, 89955  # line_cents(17.9910, 60), line_cents(17.9910, 50)


class Invoicing:
    def __init__(self, after_close):
        self.ac = after_close
        self.world, self.client, self.po = after_close.world, after_close.client, after_close.po
        self.lakeside = after_close.line(self.world.location)
        self.riverbend = after_close.line(after_close.other_location)
        self.shipments: dict[int, int] = {}

    def accept_and_ship(self, lakeside=60, riverbend=50):
        self.ac.accept_all()
        for line, units in ((self.lakeside, lakeside), (self.riverbend, riverbend)):
            if units:
                self.shipments[line.id] = self.ac.ship(line, units, tracking=f"1Z-{line.id}")["id"]

    def receive(self, line, good, damaged=0, rematch=True):
        """Receipt rows for the line's shipment, then the re-match receiving would run."""
        practice_id = self.world.practice.id if line.id == self.lakeside.id else self.world.other_practice.id
        record_receipt_rows(self.shipments[line.id], practice_id, {line.id: (good, damaged)})
        if rematch:
            with unit_of_work():  # the RECEIVE step, as receiving's edge runs it (it may emit events)
                invoices.rematch(self.po.id, [line.id])

    def received(self):
        self.accept_and_ship()
        self.receive(self.lakeside, 60, rematch=False)
        self.receive(self.riverbend, 50, rematch=False)

    def body(self, number="ACME-1", lines=None, freight_cents=0, tax=None, **extra):
        if lines is None:
            lines = [(self.lakeside, 60, CONTRACT), (self.riverbend, 50, CONTRACT)]
        return {"number": number, "purchase_order_id": self.po.id, "issued_on": "2027-01-20",
                "lines": [{"po_line_id": line.id if hasattr(line, "id") else line, "quantity": q, "unit_price": p}
                          for line, q, p in lines],
                "freight_cents": freight_cents, "tax": tax or [], **extra}

    def send(self, body, who="vendor_key", vendor_id=None, key=None):
        headers = {**self.world.headers[who]}
        if key:
            headers["Idempotency-Key"] = key
        return self.client.post(f"/api/v1/vendors/{vendor_id or self.world.vendor.id}/invoices", json=body,
                                headers=headers)

    def sent(self, body, **kwargs):
        response = self.send(body, **kwargs)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def decide(self, invoice_id, action, reason="agreed with the vendor", who="mso_finance"):
        return self.client.post(f"/api/v1/vendor-invoices/{invoice_id}/{action}", json={"reason": reason},
                                headers=self.world.headers[who])

    def get(self, invoice_id, who="mso_finance"):
        return self.client.get(f"/api/v1/vendor-invoices/{invoice_id}", headers=self.world.headers[who])

    def invoiced(self) -> dict[int, int]:
        """Each purchase-order line's invoiced_quantity, as the database has it now."""
        db.session.expire_all()
        return {line.id: line.invoiced_quantity for line in db.session.scalars(select(PurchaseOrderLine))}

    def vendor_invoices(self) -> int:
        db.session.expire_all()
        return len(db.session.scalars(select(VendorInvoice)).all())

    def purchasing_invoice(self, practice) -> Invoice:
        db.session.expire_all()
        return db.session.scalars(select(Invoice).where(Invoice.practice_id == practice.id,
                                                        Invoice.kind == "purchasing")).one()

    def documents_of(self, practice, kind) -> list[Invoice]:
        db.session.expire_all()
        return db.session.scalars(select(Invoice).where(Invoice.practice_id == practice.id, Invoice.kind == kind)
                                  .order_by(Invoice.id)).all()
