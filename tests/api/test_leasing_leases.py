"""Leases over HTTP, with hand-checked cents: MSO finance offers, the practice reads and
signs (a physician for clinical equipment: CPOM), signing fixes the schedule, withdraws
the asset's other offers and issues the commencement invoice; withdrawing an offer;
what every other role and organization gets, each refusal writing nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from gpo.audit import AuditEvent
from gpo.billing.models import Invoice
from gpo.db import db, utcnow
from gpo.leasing.models import Lease, LeaseScheduleRow
from gpo.leasing.rules import add_months
from tests.factories import AssetFactory, PracticeFactory, signed_lease
from tests.helpers import assert_error

TODAY = utcnow().date()
LATER = TODAY + dt.timedelta(days=40)  # past the 30 days' net terms: the invoice is due on the commencement


def copier(**fields):
    """The HP 12C example's asset: a $22,000 copier, not clinical."""
    return AssetFactory(description="Office copier", category="office", clinical=False, cost_cents=2200000, **fields)


def offer_body(asset, practice, **terms):
    # HP 12C: $22,000, 48 months, 4 in advance, $6,600 purchase option, 15% -> $487.29
    return {"asset_id": asset.id, "practice_id": practice.id, "term_months": 48, "annual_rate_percent": "15",
            "residual_cents": 660000, "advance_payments": 4, "down_payment_cents": 0,
            "commences_on": LATER.isoformat(), **terms}


def post_offer(client, world, asset, practice=None, who="mso_finance", **terms):
    return client.post("/api/v1/leasing/leases", json=offer_body(asset, practice or world.practice, **terms),
                       headers=world.headers[who])


def offered(client, world, asset, practice=None, **terms) -> dict:
    response = post_offer(client, world, asset, practice, **terms)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def sign(client, world, lease_id, who="practice_admin"):
    return client.post(f"/api/v1/leasing/leases/{lease_id}/sign", headers=world.headers[who])


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model))


# --- offering --------------------------------------------------------------------------


def test_finance_offers_a_lease_with_its_rent_figures_and_classification(client, world):
    asset = copier()
    lease = offered(client, world, asset)
    assert (lease["status"], lease["asset_id"], lease["practice_id"], lease["practice_name"]) == (
        "offered", asset.id, world.practice.id, "Lakeside")
    assert lease["rent_cents"] == 48729
    assert lease["due_at_signing_cents"] == 4 * 48729 == 194916
    assert lease["total_rent_cents"] == 48 * 48729 == lease["total_payments_cents"]
    assert lease["terms"]["term_months"] == 48 and lease["terms"]["annual_rate_percent"] == "15.0000"
    assert lease["offered_by"] == "mso_finance@example.test" and lease["signed_at"] is None
    assert lease["commencement_invoice_id"] is None
    assert lease["classification"]["kind"] in ("sales_type", "direct_financing", "operating")
    assert {t["name"] for t in lease["classification"]["tests"]} >= {"term", "present_value"}
    # an offer's schedule is computed, as signing would fix it: rents in months 1..44, the last 4 paid ahead
    schedule = lease["schedule"]
    assert len(schedule) == 48 and schedule[0]["rent_cents"] == 48729 and schedule[-1]["rent_cents"] == 0
    assert schedule[-1]["balance_cents"] == 660000 and all(r["invoice_id"] is None for r in schedule)
    assert count(LeaseScheduleRow) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lease.offer")).one()
    assert event.object_id == lease["id"] and event.organization_id == world.practice.id


@pytest.mark.parametrize("who", ["practice_admin", "mso_procurement", "vendor_admin"])
def test_only_mso_finance_offers_leases(client, world, who):
    assert_error(post_offer(client, world, copier(), who=who), 403)
    assert count(Lease) == 0


