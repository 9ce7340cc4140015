"""Contracts over HTTP: opening, the negotiation thread, safe harbor, visibility, overlaps."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.contracts.models import Contract, Proposal
from gpo.db import db
from tests.factories import ContractFactory, ProductFactory
from tests.helpers import assert_error

TODAY = dt.date.today()


@pytest.fixture
def items(world):
    return [
        ProductFactory(vendor_id=world.vendor.id, sku="GLV", list_price=Decimal("19.99")),
        ProductFactory(vendor_id=world.vendor.id, sku="TBL", list_price=Decimal("3400.00")),
        ProductFactory(vendor_id=world.vendor.id, sku="SYR", list_price=Decimal("18.50")),
    ]


def body(world, items, **overrides):
    base = {
        "vendor_id": world.vendor.id, "title": "Exam room supplies", "category": "supplies", "basis": "units",
        "starts_on": str(TODAY - dt.timedelta(days=1)), "ends_on": str(TODAY + dt.timedelta(days=364)),
        "items": [p.id for p in items],
        "proposal": {"admin_fee_percent": "2.0", "notes": "opening offer", "tiers": [
            {"min_volume": 0, "discount_percent": "0"},
            {"min_volume": 250, "discount_percent": "8.5",
             "item_prices": {str(p.id): "3100.0000" for p in items if p.sku == "TBL"}},
            {"min_volume": 500, "discount_percent": "12"}]},
    }
    for key, value in overrides.items():
        if key in ("tiers", "admin_fee_percent", "admin_fee_disclosure"):
            base["proposal"][key] = value
        else:
            base[key] = value
    return base


def open_contract(client, world, items, **overrides):
    response = client.post("/api/v1/contracts", json=body(world, items, **overrides), headers=world.headers["mso_procurement"])
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def counter(client, world, contract_id, who, **terms):
    terms = {"tiers": [{"min_volume": 0, "discount_percent": "0"}, {"min_volume": 300, "discount_percent": "7"}],
             "admin_fee_percent": "2.5", "notes": "counter", **terms}
    return client.post(f"/api/v1/contracts/{contract_id}/proposals", json=terms, headers=world.headers[who])


def answer(client, world, contract_id, number, verb, who):
    return client.post(f"/api/v1/contracts/{contract_id}/proposals/{number}/{verb}", headers=world.headers[who])


def test_a_whole_negotiation(client, world, items):
    contract = open_contract(client, world, items)
    assert contract["status"] == "negotiating" and contract["tiers"] is None
    cid = contract["id"]
    assert counter(client, world, cid, "vendor_key").get_json()["number"] == 2
    assert counter(client, world, cid, "mso_procurement", admin_fee_percent="2.25").get_json()["number"] == 3
    accepted = answer(client, world, cid, 3, "accept", "vendor_admin")
    assert accepted.status_code == 200
    terms = accepted.get_json()
    assert terms["status"] == "active" and terms["accepted_proposal_number"] == 3
    assert terms["admin_fee_percent"] == "2.2500" and terms["tiers"][1]["min_volume"] == 300
    thread = client.get(f"/api/v1/contracts/{cid}/proposals", headers=world.headers["vendor_key"]).get_json()
    assert [(p["number"], p["author_side"], p["status"]) for p in thread] == [
        (1, "mso", "superseded"), (2, "vendor", "superseded"), (3, "mso", "accepted")]
    assert thread[2]["decided_by"] == "vendor_admin@example.test"
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("proposal.create") == 3 and "proposal.accept" in actions and "contract.terms_agreed" in actions


def test_only_the_other_side_answers_the_open_proposal(client, world, items):
    cid = open_contract(client, world, items)["id"]
    assert_error(answer(client, world, cid, 1, "accept", "mso_admin"), 403, contains="own")
    assert counter(client, world, cid, "vendor_key").status_code == 201
    assert_error(answer(client, world, cid, 1, "accept", "vendor_key"), 409, contains="superseded")
    assert_error(answer(client, world, cid, 2, "accept", "vendor_admin"), 403)
    rejected = answer(client, world, cid, 2, "reject", "mso_procurement")
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert_error(answer(client, world, cid, 2, "accept", "mso_procurement"), 409, contains="rejected")
    assert_error(answer(client, world, cid, 9, "accept", "mso_procurement"), 404)
    assert_error(answer(client, world, cid, 2, "accept", "mso_finance"), 403)


def test_after_acceptance_only_a_new_accepted_proposal_changes_the_fee(client, world, items):
    cid = open_contract(client, world, items)["id"]
    answer(client, world, cid, 1, "accept", "vendor_key")
    counter(client, world, cid, "vendor_key", admin_fee_percent="1.0")
    still = client.get(f"/api/v1/contracts/{cid}", headers=world.headers["mso_admin"]).get_json()
    assert still["admin_fee_percent"] == "2.0000" and still["accepted_proposal_number"] == 1
    answer(client, world, cid, 2, "accept", "mso_procurement")
    now = client.get(f"/api/v1/contracts/{cid}", headers=world.headers["mso_admin"]).get_json()
    assert now["admin_fee_percent"] == "1.0000" and now["accepted_proposal_number"] == 2


def test_safe_harbor_fees_above_3_percent_need_a_written_disclosure(client, world, items):
    response = client.post("/api/v1/contracts", json=body(world, items, admin_fee_percent="3.5"),
                           headers=world.headers["mso_procurement"])
    assert_error(response, 422, contains="admin_fee_disclosure")
    vague = body(world, items, admin_fee_percent="3.5", admin_fee_disclosure="see attached letter")
    assert_error(client.post("/api/v1/contracts", json=vague, headers=world.headers["mso_procurement"]), 422)
    stated = body(world, items, admin_fee_percent="3.5",
                  admin_fee_disclosure="The fee is 3.5% of purchase price, at most $25,000 per year.")
    assert client.post("/api/v1/contracts", json=stated, headers=world.headers["mso_procurement"]).status_code == 201
    assert client.post("/api/v1/contracts", json=body(world, items, admin_fee_percent="3"),
                       headers=world.headers["mso_procurement"]).status_code == 201


@pytest.mark.parametrize("overrides, message", [
    ({"tiers": [{"min_volume": 0, "discount_percent": "0"}, {"min_volume": 500, "discount_percent": "5"},
                {"min_volume": 250, "discount_percent": "8"}]}, "greater than the tier below"),
    ({"tiers": [{"min_volume": 10, "discount_percent": "0"}]}, "base tier"),
    ({"tiers": [{"min_volume": 0, "discount_percent": "0"}, {"min_volume": 10, "discount_percent": "100"}]}, "less than 100"),
    ({"tiers": [{"min_volume": 0, "discount_percent": "0"}, {"min_volume": -10, "discount_percent": "5"}]}, "negative"),
    ({"tiers": [{"min_volume": 0, "discount_percent": "5"}, {"min_volume": 10, "discount_percent": "4"}]}, "not be lower"),
    ({"tiers": [{"min_volume": 0, "discount_percent": "0"},
                {"min_volume": 10, "discount_percent": "5", "item_prices": {"999999": "1.00"}}]}, "not an item"),
    ({"ends_on": str(TODAY - dt.timedelta(days=10))}, "ends_on"),
    ({"tiers": []}, "tiers"),
    ({"admin_fee_percent": "-1"}, "admin_fee_percent"),
])
def test_bad_terms_name_their_rule_and_write_nothing(client, world, items, overrides, message):
    response = client.post("/api/v1/contracts", json=body(world, items, **overrides), headers=world.headers["mso_procurement"])
    assert_error(response, 422, contains=message)
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 0
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_one_422_names_every_broken_rule_of_a_counter(client, world, items):
    """Out-of-order discounts, an undisclosed fee above 3% and a fixed price above the
    tier below's price: the API names all three at once (rules.check_proposal)."""
    contract = open_contract(client, world, items)
    table = next(p for p in items if p.sku == "TBL")
    response = counter(client, world, contract["id"], "vendor_admin", admin_fee_percent="4", tiers=[
        {"min_volume": 0, "discount_percent": "0"}, {"min_volume": 100, "discount_percent": "8"},
        {"min_volume": 250, "discount_percent": "6", "item_prices": {str(table.id): "3300.00"}}])
    assert_error(response, 422)
    errors = response.get_json()["errors"]["json"]
    assert errors["tiers"] == {"2": [
        "discount_percent must not be lower than the tier below (8)",
        f"item_prices: product {table.id} at 3300.00 is above its price at the tier below (3128.0000)"]}
    assert "admin_fee_disclosure" in errors
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 1


