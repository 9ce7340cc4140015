"""Each factory builds a valid, committed object: the database's constraints hold (the
commit would fail otherwise), its sums add up, and the API reads it as one it made."""
import datetime as dt
import re

from sqlalchemy import select

from gpo.accounts.models import Location
from gpo.billing.models import Credit, Invoice
from gpo.contracts.models import ContractItem
from gpo.db import db, utcnow
from gpo.orders.models import Order
from tests.factories import (
    ContractFactory,
    EnrollmentFactory,
    InsuranceProgramFactory,
    InvoiceFactory,
    OrderFactory,
    ProductFactory,
    ShiftRequestFactory,
)


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def test_an_order_with_lines_in_the_open_cycle(client, world):
    gloves = ProductFactory(vendor_id=world.vendor.id)
    table = ProductFactory(vendor_id=world.vendor.id, clinical=True, category="equipment")
    contract = ContractFactory(vendor_id=world.vendor.id, products=[gloves, table])
    order = _fresh(Order, OrderFactory(location=world.location, items=[(gloves, 60)]).id)
    assert (order.practice_id, order.location_id, order.status) == (world.practice.id, world.location.id, "confirmed")
    [line] = order.lines
    assert (line.product_id, line.contract_id, line.quantity, line.list_price) == (gloves.id, contract.id, 60, gloves.list_price)
    assert db.session.get(ContractItem, (contract.id, gloves.id)) is not None
    # a second order goes into the same open cycle; a clinical line waits for a physician
    clinical = OrderFactory(location=world.location, items=[(table, 1)])
    assert (clinical.cycle_id, clinical.status) == (order.cycle_id, "awaiting_approval")
    seen = client.get(f"/api/v1/orders/{order.id}", headers=world.headers["practice_buyer"])
    assert seen.status_code == 200, seen.get_data(as_text=True)
    body = seen.get_json()
    assert (body["status"], body["cycle_id"], [(x["product_id"], x["quantity"]) for x in body["lines"]]) == (
        "confirmed", order.cycle_id, [(gloves.id, 60)])


def test_an_order_on_its_own_builds_its_practice_product_and_contract(db_ctx):
    order = OrderFactory()
    [line] = order.lines
    assert (order.status, line.quantity) == ("confirmed", 10)
    assert db.session.get(Location, order.location_id).practice_id == order.practice_id
    assert db.session.get(ContractItem, (line.contract_id, line.product_id)) is not None


def test_a_draft_invoice_whose_totals_are_its_lines(client, world):
    invoice = _fresh(Invoice, InvoiceFactory(practice_id=world.practice.id, amounts=[15000, 2500]).id)
    assert (invoice.status, invoice.number, invoice.kind) == ("draft", None, "membership")
    assert [line.amount_cents for line in invoice.lines] == [15000, 2500]
    assert (invoice.subtotal_cents, invoice.credits_applied_cents, invoice.total_cents) == (17500, 0, 17500)
    seen = client.get(f"/api/v1/invoices/{invoice.id}", headers=world.headers["mso_finance"]).get_json()
    assert (seen["subtotal_cents"], seen["total_cents"], len(seen["lines"])) == (17500, 17500, 2)


def test_an_issued_invoice_is_numbered_and_takes_the_practices_credits(client, world):
    db.session.add(Credit(practice_id=world.practice.id, source="adjustment", description="goodwill",
                          amount_cents=2000, remaining_cents=2000))
    db.session.commit()
    invoice = _fresh(Invoice, InvoiceFactory(practice_id=world.practice.id, amounts=[15000], issued=True).id)
    assert invoice.status == "open" and re.fullmatch(rf"INV-{utcnow().year}-000001", invoice.number)
    assert (invoice.subtotal_cents, invoice.credits_applied_cents, invoice.total_cents) == (15000, 2000, 13000)
    assert invoice.total_cents == invoice.subtotal_cents - invoice.credits_applied_cents
    assert invoice.due_on > invoice.issued_on
    # a second one gets the next number, gap-free
    assert InvoiceFactory(practice_id=world.practice.id, issued=True).number == f"INV-{utcnow().year}-000002"


def test_an_enrollment_in_an_open_program_is_quoted(client, world):
    program = InsuranceProgramFactory()
    enrollment = EnrollmentFactory(program=program, provider=world.provider)
    assert (enrollment.practice_id, enrollment.specialty_class, enrollment.effective_on) == (
        world.practice.id, "1", program.period_start)
    seen = client.get(f"/api/v1/insurance/enrollments/{enrollment.id}", headers=world.headers["practice_admin"])
    assert seen.status_code == 200, seen.get_data(as_text=True)
    body = seen.get_json()
    # class 1 at 1M/3M: $12,000 a year, claims-made year 5 (factor 1.00), full time, the whole period
    assert (body["status"], body["final"], body["premium_cents"]) == ("active", False, 1200000)
    assert sum(i["amount_cents"] for i in body["installment_schedule"]) == body["premium_cents"]


def test_an_enrollment_on_its_own_builds_its_program_and_provider(db_ctx):
    enrollment = EnrollmentFactory()
    assert enrollment.program.status == "open" and enrollment.provider.practice_id == enrollment.practice_id


def test_an_open_shift_request_a_week_ahead(client, world):
    request = ShiftRequestFactory(location=world.location)
    assert (request.practice_id, request.status, request.short_notice) == (world.practice.id, "open", False)
    assert request.ends_at - request.starts_at == dt.timedelta(hours=8)
    seen = client.get(f"/api/v1/staffing/shift-requests/{request.id}", headers=world.headers["practice_admin"])
    assert seen.status_code == 200, seen.get_data(as_text=True)
    assert (seen.get_json()["status"], seen.get_json()["role"]) == ("open", "billing_specialist")
    soon = ShiftRequestFactory(location=world.location, starts_at=utcnow() + dt.timedelta(hours=5))
    assert soon.short_notice is True
    assert db.session.scalars(select(Order)).all() == []