def test_an_offer_refuses_what_is_wrong_at_its_field(client, world):
    asset = copier()
    closed = PracticeFactory(status="suspended")
    cases = [
        ({"asset_id": 999999}, "asset_id"),
        ({"practice_id": closed.id}, "practice_id"),
        ({"practice_id": world.vendor.id}, "practice_id"),
        ({"commences_on": (TODAY - dt.timedelta(days=1)).isoformat()}, "commences_on"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": 121}, "term_months"),
        ({"advance_payments": 48}, "advance_payments"),
        ({"residual_cents": 2200001}, "residual_cents"),
        ({"down_payment_cents": 2200001}, "down_payment_cents"),
        ({"annual_rate_percent": "-1"}, "annual_rate_percent"),
    ]
    for change, field in cases:
        body = assert_error(client.post("/api/v1/leasing/leases", json=offer_body(asset, world.practice, **change),
                                        headers=world.headers["mso_finance"]), 422)
        assert field in body["errors"]["json"], (change, body)
    assert count(Lease) == 0


def test_an_asset_on_an_active_lease_is_not_offered_again(client, world):
    active = signed_lease(practice_id=world.other_practice.id, asset=copier())
    ends = add_months(active.commences_on, active.term_months)
    body = assert_error(post_offer(client, world, active.asset), 409, contains="Riverbend")
    assert f"under lease {active.id} until {ends.isoformat()}" in body["message"]
    assert count(Lease) == 1


def bought_out(asset, practice_id) -> Lease:
    """The asset's lease ended by the practice buying it out: the asset is the practice's."""
    lease = signed_lease(practice_id=practice_id, asset=asset)
    lease.status, lease.ended_on, lease.end_outcome = "ended", TODAY, "bought_out"
    db.session.commit()
    return lease


def test_an_asset_a_practice_bought_is_not_offered_again(client, world):
    sold = bought_out(copier(), world.other_practice.id)
    body = assert_error(post_offer(client, world, sold.asset), 409)
    assert f"Office copier (asset {sold.asset_id}) was sold to Riverbend on {TODAY.isoformat()}" in body["message"]
    assert count(Lease) == 1


def test_an_offer_of_an_asset_bought_since_is_not_signed(client, world):
    asset = copier()
    waiting = offered(client, world, asset)  # a renewal offered while the other practice's lease ran
    bought_out(asset, world.other_practice.id)
    assert_error(sign(client, world, waiting["id"]), 409, contains="was sold to Riverbend on")
    assert db.session.get(Lease, waiting["id"]).status == "offered" and count(Invoice) == 0


def test_a_rent_that_rounds_to_zero_is_not_offered(client, world):
    # $62,000 at 15% over 48 months less a down payment of all but a cent: a rent of 0.03 cents
    asset = AssetFactory(cost_cents=6200000, fair_value_cents=6200000)
    body = assert_error(post_offer(client, world, asset, residual_cents=0, advance_payments=0,
                                   down_payment_cents=6199999), 422)
    assert "less than a cent a month" in body["errors"]["json"]["down_payment_cents"][0]
    assert count(Lease) == 0


# --- reading ---------------------------------------------------------------------------


def test_practices_read_their_own_leases_and_mso_all(client, world):
    mine = offered(client, world, copier())
    theirs = offered(client, world, copier(), world.other_practice)
    listed = client.get("/api/v1/leasing/leases", headers=world.headers["practice_buyer"]).get_json()
    assert [lease["id"] for lease in listed] == [mine["id"]] and "schedule" not in listed[0]
    every = client.get("/api/v1/leasing/leases", headers=world.headers["mso_admin"]).get_json()
    assert [lease["id"] for lease in every] == [theirs["id"], mine["id"]]
    by_practice = client.get(f"/api/v1/leasing/leases?practice_id={world.other_practice.id}&status=offered",
                             headers=world.headers["mso_finance"]).get_json()
    assert [lease["id"] for lease in by_practice] == [theirs["id"]]
    by_asset = client.get(f"/api/v1/leasing/leases?asset_id={mine['asset_id']}", headers=world.headers["mso_finance"])
    assert [lease["id"] for lease in by_asset.get_json()] == [mine["id"]]
    assert client.get("/api/v1/leasing/leases?status=active", headers=world.headers["mso_finance"]).get_json() == []
    read = client.get(f"/api/v1/leasing/leases/{mine['id']}", headers=world.headers["practice_physician"])
    assert read.status_code == 200 and read.get_json()["schedule"] == mine["schedule"]
    assert_error(client.get(f"/api/v1/leasing/leases/{theirs['id']}", headers=world.headers["practice_admin"]), 404)
    assert_error(client.get(f"/api/v1/leasing/leases/{mine['id']}", headers=world.headers["vendor_admin"]), 404)
    assert_error(client.get("/api/v1/leasing/leases", headers=world.headers["vendor_key"]), 403)
    assert_error(client.get("/api/v1/leasing/leases?status=signed", headers=world.headers["mso_finance"]), 422)


# --- signing ---------------------------------------------------------------------------


def test_an_admin_signs_a_lease_of_office_equipment_and_the_commencement_invoice_is_issued(client, world):
    lease = offered(client, world, copier())
    response = sign(client, world, lease["id"])
    assert response.status_code == 200, response.get_data(as_text=True)
    signed = response.get_json()
    assert (signed["status"], signed["signed_by"]) == ("active", "practice_admin@example.test")
    assert signed["signed_at"] is not None and signed["commencement_invoice_id"] is not None
    # the schedule is fixed: stored rows, equal to the offer's
    assert count(LeaseScheduleRow) == 48
    assert [{k: v for k, v in r.items() if k != "invoice_id"} for r in signed["schedule"]] == [
        {k: v for k, v in r.items() if k != "invoice_id"} for r in lease["schedule"]]
    invoice = db.session.get(Invoice, signed["commencement_invoice_id"])
    # 4 rents of $487.29 in advance, no down payment: $1,949.16
    assert (invoice.kind, invoice.status, invoice.practice_id) == ("lease", "open", world.practice.id)
    assert invoice.source_key == f"lease:{lease['id']}:commencement"
    assert [(line.kind, line.amount_cents) for line in invoice.lines] == [("rent", 194916)]
    assert invoice.lines[0].description.startswith("Rents 1 and 46 to 48 of 48 in advance (4 rents): Office copier")
    assert (invoice.subtotal_cents, invoice.total_cents) == (194916, 194916)
    assert invoice.number == f"INV-{TODAY.year}-000001"
    assert (invoice.issued_on, invoice.due_on) == (TODAY, LATER)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"lease.offer", "lease.sign", "invoice.finalize"} <= actions