def test_items_must_be_the_vendors_active_products(client, world, items):
    foreign = ProductFactory(vendor_id=world.other_vendor.id)
    inactive = ProductFactory(vendor_id=world.vendor.id, active=False)
    for bad in (foreign, inactive):
        response = client.post("/api/v1/contracts", json=body(world, [*items, bad]), headers=world.headers["mso_procurement"])
        assert_error(response, 422, contains=f"product {bad.id}")
    tiers = [{"min_volume": 0, "discount_percent": "0"},
             {"min_volume": 10, "discount_percent": "5", "item_prices": {str(foreign.id): "1.00"}}]
    assert_error(client.post("/api/v1/contracts", json=body(world, items, tiers=tiers),
                             headers=world.headers["mso_procurement"]), 422, contains="not an item")


def test_terminated_contracts_take_no_more_proposals(client, world, items):
    cid = open_contract(client, world, items)["id"]
    answer(client, world, cid, 1, "accept", "vendor_key")
    assert_error(client.post(f"/api/v1/contracts/{cid}/terminate", json={"reason": "quality"},
                             headers=world.headers["vendor_admin"]), 403)
    ended = client.post(f"/api/v1/contracts/{cid}/terminate", json={"reason": "missed deliveries"},
                        headers=world.headers["mso_procurement"])
    assert ended.status_code == 200 and ended.get_json()["status"] == "terminated"
    assert ended.get_json()["termination_reason"] == "missed deliveries"
    assert_error(counter(client, world, cid, "vendor_key"), 409, contains="terminated")
    assert_error(client.post(f"/api/v1/contracts/{cid}/terminate", json={"reason": "again"},
                             headers=world.headers["mso_procurement"]), 409)


