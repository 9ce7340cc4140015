"""Scenario builders several test files share: a world of organizations and people,
a market with a contract and an open cycle, billing, an insurance program, the
staffing pool, signed Stripe webhooks and concurrent requests. Their fixtures are in
the conftest.py nearest to the tests that use them (`world` in tests/conftest.py,
`billing` in tests/api/conftest.py); test modules import builders from here, never
from one another."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal as D

from sqlalchemy import select

from gpo.billing.models import Invoice
from gpo.db import db, utcnow
from gpo.orders.models import PurchaseOrder
from gpo.staffing import clock
from tests.conftest import TEST_SECRET, TEST_WEBHOOK_SECRET
from tests.factories import (
    ContractFactory,
    CycleFactory,
    LocationFactory,
    MsoFactory,
    PracticeFactory,
    ProductFactory,
    ProviderFactory,
    UserFactory,
    VendorFactory,
    api_key_with_secret,
    token_for,
)

TODAY = utcnow().date()
YEAR = TODAY.year


# --- the world: organizations and who signs in -------------------------------------------


@dataclass
class World:
    """Two practices, two vendors, MSO staff; `headers[name]` signs in as each."""

    mso: object
    practice: object
    other_practice: object
    vendor: object
    other_vendor: object
    location: object
    provider: object
    users: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    api_key: object = None


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def build_world() -> World:
    """The World, committed (the `world` fixture)."""
    mso = MsoFactory()
    practice = PracticeFactory(name="Lakeside")
    other_practice = PracticeFactory(name="Riverbend")
    vendor = VendorFactory(name="Acme")
    other_vendor = VendorFactory(name="Bolt")
    w = World(
        mso=mso, practice=practice, other_practice=other_practice, vendor=vendor, other_vendor=other_vendor,
        location=LocationFactory(practice=practice), provider=ProviderFactory(practice_id=practice.id),
    )
    people = {
        "mso_admin": (mso, ["mso_admin"]),
        "mso_procurement": (mso, ["mso_procurement"]),
        "mso_finance": (mso, ["mso_finance"]),
        "practice_admin": (practice, ["practice_admin"]),
        "practice_buyer": (practice, ["practice_buyer"]),
        "practice_physician": (practice, ["practice_physician"]),
        "other_practice_admin": (other_practice, ["practice_admin"]),
        "vendor_admin": (vendor, ["vendor_admin"]),
        "other_vendor_admin": (other_vendor, ["vendor_admin"]),
    }
    for name, (org, roles) in people.items():
        user = UserFactory(organization_id=org.id, roles=roles, email=f"{name}@example.test")
        w.users[name] = user
        w.headers[name] = bearer(token_for(user, TEST_SECRET))
    w.api_key, plain = api_key_with_secret(vendor.id)
    w.headers["vendor_key"] = bearer(plain)
    other_key, other_plain = api_key_with_secret(other_vendor.id)
    w.headers["other_vendor_key"] = bearer(other_plain)
    return w


# --- orders: a contract, an open cycle ----------------------------------------------------


UNIT_TIERS = [
    {"min_volume": 0, "discount_percent": "0", "item_prices": {}},
    {"min_volume": 100, "discount_percent": "10", "item_prices": {}},
    {"min_volume": 250, "discount_percent": "12.5", "item_prices": {}},
]


class Market:
    """world + an open cycle + Acme's contract (units basis) on gloves, masks and a
    clinical exam table + a second location for the practice."""

    def __init__(self, client, world, run_jobs):
        self.client, self.world, self.run_jobs = client, world, run_jobs
        self.gloves = ProductFactory(vendor_id=world.vendor.id, sku="GLV", list_price=D("19.99"))
        self.masks = ProductFactory(vendor_id=world.vendor.id, sku="MSK", list_price=D("4.05"),
                                    min_order_quantity=10, order_multiple=5)
        self.table = ProductFactory(vendor_id=world.vendor.id, sku="TBL", list_price=D("3400.00"), clinical=True,
                                    category="equipment")
        tiers = [dict(t) for t in UNIT_TIERS]
        tiers[2] = {**tiers[2], "item_prices": {str(self.table.id): "2950.0000"}}
        self.contract = ContractFactory(vendor_id=world.vendor.id, tiers=tiers,
                                        products=[self.gloves, self.masks, self.table])
        self.cycle = CycleFactory()
        self.annex = LocationFactory(practice=world.practice, name="Annex")
        self.other_location = LocationFactory(practice=world.other_practice)

    def order(self, lines, who="practice_buyer", location=None, key=None, submit=True, practice_id=None):
        body = {"location_id": (location or self.world.location).id, "submit": submit,
                "lines": [{"product_id": p.id, "quantity": q} for p, q in lines]}
        if practice_id:
            body["practice_id"] = practice_id
        headers = {**self.world.headers[who], "Idempotency-Key": key or f"k-{who}-{id(lines)}-{len(lines)}-{lines[0][1]}"}
        return self.client.post("/api/v1/orders", json=body, headers=headers)

    def close(self):
        response = self.client.post(f"/api/v1/cycles/{self.cycle.id}/close", headers=self.world.headers["mso_procurement"])
        assert response.status_code == 202, response.get_data(as_text=True)
        job = self.run_jobs(response.get_json()["job_id"])
        assert job.status == "finished", job.error
        return job


# --- billing ------------------------------------------------------------------------------


class Billing(Market):
    """Market + fees: 2.5% by default, 1.75% for the other practice. Practice A orders 60
    gloves, practice B 50: 110 units reach the 10% tier, gloves cost 17.9910."""

    def __init__(self, client, world, run_jobs):
        super().__init__(client, world, run_jobs)
        self.finance = world.headers["mso_finance"]
        put = client.put("/api/v1/fee-schedules/default", headers=self.finance,
                         json={"service_fee_percent": "2.5", "monthly_membership_cents": 15000, "pmpm_cents": 2500})
        assert put.status_code == 200, put.get_data(as_text=True)
        put = client.put(f"/api/v1/practices/{world.other_practice.id}/fee-schedule", headers=self.finance,
                         json={"service_fee_percent": "1.75"})
        assert put.status_code == 200, put.get_data(as_text=True)

    def buy_and_close(self):
        assert self.order([(self.gloves, 60)]).status_code == 201
        assert self.order([(self.gloves, 50)], who="other_practice_admin", location=self.other_location).status_code == 201
        self.close()

    def invoice_of(self, practice, **filters):
        query = "&".join(f"{k}={v}" for k, v in {"practice_id": practice.id, **filters}.items())
        items = self.client.get(f"/api/v1/invoices?{query}", headers=self.finance).get_json()
        assert len(items) == 1, items
        return items[0]

    def finalize(self, invoice_id, expect=200):
        response = self.client.post(f"/api/v1/invoices/{invoice_id}/finalize", headers=self.finance)
        assert response.status_code == expect, response.get_data(as_text=True)
        return response.get_json()

    def acknowledge(self, refuse_at_practice_location: int):
        po = db.session.scalars(select(PurchaseOrder)).one()
        lines = [{"line_id": line.id, "accepted_quantity": line.quantity - (
            refuse_at_practice_location if line.location_id == self.world.location.id else 0)} for line in po.lines]
        response = self.client.post(f"/api/v1/purchase-orders/{po.id}/acknowledge", json={"lines": lines},
                                    headers=self.world.headers["vendor_key"])
        assert response.status_code == 200, response.get_data(as_text=True)


def rebate_body(billing, **overrides):
    return {"vendor_id": billing.world.vendor.id, "contract_id": billing.contract.id, "period_start": f"{YEAR}-01-01",
            "period_end": f"{YEAR}-12-31", "amount_cents": 100000, "retained_percent": "20", **overrides}


# --- insurance ----------------------------------------------------------------------------


START = TODAY + dt.timedelta(days=40)  # a period ahead, 365 days long
END = START + dt.timedelta(days=364)


def program_body(**changes):
    body = {
        "name": "Physicians group program", "period_start": str(START), "period_end": str(END),
        "limits_options": ["1M/3M", "2M/4M"],
        "specialty_classes": {"family_medicine": "1", "pediatrics": "1", "obgyn": "8"},
        "rates": [{"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 1200000},
                  {"specialty_class": "1", "limits": "2M/4M", "annual_rate_cents": 1500000},
                  {"specialty_class": "8", "limits": "1M/3M", "annual_rate_cents": 1234567},
                  {"specialty_class": "8", "limits": "2M/4M", "annual_rate_cents": 1600000}],
        "step_factors": ["0.35", "0.60", "0.80", "0.90", "1.00"],
        "claims_free_credits": [{"min_years": 3, "percent": "5"}, {"min_years": 5, "percent": "10"}],
        # small bands, so a test reaches them: 5% from 3 providers, 10% from 5
        "group_discount_bands": [{"min_providers": 0, "percent": "0"}, {"min_providers": 3, "percent": "5"},
                                 {"min_providers": 5, "percent": "10"}],
        "installment_options": [1, 4, 12],
    }
    body.update(changes)
    return body


class Insurance:
    def __init__(self, client, world, run_jobs):
        self.client, self.world, self.run_jobs = client, world, run_jobs
        self.carrier = VendorFactory(name="Keystone Mutual", kind="carrier")
        self.other_carrier = VendorFactory(name="Granite Casualty", kind="carrier")
        h = world.headers
        for name, org in (("carrier_admin", self.carrier), ("other_carrier_admin", self.other_carrier)):
            user = UserFactory(organization_id=org.id, roles=["vendor_admin"], email=f"{name}@example.test")
            h[name] = bearer(token_for(user, TEST_SECRET))
        _, plain = api_key_with_secret(self.carrier.id)
        h["carrier_key"] = bearer(plain)
        admin = UserFactory(organization_id=world.other_practice.id, roles=["practice_admin"], email="b-admin@example.test")
        self.b_admin = bearer(token_for(admin, TEST_SECRET))
        self.a = [world.provider] + [ProviderFactory(practice_id=world.practice.id, first_name="Ben") for _ in range(3)]
        self.b = [ProviderFactory(practice_id=world.other_practice.id, first_name="Cy") for _ in range(3)]

    def post_program(self, who="carrier_admin", **changes):
        return self.client.post("/api/v1/insurance/programs", json=program_body(**changes), headers=self.world.headers[who])

    def program(self, **changes):
        response = self.post_program(**changes)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def enroll(self, program, provider, headers=None, **changes):
        body = {"provider_id": provider.id, "limits": "1M/3M", "fte": "1", "claims_made_year": 5,
                "claims_free_years": 0, "installments": 1, **changes}
        return self.client.post(f"/api/v1/insurance/programs/{program['id']}/enrollments", json=body,
                                headers=headers or self.world.headers["practice_admin"])

    def enrolled(self, program, provider, headers=None, **changes):
        response = self.enroll(program, provider, headers, **changes)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def get(self, url, who="practice_admin"):
        response = self.client.get(url, headers=self.world.headers[who] if isinstance(who, str) else who)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def bind(self, program, who="mso_admin"):
        db.session.commit()
        response = self.client.post(f"/api/v1/insurance/programs/{program['id']}/bind", headers=self.world.headers[who])
        assert response.status_code == 202, response.get_data(as_text=True)
        assert self.run_jobs(response.get_json()["bind_job_id"]).status == "finished"
        return self.get(f"/api/v1/insurance/programs/{program['id']}", "mso_admin")

    def insurance_invoices(self, practice):
        return db.session.scalars(select(Invoice).where(Invoice.practice_id == practice.id, Invoice.kind == "insurance")
                                  .order_by(Invoice.due_on, Invoice.id)).all()


# --- staffing -----------------------------------------------------------------------------


UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# Mondays to Fridays, 08:00-18:00 in Chicago (UTC-6 in January: 14:00-00:00 UTC)
WEEKDAYS = [{"kind": "weekly", "weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)]


class Staffing:
    def __init__(self, client, world, run_jobs, monkeypatch):
        self.client, self.world, self.run_jobs, self.monkeypatch = client, world, run_jobs, monkeypatch
        scheduler = UserFactory(organization_id=world.mso.id, roles=["mso_scheduler"], email="scheduler@example.test")
        world.headers["scheduler"] = bearer(token_for(scheduler, TEST_SECRET))
        b_admin = UserFactory(organization_id=world.other_practice.id, roles=["practice_admin"], email="b@example.test")
        world.headers["b_admin"] = bearer(token_for(b_admin, TEST_SECRET))
        self.b_location = LocationFactory(practice=world.other_practice)
        self.set_now("2027-01-04T15:00:00Z")  # a Monday
        self.dana = self.staff("Dana Reyes", "billing_specialist", 3250)
        self.eli = self.staff("Eli Park", "billing_specialist", 3000)
        self.mia = self.staff("Mia Chen", "medical_assistant", 2800, clinical=True)

    def set_now(self, text: str) -> None:
        self.monkeypatch.setattr(clock, "now", lambda: at(text))

    def post(self, url, body=None, who="scheduler", expect=None):
        headers = self.world.headers[who]
        response = self.client.post(url, json=body if body is not None else {}, headers=headers)
        if expect is not None:
            assert response.status_code == expect, response.get_data(as_text=True)
            return response.get_json()
        return response

    def staff(self, name, role, cents, clinical=False, windows=WEEKDAYS):
        person = self.post("/api/v1/staffing/staff", {"name": name, "role": role, "hourly_cost_cents": cents,
                                                      "clinical": clinical}, expect=201)
        for window in windows:
            self.post(f"/api/v1/staffing/staff/{person['id']}/availability", window, expect=201)
        return person

    def request(self, starts, ends, role="billing_specialist", who="practice_admin", location=None, **extra):
        location = location or (self.b_location if who == "b_admin" else self.world.location)
        return self.post("/api/v1/staffing/shift-requests", {
            "location_id": location.id, "role": role, "starts_at": starts, "ends_at": ends, **extra}, who=who)

    def requested(self, *args, **kwargs):
        response = self.request(*args, **kwargs)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def assign(self, request, person, expect=201):
        return self.post(f"/api/v1/staffing/shift-requests/{request['id']}/assign", {"staff_id": person["id"]},
                         expect=expect) if expect else \
            self.post(f"/api/v1/staffing/shift-requests/{request['id']}/assign", {"staff_id": person["id"]})

    def accept(self, assignment, who="practice_admin", expect=200):
        return self.post(f"/api/v1/staffing/assignments/{assignment['id']}/accept", who=who, expect=expect)

    def booked(self, starts, ends, person, who="practice_admin", accept_as=None, **extra):
        """A request, assigned and accepted."""
        request = self.requested(starts, ends, role=person["role"], who=who, **extra)
        assignment = self.assign(request, person)
        return self.accept(assignment, who=accept_as or who)

    def timesheet(self, assignment, started, ended, pause=0, expect=200):
        return self.post(f"/api/v1/staffing/assignments/{assignment['id']}/timesheet",
                         {"started_at": started, "ended_at": ended, "break_minutes": pause}, expect=expect)


# --- Stripe webhooks we sign ourselves ----------------------------------------------------


def signed_webhook(payload: bytes, secret: str = TEST_WEBHOOK_SECRET, at: int | None = None) -> str:
    at = at or int(time.time())
    signature = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={signature}"


def stripe_event(event_id: str, intent_id: str, key: str, status="succeeded", kind="payment_intent.succeeded") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": kind, "created": int(time.time()),
                       "data": {"object": {"id": intent_id, "object": "payment_intent", "status": status, "amount": 500,
                                           "metadata": {"gpo_attempt_key": key}}}}).encode()


def deliver_webhook(client, payload: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/api/v1/webhooks/stripe", data=payload, headers=headers)


# --- concurrent requests ------------------------------------------------------------------


def race(app, requests):
    """Fire the requests at once from separate threads; return their responses."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def worker(i, method, url, kwargs):
        client = app.test_client()
        barrier.wait()
        responses[i] = client.open(url, method=method, **kwargs)

    threads = [threading.Thread(target=worker, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return responses


# --- after the close: acknowledgement, shipments, receipts -------------------------------


class AfterClose(Billing):
    """Billing, bought and closed: Lakeside 60 gloves at its location, Riverbend 50 at
    its own; 110 units reach the 10% tier (17.9910 a box). One purchase order to Acme
    with a line per location: `line(location)`. Nothing acknowledged yet."""

    def __init__(self, client, world, run_jobs):
        super().__init__(client, world, run_jobs)
        self.buy_and_close()
        self.po = db.session.scalars(select(PurchaseOrder)).one()

    def line(self, location=None):
        location = location or self.world.location
        return next(line for line in self.po.lines if line.location_id == location.id and line.substitution_of_id is None)

    def post(self, path, body, who="vendor_key", headers=None):
        return self.client.post(f"/api/v1{path}", json=body, headers={**self.world.headers[who], **(headers or {})})

    def accept_all(self):
        response = self.post(f"/purchase-orders/{self.po.id}/acknowledge", {"lines": [
            {"line_id": line.id, "accepted_quantity": line.quantity} for line in self.po.lines]})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def ship(self, line, quantity, tracking="1Z-TEST"):
        response = self.post(f"/purchase-orders/{self.po.id}/shipments", {
            "lines": [{"line_id": line.id, "location_id": line.location_id, "quantity": quantity}],
            "carrier": "UPS", "tracking_number": tracking}, headers={"Idempotency-Key": f"ship-{line.id}-{tracking}"})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()


def record_receipt_rows(shipment_id: int, practice_id: int, lines: dict[int, tuple[int, int]], by="test") -> None:
    """Receipt rows written straight to the database, as receiving writes them (for tests
    of what reads receipts): {purchase-order line id: (good units, damaged units)}; the
    line's `received_quantity` grows by the good units. Committed."""
    from gpo.orders.models import PurchaseOrderLine, ShipmentLine
    from gpo.receiving.models import Receipt, ReceiptLine

    receipt = Receipt(shipment_id=shipment_id, practice_id=practice_id, received_by=by)
    db.session.add(receipt)
    db.session.flush()
    for po_line_id, (good, damaged) in lines.items():
        shipped = db.session.get(ShipmentLine, (shipment_id, po_line_id)).quantity
        db.session.add(ReceiptLine(receipt_id=receipt.id, shipment_id=shipment_id, purchase_order_line_id=po_line_id,
                                   shipped_quantity=shipped, received_quantity=good, damaged_quantity=damaged))
        db.session.get(PurchaseOrderLine, po_line_id).received_quantity += good
    db.session.commit()