def test_the_commencement_invoice_holds_the_down_payment_and_the_advance_rents(client, world):
    # $12,000 at 0% over 12 months, $1,200 down, 2 rents in advance: ($12,000 - $1,200) / 12 = $900.00 a
    # month; due at signing $1,200 + 2 x $900 = $3,000.00, on the commencement date a week ahead (DOMAIN.md:
    # D and the k advance rents are due at commencement), not after the 30 days' net terms
    asset = AssetFactory(description="Exam table", clinical=False, cost_cents=1200000)
    soon = TODAY + dt.timedelta(days=7)
    lease = offered(client, world, asset, term_months=12, annual_rate_percent="0", residual_cents=0,
                    advance_payments=2, down_payment_cents=120000, commences_on=soon.isoformat())
    assert (lease["rent_cents"], lease["due_at_signing_cents"]) == (90000, 300000)
    signed = sign(client, world, lease["id"]).get_json()
    invoice = db.session.get(Invoice, signed["commencement_invoice_id"])
    assert [(line.kind, line.amount_cents) for line in invoice.lines] == [("down_payment", 120000), ("rent", 180000)]
    assert invoice.lines[1].description.startswith("Rents 1 and 12 of 12 in advance (2 rents)")
    assert invoice.total_cents == 300000 and invoice.due_on == soon
    # balance_0 = $10,800 - 2 x $900 = $9,000; month 1: no interest, $900 repaid
    assert signed["schedule"][0] == {"month": 1, "due_on": add_months(soon, 1).isoformat(), "rent_cents": 90000,
                                     "interest_cents": 0, "principal_cents": 90000, "balance_cents": 810000,
                                     "invoice_id": None}
    assert signed["schedule"][-1]["balance_cents"] == 0


def test_nothing_due_at_signing_issues_no_invoice(client, world):
    lease = offered(client, world, copier(), advance_payments=0, down_payment_cents=0)
    signed = sign(client, world, lease["id"]).get_json()
    assert signed["status"] == "active" and signed["commencement_invoice_id"] is None
    assert count(Invoice) == 0


def test_cpom_a_physician_signs_a_lease_of_clinical_equipment(client, world):
    lease = offered(client, world, AssetFactory(description="Portable ultrasound"))
    body = assert_error(sign(client, world, lease["id"]), 403, contains="A physician of the practice signs leases")
    assert "clinical" in body["message"] and "CPOM" in body["message"]
    assert count(Invoice) == 0 and count(LeaseScheduleRow) == 0
    signed = sign(client, world, lease["id"], who="practice_physician")
    assert signed.status_code == 200 and signed.get_json()["signed_by"] == "practice_physician@example.test"