def test_practices_see_contracts_in_effect_without_fee_or_thread(client, world, items):
    active = open_contract(client, world, items[:1])
    answer(client, world, active["id"], 1, "accept", "vendor_key")
    negotiating = open_contract(client, world, items[1:])
    listed = client.get("/api/v1/contracts", headers=world.headers["practice_buyer"]).get_json()
    assert [c["id"] for c in listed] == [active["id"]]
    seen = client.get(f"/api/v1/contracts/{active['id']}", headers=world.headers["practice_buyer"]).get_json()
    assert seen["tiers"] and seen["items"] == [items[0].id] and seen["status"] == "active"
    assert "admin_fee_percent" not in seen and "admin_fee_disclosure" not in seen
    assert_error(client.get(f"/api/v1/contracts/{active['id']}/proposals", headers=world.headers["practice_buyer"]), 403)
    assert_error(client.get(f"/api/v1/contracts/{negotiating['id']}", headers=world.headers["practice_buyer"]), 404)
    assert [c["id"] for c in client.get("/api/v1/contracts", headers=world.headers["other_vendor_key"]).get_json()] == []
    assert len(client.get("/api/v1/contracts?status=negotiating", headers=world.headers["mso_finance"]).get_json()) == 1


def test_status_follows_the_date(client, world, items):
    future = open_contract(client, world, items[:1], starts_on=str(TODAY + dt.timedelta(days=10)),
                           ends_on=str(TODAY + dt.timedelta(days=100)))
    answer(client, world, future["id"], 1, "accept", "vendor_key")
    assert client.get(f"/api/v1/contracts/{future['id']}", headers=world.headers["mso_admin"]).get_json()["status"] == "accepted"
    past = ContractFactory(vendor_id=world.vendor.id, starts_on=TODAY - dt.timedelta(days=400),
                           ends_on=TODAY - dt.timedelta(days=35), products=[items[2]])
    assert client.get(f"/api/v1/contracts/{past.id}", headers=world.headers["mso_admin"]).get_json()["status"] == "expired"


def test_a_product_is_on_one_contract_in_effect_at_a_time(client, world, items):
    first = open_contract(client, world, items[:2])
    answer(client, world, first["id"], 1, "accept", "vendor_key")
    second = open_contract(client, world, items[1:])
    assert_error(answer(client, world, second["id"], 1, "accept", "vendor_key"), 409, contains=f"product {items[1].id}")
    later = open_contract(client, world, items[1:], starts_on=str(TODAY + dt.timedelta(days=400)),
                          ends_on=str(TODAY + dt.timedelta(days=700)))
    assert answer(client, world, later["id"], 1, "accept", "vendor_key").status_code == 200  # no overlap


def test_products_show_their_contracts_and_filter_on_contract(client, world, items):
    cid = open_contract(client, world, items[:1])["id"]
    answer(client, world, cid, 1, "accept", "vendor_key")
    on = client.get("/api/v1/products?on_contract=true", headers=world.headers["practice_buyer"]).get_json()
    assert [p["id"] for p in on] == [items[0].id]
    off = client.get("/api/v1/products?on_contract=false", headers=world.headers["practice_buyer"]).get_json()
    assert {p["id"] for p in off} == {items[1].id, items[2].id}
    detail = client.get(f"/api/v1/products/{items[0].id}", headers=world.headers["practice_buyer"]).get_json()
    assert [c["id"] for c in detail["contracts"]] == [cid]
