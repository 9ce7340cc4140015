"""Leasing's assets and quotes over HTTP, in exact cents: MSO finance records an asset
(bought, or bought from a practice for a sale-leaseback whose price becomes the
practice's credit, applied to its next invoice), every refusal at its field with
nothing written, who may create (403) and who sees what (404), the history of an
asset's leases, the list's filters; quotes with the published HP 12C figures, each
bad term at its field, and nothing stored."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.billing.models import Credit, CreditApplication
from gpo.db import db, utcnow
from gpo.leasing.models import Asset, Lease
from tests.factories import AssetFactory, LeaseFactory, signed_lease
from tests.helpers import assert_error
from tests.scenarios import TODAY

ASSETS = "/api/v1/leasing/assets"
QUOTES = "/api/v1/leasing/quotes"
_keys = itertools.count(1)
XRAY = {"description": "Digital X-ray unit", "category": "medical_equipment", "clinical": True,
        "serial_number": "DRX-20417", "cost_cents": 4512345, "fair_value_cents": 4800000,
        "acquired_on": str(TODAY), "economic_life_months": 120}


def post_asset(client, world, who="mso_finance", key=None, **changes):
    headers = {**world.headers[who], "Idempotency-Key": key or f"asset-{who}-{next(_keys)}"}
    return client.post(ASSETS, json={**XRAY, **changes}, headers=headers)


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model))


def ended(asset, practice_id, outcome="returned", **fields):
    return LeaseFactory(asset=asset, practice_id=practice_id, status="ended", signed_at=utcnow(),
                        signed_by="physician@example.test", ended_on=TODAY, end_outcome=outcome, **fields)


# --- creating -----------------------------------------------------------------------------


def test_finance_records_an_asset_the_mso_bought(client, world):
    response = post_asset(client, world)
    assert response.status_code == 201, response.get_data(as_text=True)
    asset = response.get_json()
    assert (asset["description"], asset["cost_cents"], asset["fair_value_cents"], asset["status"]) == (
        "Digital X-ray unit", 4512345, 4800000, "available")
    assert (asset["sold_by_practice_id"], asset["purchase_credit_id"], asset["leased_to"]) == (None, None, None)
    assert asset["history"]["origin"] == {
        "kind": "bought", "acquired_on": str(TODAY), "cost_cents": 4512345, "practice_id": None,
        "practice_name": None, "credit_id": None,
        "summary": f"Bought by the MSO on {TODAY} for $45,123.45."}
    assert asset["history"]["leases"] == [] and asset["specialized"] is False
    assert count(Credit) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "leasing_asset.create")).one()
    assert (event.object_id, event.details["cost_cents"]) == (asset["id"], 4512345)
    assert post_asset(client, world, who="mso_admin").status_code == 201


def test_a_sale_leaseback_pays_the_practice_its_price_as_a_credit(client, world):
    response = post_asset(client, world, sold_by_practice_id=world.practice.id)
    assert response.status_code == 201, response.get_data(as_text=True)
    asset = response.get_json()
    credit = db.session.scalars(select(Credit)).one()
    assert (credit.practice_id, credit.source, credit.amount_cents, credit.remaining_cents) == (
        world.practice.id, "sale_leaseback", 4512345, 4512345)
    assert "Digital X-ray unit bought from Lakeside" in credit.description
    assert (asset["sold_by_practice_id"], asset["purchase_credit_id"]) == (world.practice.id, credit.id)
    origin = asset["history"]["origin"]
    assert (origin["kind"], origin["practice_id"], origin["practice_name"], origin["credit_id"]) == (
        "sale_leaseback", world.practice.id, "Lakeside", credit.id)
    assert origin["summary"] == (f"Bought from Lakeside on {TODAY} for $45,123.45 (sale-leaseback), paid as "
                                 f"credit #{credit.id} on the practice's next invoices.")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "leasing_asset.create")).one()
    assert (event.organization_id, event.details["purchase_credit_id"]) == (world.practice.id, credit.id)
    # the seller reads the asset (and its own sale); the other practice does not
    mine = client.get(f"{ASSETS}/{asset['id']}", headers=world.headers["practice_buyer"])
    assert mine.status_code == 200 and mine.get_json()["history"]["origin"]["credit_id"] == credit.id
    assert_error(client.get(f"{ASSETS}/{asset['id']}", headers=world.headers["other_practice_admin"]), 404)


def test_the_sale_leaseback_credit_is_applied_to_the_practices_next_invoice(billing, run_jobs):
    w = billing.world
    response = post_asset(billing.client, w, cost_cents=12345, sold_by_practice_id=w.practice.id)
    assert response.status_code == 201, response.get_data(as_text=True)
    credit_id = response.get_json()["purchase_credit_id"]
    run = billing.client.post("/api/v1/billing-runs", json={"kind": "membership", "month": "2026-12"},
                              headers=billing.finance)
    assert run.status_code == 202, run.get_data(as_text=True)
    assert run_jobs(run.get_json()["job_id"]).status == "finished"
    draft = billing.invoice_of(w.practice, kind="membership")
    issued = billing.finalize(draft["id"])
    assert issued["credits_applied_cents"] == 12345
    assert issued["total_cents"] == draft["subtotal_cents"] - 12345
    db.session.expire_all()
    assert db.session.get(Credit, credit_id).remaining_cents == 0
    application = db.session.scalars(select(CreditApplication)).one()
    assert (application.invoice_id, application.amount_cents) == (draft["id"], 12345)
    other = billing.finalize(billing.invoice_of(w.other_practice, kind="membership")["id"])
    assert other["credits_applied_cents"] == 0


@pytest.mark.parametrize("changes, field", [
    ({"acquired_on": str(TODAY + dt.timedelta(days=1))}, "acquired_on"),
    ({"cost_cents": 0}, "cost_cents"),
    ({"cost_cents": -100}, "cost_cents"),
    ({"fair_value_cents": 0}, "fair_value_cents"),
    ({"economic_life_months": 0}, "economic_life_months"),
    ({"economic_life_months": 601}, "economic_life_months"),
    ({"category": "spaceship"}, "category"),
    ({"description": ""}, "description"),
    ({"clinical": None}, "clinical"),
    ({"sold_by_practice_id": 0}, "sold_by_practice_id"),
])
def test_an_asset_at_fault_is_refused_at_its_field_and_nothing_is_written(client, world, changes, field):
    body = assert_error(post_asset(client, world, **changes), 422)
    assert field in body["errors"]["json"], body
    assert count(Asset) == 0 and count(Credit) == 0


def test_a_sale_leaseback_from_an_unknown_practice_is_404_and_nothing_is_written(client, world):
    assert_error(post_asset(client, world, sold_by_practice_id=world.vendor.id), 404, contains="practice")
    assert_error(post_asset(client, world, sold_by_practice_id=999999), 404)
    assert count(Asset) == 0 and count(Credit) == 0


@pytest.mark.parametrize("who", ["practice_admin", "practice_buyer", "practice_physician", "mso_procurement",
                                 "vendor_admin", "vendor_key"])
def test_only_mso_finance_and_admins_record_assets(client, world, who):
    assert_error(post_asset(client, world, who=who, sold_by_practice_id=world.practice.id), 403,
                 contains="may not create leasing assets")
    assert count(Asset) == 0 and count(Credit) == 0


def test_a_retried_create_makes_one_asset_and_one_credit(client, world):
    first = post_asset(client, world, key="same-key", sold_by_practice_id=world.practice.id)
    again = post_asset(client, world, key="same-key", sold_by_practice_id=world.practice.id)
    assert first.status_code == again.status_code == 201 and first.get_json()["id"] == again.get_json()["id"]
    assert count(Asset) == 1 and count(Credit) == 1


def test_a_create_without_an_idempotency_key_is_refused_and_nothing_is_written(client, world):
    # two identical POSTs without a key would buy the asset twice and credit the practice twice
    for _ in range(2):
        response = client.post(ASSETS, json={**XRAY, "sold_by_practice_id": world.practice.id},
                               headers=world.headers["mso_finance"])
        assert_error(response, 428, contains="Idempotency-Key")
    assert count(Asset) == 0 and count(Credit) == 0


# --- who sees what, history, filters -------------------------------------------------------


@pytest.fixture
def fleet(world):
    """Assets around Lakeside (the practice): offered to it, sold by it, leased to
    Riverbend, an offer to it withdrawn, on no lease, and one it bought out."""
    p, o = world.practice.id, world.other_practice.id
    f = {"offered": AssetFactory(description="Ultrasound offered"), "sold_by": AssetFactory(description="Sold X-ray"),
         "other": AssetFactory(description="Riverbend's ECG"), "withdrawn": AssetFactory(description="Withdrawn"),
         "idle": AssetFactory(description="Idle laptop", category="it", clinical=False),
         "bought_out": AssetFactory(description="Bought out")}
    credit = Credit(practice_id=p, source="sale_leaseback", description="x", amount_cents=100, remaining_cents=100)
    db.session.add(credit)
    db.session.flush()
    f["sold_by"].sold_by_practice_id, f["sold_by"].purchase_credit_id = p, credit.id
    db.session.commit()
    LeaseFactory(asset=f["offered"], practice_id=p)
    signed_lease(asset=f["other"], practice_id=o)
    LeaseFactory(asset=f["withdrawn"], practice_id=p, status="withdrawn")
    ended(f["bought_out"], p, outcome="bought_out")
    return f


def ids_of(response) -> set[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {a["id"] for a in response.get_json()}


def test_a_practice_sees_the_assets_it_sold_or_that_are_leased_to_it_others_404(client, world, fleet):
    mine = {fleet["offered"].id, fleet["sold_by"].id, fleet["bought_out"].id}
    for who in ("practice_admin", "practice_buyer", "practice_physician"):
        assert ids_of(client.get(ASSETS, headers=world.headers[who])) == mine
    for name in ("other", "withdrawn", "idle"):
        assert_error(client.get(f"{ASSETS}/{fleet[name].id}", headers=world.headers["practice_admin"]), 404)
    for name in ("offered", "sold_by", "bought_out"):
        assert client.get(f"{ASSETS}/{fleet[name].id}", headers=world.headers["practice_admin"]).status_code == 200
    assert ids_of(client.get(ASSETS, headers=world.headers["other_practice_admin"])) == {fleet["other"].id}
    assert_error(client.get(f"{ASSETS}/{fleet['sold_by'].id}", headers=world.headers["other_practice_admin"]), 404)
    # MSO staff see every asset; vendors none (the list is not theirs by role, an asset is not there)
    assert len(ids_of(client.get(ASSETS, headers=world.headers["mso_procurement"]))) == 6
    assert_error(client.get(ASSETS, headers=world.headers["vendor_admin"]), 403)
    assert_error(client.get(f"{ASSETS}/{fleet['offered'].id}", headers=world.headers["vendor_key"]), 404)
    assert_error(client.get(f"{ASSETS}/999999", headers=world.headers["mso_finance"]), 404)


def test_a_practice_asking_for_another_practices_assets_gets_none(client, world, fleet):
    # the ultrasound offered to Lakeside is offered to Riverbend too: asking for Riverbend's
    # assets must not tell Lakeside what Riverbend leases
    LeaseFactory(asset=fleet["offered"], practice_id=world.other_practice.id)
    mine = client.get(ASSETS, query_string={"practice_id": world.practice.id}, headers=world.headers["practice_admin"])
    assert fleet["offered"].id in ids_of(mine)
    for who, other in (("practice_admin", world.other_practice.id), ("other_practice_admin", world.practice.id)):
        assert ids_of(client.get(ASSETS, query_string={"practice_id": other}, headers=world.headers[who])) == set()
    assert fleet["offered"].id in ids_of(client.get(ASSETS, query_string={"practice_id": world.other_practice.id},
                                                    headers=world.headers["mso_finance"]))


def test_the_history_tells_where_the_asset_came_from_and_every_lease_of_it(client, world, fleet):
    asset = fleet["other"]
    returned = ended(asset, world.practice.id, commences_on=TODAY - dt.timedelta(days=400))
    LeaseFactory(asset=asset, practice_id=world.practice.id, status="withdrawn")
    active = db.session.scalars(select(Lease).where(Lease.asset_id == asset.id, Lease.status == "active")).one()
    got = client.get(f"{ASSETS}/{asset.id}", headers=world.headers["mso_finance"]).get_json()
    assert got["status"] == "leased"
    assert got["leased_to"] == {
        "lease_id": active.id, "practice_id": world.other_practice.id, "practice_name": "Riverbend",
        "status": "active", "commences_on": str(active.commences_on), "term_months": 60,
        "rent_cents": active.rent_cents, "ended_on": None, "end_outcome": None}
    assert [(lease["lease_id"], lease["status"], lease["end_outcome"]) for lease in got["history"]["leases"]] == [
        (returned.id, "ended", "returned"), (active.id, "active", None)]
    assert got["history"]["origin"]["kind"] == "bought"
    # Lakeside reads its own ended lease only, and not who leases the asset now
    seen = client.get(f"{ASSETS}/{asset.id}", headers=world.headers["practice_admin"]).get_json()
    assert (seen["status"], seen["leased_to"]) == ("leased", None)
    assert [lease["lease_id"] for lease in seen["history"]["leases"]] == [returned.id]
    # and the seller of a sale-leaseback is not named to another practice leasing it
    LeaseFactory(asset=fleet["sold_by"], practice_id=world.other_practice.id)
    other = client.get(f"{ASSETS}/{fleet['sold_by'].id}", headers=world.headers["other_practice_admin"]).get_json()
    assert (other["sold_by_practice_id"], other["history"]["origin"]["kind"]) == (None, "bought")


def test_the_list_filters_available_practice_category_and_pages(client, world, fleet):
    finance = world.headers["mso_finance"]
    available = {fleet[n].id for n in ("offered", "sold_by", "withdrawn", "idle")}
    assert ids_of(client.get(f"{ASSETS}?available=true", headers=finance)) == available
    assert ids_of(client.get(f"{ASSETS}?available=false", headers=finance)) == {fleet["other"].id, fleet["bought_out"].id}
    assert ids_of(client.get(f"{ASSETS}?practice_id={world.other_practice.id}", headers=finance)) == {fleet["other"].id}
    assert ids_of(client.get(f"{ASSETS}?category=it", headers=finance)) == {fleet["idle"].id}
    statuses = {a["id"]: a["status"] for a in client.get(ASSETS, headers=finance).get_json()}
    assert (statuses[fleet["offered"].id], statuses[fleet["other"].id], statuses[fleet["idle"].id],
            statuses[fleet["bought_out"].id], statuses[fleet["withdrawn"].id]) == (
        "offered", "leased", "available", "sold", "available")
    page = client.get(f"{ASSETS}?page_size=2&page=2", headers=finance)
    assert len(page.get_json()) == 2 and '"total": 6' in page.headers["X-Pagination"]
    assert_error(client.get(f"{ASSETS}?available=maybe", headers=finance), 422)


# --- quotes ---------------------------------------------------------------------------------


COPIER = {"term_months": 48, "annual_rate_percent": "15", "residual_cents": 660000, "advance_payments": 4,
          "down_payment_cents": 0}


@pytest.fixture
def copier(world):
    """The HP 12C copier: $22,000, offered to Lakeside (so its admin may quote it too)."""
    asset = AssetFactory(description="Copier", category="office", clinical=False, cost_cents=2200000,
                         economic_life_months=96)
    LeaseFactory(asset=asset, practice_id=world.practice.id)
    return asset


def post_quote(client, world, asset, who="mso_finance", practice=None, **changes):
    body = {"asset_id": asset.id, "practice_id": (practice or world.practice).id,
            "commences_on": str(TODAY + dt.timedelta(days=1)), **COPIER, **changes}
    return client.post(QUOTES, json=body, headers=world.headers[who])


def test_the_hp12c_copier_lease_quotes_487_29_a_month(client, world, copier):
    leases_before = count(Lease)
    for who in ("mso_finance", "mso_admin", "practice_admin"):
        response = post_quote(client, world, copier, who=who)
        assert response.status_code == 200, response.get_data(as_text=True)
        q = response.get_json()
        assert (q["asset_id"], q["practice_id"], q["cost_cents"], q["rent_cents"]) == (
            copier.id, world.practice.id, 2200000, 48729)
        assert q["due_at_signing_cents"] == 4 * 48729
        assert (q["total_rent_cents"], q["total_payments_cents"]) == (48 * 48729, 48 * 48729)
        assert len(q["schedule"]) == 48 and q["schedule"][-1]["balance_cents"] == 660000
        assert q["schedule"][0]["balance_cents"] == 2200000 - 4 * 48729 + q["schedule"][0]["interest_cents"] - 48729
        assert [row["rent_cents"] for row in q["schedule"][-4:]] == [0, 0, 0, 0]
        assert q["terms"]["annual_rate_percent"] == "15" and q["classification"]["kind"] in (
            "sales_type", "direct_financing", "operating")
        assert {t["name"] for t in q["classification"]["tests"]} >= {"term", "present_value"}
    assert count(Lease) == leases_before  # a quote stores nothing


def test_twelve_payments_three_in_advance_at_10_percent_on_750_dollars(client, world):
    asset = AssetFactory(cost_cents=75000, clinical=False)
    response = post_quote(client, world, asset, term_months=12, annual_rate_percent="10", residual_cents=0,
                          advance_payments=3)
    assert response.status_code == 200 and response.get_json()["rent_cents"] == 6445


@pytest.mark.parametrize("changes, field", [
    ({"term_months": 0}, "term_months"),
    ({"term_months": 121}, "term_months"),
    ({"advance_payments": 48}, "advance_payments"),
    ({"advance_payments": 50}, "advance_payments"),
    ({"annual_rate_percent": "-1"}, "annual_rate_percent"),
    ({"annual_rate_percent": "100.5"}, "annual_rate_percent"),
    ({"residual_cents": 2200001}, "residual_cents"),
    ({"down_payment_cents": 2200001}, "down_payment_cents"),
    ({"commences_on": str(TODAY - dt.timedelta(days=1))}, "commences_on"),
])
def test_a_quote_at_fault_is_refused_at_its_field(client, world, copier, changes, field):
    body = assert_error(post_quote(client, world, copier, **changes), 422)
    assert field in body["errors"]["json"], body


def test_who_may_quote_and_for_whom(client, world, copier):
    assert_error(post_quote(client, world, copier, who="practice_admin", practice=world.other_practice), 404,
                 contains="practice")
    assert_error(post_quote(client, world, copier, who="other_practice_admin", practice=world.other_practice), 404,
                 contains="asset")
    assert_error(post_quote(client, world, copier, who="vendor_key"), 404)
    for who in ("practice_buyer", "practice_physician", "mso_procurement"):
        assert_error(post_quote(client, world, copier, who=who), 403, contains="may not create lease quotes")
    idle = AssetFactory()
    assert_error(post_quote(client, world, idle, who="practice_admin"), 404)  # not leased to it
    assert post_quote(client, world, idle).status_code == 200  # MSO finance quotes any asset to any practice
    assert_error(client.post(QUOTES, json={"asset_id": 999999, "practice_id": world.practice.id, **COPIER,
                                           "commences_on": str(TODAY)}, headers=world.headers["mso_finance"]), 404)
    assert_error(post_quote(client, world, copier, practice=world.vendor), 404, contains="practice")


def test_an_asset_a_practice_bought_is_not_quoted(client, world):
    asset = AssetFactory()
    ended(asset, world.practice.id, outcome="purchased")
    assert_error(post_quote(client, world, asset), 409, contains="sold")