@pytest.mark.parametrize("who, status", [("other_practice_admin", 404), ("vendor_key", 404), ("practice_buyer", 403),
                                         ("mso_finance", 403), ("mso_admin", 403)])
def test_no_one_else_signs(client, world, who, status):
    lease = offered(client, world, copier())
    assert_error(sign(client, world, lease["id"], who=who), status)
    assert db.session.get(Lease, lease["id"]).status == "offered" and count(Invoice) == 0


def test_a_lease_is_signed_once(client, world):
    lease = offered(client, world, copier())
    assert sign(client, world, lease["id"]).status_code == 200
    assert_error(sign(client, world, lease["id"], who="practice_physician"), 409, contains="signed once")
    assert count(Invoice) == 1 and count(LeaseScheduleRow) == 48


def test_an_offer_whose_commencement_passed_is_not_signed(client, world):
    lease = offered(client, world, copier())
    db.session.execute(update(Lease).where(Lease.id == lease["id"]).values(commences_on=TODAY - dt.timedelta(days=1)))
    db.session.commit()
    assert_error(sign(client, world, lease["id"]), 409, contains="ask MSO finance for a new offer")
    assert db.session.get(Lease, lease["id"]).status == "offered" and count(Invoice) == 0


def test_a_withdrawn_offer_is_not_signed(client, world):
    lease = offered(client, world, copier())
    withdrawn = client.post(f"/api/v1/leasing/leases/{lease['id']}/withdraw", json={"reason": "wrong term"},
                            headers=world.headers["mso_finance"])
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert withdrawn.get_json()["end_reason"] == "wrong term"
    assert_error(sign(client, world, lease["id"]), 409, contains="withdrawn (wrong term)")
    assert count(Invoice) == 0


def test_signing_withdraws_the_assets_other_offers(client, world):
    asset = copier()
    mine = offered(client, world, asset)
    theirs = offered(client, world, asset, world.other_practice)
    second = offered(client, world, asset, advance_payments=0)
    assert sign(client, world, mine["id"]).status_code == 200
    db.session.expire_all()
    for other in (theirs, second):
        row = db.session.get(Lease, other["id"])
        assert row.status == "withdrawn" and row.end_reason == f"the asset was leased under lease {mine['id']}"
    assert_error(sign(client, world, theirs["id"], who="other_practice_admin"), 409, contains="withdrawn")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "lease.withdraw")) == 2


def test_an_offer_signed_while_another_lease_of_the_asset_runs_is_refused(client, world):
    """A renewal offered before the old lease ended, or an offer that raced a signing:
    the asset is on an active lease until it ends."""
    running = signed_lease(practice_id=world.other_practice.id, asset=copier())
    late = Lease(**{c: getattr(running, c) for c in (
        "asset_id", "cost_cents", "fair_value_cents", "term_months", "annual_rate_percent", "residual_cents",
        "advance_payments", "down_payment_cents", "rent_cents", "classification", "classification_tests")},
        practice_id=world.practice.id, status="offered", commences_on=LATER, offered_by="t")
    db.session.add(late)
    db.session.commit()
    assert_error(sign(client, world, late.id), 409, contains=f"under lease {running.id} until")
    assert db.session.get(Lease, late.id).status == "offered" and count(Invoice) == 0


# --- withdrawing -----------------------------------------------------------------------


def test_only_an_offer_is_withdrawn_and_only_by_finance(client, world):
    lease = offered(client, world, copier())
    url = f"/api/v1/leasing/leases/{lease['id']}/withdraw"
    assert_error(client.post(url, json={"reason": "x"}, headers=world.headers["practice_admin"]), 403)
    assert_error(client.post(url, json={"reason": "x"}, headers=world.headers["mso_procurement"]), 403)
    assert_error(client.post(url, json={}, headers=world.headers["mso_finance"]), 422)
    assert_error(client.post(url, json={"reason": ""}, headers=world.headers["mso_finance"]), 422)
    assert client.post(url, json={"reason": "x"}, headers=world.headers["mso_finance"]).status_code == 200
    assert_error(client.post(url, json={"reason": "again"}, headers=world.headers["mso_finance"]), 409)
    active = signed_lease(practice_id=world.practice.id, asset=copier())
    assert_error(client.post(f"/api/v1/leasing/leases/{active.id}/withdraw", json={"reason": "x"},
                             headers=world.headers["mso_finance"]), 409, contains="is active")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "lease.withdraw")) == 1
