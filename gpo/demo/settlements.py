"""The demo's vendor settlements, on the purchasing history (gpo/demo/history.py): in
each of the last two months' cycles the practices received Acme's shipments in full
the day after they shipped and Acme invoiced each purchase order at the contract price
the day after (matched, approved at once); MSO finance settled Acme the next day,
through the invoices' date. Two months ago's settlement is sent with its bank
reference, last month's waits (pending) with its remittance advice; the furniture
contract's admin fee is netted (a deduction on each), the supplies contract's Acme
remits itself (recorded for two months ago). Each step runs through the services at
the moment it would have happened (`gpo.demo.clock.as_of`); what exists is left as it
is (receipts per shipment, invoices by number, settlements by vendor and date,
remittances by reference)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from gpo.accounts.models import Location, Organization, Practice, Vendor
from gpo.contracts.models import Contract
from gpo.db import db
from gpo.demo.clock import as_of
from gpo.demo.common import principal_of, wait_until_done
from gpo.demo.history import history_cycles
from gpo.jobs import Job
from gpo.money import format_dollars, percent_of_cents
from gpo.orders.models import Cycle, PurchaseOrder, Shipment
from gpo.payables import invoices as vendor_invoices
from gpo.payables import remittances, settlements
from gpo.payables.models import AdminFeeRemittance, VendorInvoice, VendorSettlement
from gpo.receiving import receipts
from gpo.receiving.models import Receipt

ACME = "Acme Medical Supply"
FINANCE = "finance@summit-mso.example"
BUYERS = {"Lakeside Family Medicine": "buyer@lakeside.example", "Riverbend Pediatrics": "buyer@riverbend.example",
          "Northside Orthopedics": "buyer@northside.example"}


def invoiced_on(cycle: Cycle) -> dt.date:
    """Acme invoices a history cycle three days after its close (shipped after one,
    received after two)."""
    return (cycle.closes_at + dt.timedelta(days=3)).date()


def seed_settlements() -> list[str]:
    acme = db.session.scalars(select(Vendor).where(Organization.name == ACME)).first()
    history = history_cycles()[-2:]
    if acme is None or len(history) < 2:
        return [" no settlements: the purchasing history is missing"]
    for n, cycle in enumerate(history):
        _receive_and_invoice(cycle, acme)
        _settle(acme, cycle, send=n == 0)
    _remit_supplies_fee(acme, history[0])
    lines = []
    for settlement in db.session.scalars(select(VendorSettlement).where(VendorSettlement.vendor_id == acme.id)
                                         .order_by(VendorSettlement.through)):
        count = db.session.scalar(select(func.count(VendorInvoice.id)).where(
            VendorInvoice.settlement_id == settlement.id))
        sent = f", sent ({settlement.bank_reference})" if settlement.status == "sent" else ", pending: to mark sent"
        lines.append(f" settlement {settlement.id}: Acme through {settlement.through}, {count} invoices "
                     f"{format_dollars(settlement.invoices_cents)} - {format_dollars(settlement.deductions_cents)} "
                     f"admin fee netted = {format_dollars(settlement.payable_cents)}{sent} ({FINANCE}: "
                     f"/console/settlements/{settlement.id}, its remittance advice .csv; admin@acme.example: "
                     f"/portal/settlements/{settlement.id})")
    for remittance in db.session.scalars(select(AdminFeeRemittance).where(AdminFeeRemittance.vendor_id == acme.id)
                                         .order_by(AdminFeeRemittance.id)):
        lines.append(f" admin fee remitted by Acme: {format_dollars(remittance.amount_cents)} on "
                     f"{remittance.received_on} ({remittance.reference}, contract {remittance.contract_id}, cycle "
                     f"{remittance.cycle_id}; /console/admin-fee-remittances)")
    return lines + [" the vendor scorecard: /console/vendor-scorecard (admin@acme.example: /portal/scorecard); "
                    "admin fees received beside owed: /console/disclosure"]


def _receive_and_invoice(cycle: Cycle, acme: Vendor) -> None:
    """Each practice receives its Acme shipments in full two days after the close;
    Acme invoices each purchase order the next day, at the contract price."""
    pos = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.cycle_id == cycle.id,
                                                         PurchaseOrder.vendor_id == acme.id)
                             .order_by(PurchaseOrder.id)).all()
    practice_of = dict(db.session.execute(select(Location.id, Organization.name).join(
        Practice, Practice.id == Location.practice_id)).all())
    with as_of(cycle.closes_at + dt.timedelta(days=2)):
        for po in pos:
            po_lines = {line.id: line for line in po.lines}
            for shipment in db.session.scalars(select(Shipment).where(Shipment.purchase_order_id == po.id)
                                               .order_by(Shipment.id)):
                if db.session.scalar(select(Receipt.id).where(Receipt.shipment_id == shipment.id)) is not None:
                    continue  # one location per history shipment: received once
                name = practice_of[po_lines[shipment.lines[0].purchase_order_line_id].location_id]
                receipts.receive(principal_of(BUYERS[name]), shipment.id, [
                    {"shipment_line_id": item.purchase_order_line_id, "received_quantity": item.quantity,
                     "damaged_quantity": 0} for item in shipment.lines])
    with as_of(cycle.closes_at + dt.timedelta(days=3)):
        for po in pos:
            number = f"ACME-{po.id:05d}"
            if db.session.scalar(select(VendorInvoice.id).where(VendorInvoice.vendor_id == acme.id,
                                                                VendorInvoice.number == number)) is not None:
                continue
            db.session.refresh(po)
            vendor_invoices.submit(principal_of("admin@acme.example"), acme.id, {
                "number": number, "purchase_order_id": po.id, "issued_on": invoiced_on(cycle), "freight_cents": 0,
                "tax": [], "lines": [{"po_line_id": line.id, "quantity": line.received_quantity,
                                      "unit_price": Decimal(line.unit_price)}
                                     for line in po.lines if line.received_quantity]})


def _settle(acme: Vendor, cycle: Cycle, send: bool) -> None:
    """MSO finance's settlement run through the invoices' date, the day after; sent
    (with a bank reference) two days later when `send`."""
    through = invoiced_on(cycle)
    found = db.session.scalars(select(VendorSettlement).where(VendorSettlement.vendor_id == acme.id,
                                                              VendorSettlement.through == through)).first()
    if found is None:
        if not settlements.vendors_to_settle(through, acme.id):
            return  # nothing approved through then (a database seeded otherwise)
        with as_of(cycle.closes_at + dt.timedelta(days=4)):
            job = settlements.request_settlement(principal_of(FINANCE), {"through": through, "vendor_id": acme.id})
            wait_until_done(f"the settlement run through {through}", select(Job.status).where(Job.id == job.id),
                            ("finished", "failed"))
        found = db.session.scalars(select(VendorSettlement).where(VendorSettlement.vendor_id == acme.id,
                                                                  VendorSettlement.through == through)).first()
        if found is not None and send:
            with as_of(cycle.closes_at + dt.timedelta(days=6)):
                settlements.mark_sent(principal_of(FINANCE), found.id, f"ACH {through:%Y%m%d}-{found.id:06d}")


def _remit_supplies_fee(acme: Vendor, cycle: Cycle) -> None:
    """Acme remits the supplies contract's admin fee on the cycle (2% of what its
    purchase order came to): MSO finance records it the week after the close."""
    contract = db.session.scalars(select(Contract).where(Contract.title == "Exam room supplies and equipment")).first()
    po = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.cycle_id == cycle.id,
                                                        PurchaseOrder.contract_id == (contract.id if contract else None))
                            ).first()
    if contract is None or po is None or contract.admin_fee_settlement != "remitted":
        return
    reference = f"ACME-FEE-{cycle.closes_at:%Y%m}"
    if db.session.scalar(select(AdminFeeRemittance.id).where(AdminFeeRemittance.vendor_id == acme.id,
                                                             AdminFeeRemittance.reference == reference)) is not None:
        return
    received_on = cycle.closes_at + dt.timedelta(days=7)
    with as_of(received_on):
        remittances.record_remittance(principal_of(FINANCE), {
            "vendor_id": acme.id, "contract_id": contract.id, "cycle_id": cycle.id, "received_on": received_on.date(),
            "amount_cents": percent_of_cents(sum(line.line_cents for line in po.lines), contract.admin_fee_percent or 0),
            "reference": reference})
