"""Cycles, orders, physician approval, tier progress, the close and the vendor's side,
with hand-computed cents."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gpo.db import db, transactional
from gpo.orders import close as close_module
from gpo.orders.models import Cycle, Order, OrderLine, PurchaseOrder, PurchaseOrderLine
from tests.factories import (
    ContractFactory,
    CycleFactory,
    ProductFactory,
    UserFactory,
)
from tests.helpers import assert_error
from tests.scenarios import Market


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def lines_of(order_id):
    db.session.expire_all()
    return db.session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)).all()


def test_an_order_is_confirmed_with_list_and_estimated_prices(market):
    response = market.order([(market.gloves, 60), (market.masks, 20)])
    assert response.status_code == 201, response.get_data(as_text=True)
    order = response.get_json()
    assert order["status"] == "confirmed" and order["cycle_id"] == market.cycle.id
    assert [(line["list_price"], line["estimated_unit_price"]) for line in order["lines"]] == [
        ("19.9900", "19.9900"), ("4.0500", "4.0500")]  # 80 units so far: base tier
    assert market.order([(market.gloves, 20)], who="practice_admin").get_json()["lines"][0]["estimated_unit_price"] == "17.9910"


def test_placing_needs_an_idempotency_key_and_replays(market):
    body = {"location_id": market.world.location.id, "lines": [{"product_id": market.gloves.id, "quantity": 1}]}
    assert_error(market.client.post("/api/v1/orders", json=body, headers=market.world.headers["practice_buyer"]), 428)
    headers = {**market.world.headers["practice_buyer"], "Idempotency-Key": "order-1"}
    first = market.client.post("/api/v1/orders", json=body, headers=headers)
    again = market.client.post("/api/v1/orders", json=body, headers=headers)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


@pytest.mark.parametrize("lines, message", [
    (lambda m: [(m.masks, 5)], "minimum order quantity is 10"),
    (lambda m: [(m.masks, 12)], "multiple of 5"),
    (lambda m: [(m.gloves, 1), (m.gloves, 2)], "another line"),
    (lambda m: [(ProductFactory(vendor_id=m.world.vendor.id), 1)], "not on a contract"),
    (lambda m: [(ProductFactory(vendor_id=m.world.vendor.id, active=False), 1)], "not in the active catalog"),
])
def test_bad_lines_are_refused_and_nothing_is_written(market, lines, message):
    assert_error(market.order(lines(market)), 422, contains=message)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("quantity", [0, -3, 1.5, "x"])
def test_zero_negative_or_odd_quantities(market, quantity):
    body = {"location_id": market.world.location.id, "lines": [{"product_id": market.gloves.id, "quantity": quantity}]}
    response = market.client.post("/api/v1/orders", json=body,
                                  headers={**market.world.headers["practice_buyer"], "Idempotency-Key": f"q{quantity}"})
    assert_error(response, 422)


def test_another_practices_location_or_a_suspended_practice(market):
    assert_error(market.order([(market.gloves, 1)], location=market.other_location), 422, contains="location")
    market.world.practice.status = "suspended"
    db.session.commit()
    assert_error(market.order([(market.gloves, 1)], key="suspended"), 409, contains="suspended")


def test_no_open_cycle_no_orders(market):
    market.cycle.status = "closed"
    db.session.commit()
    assert_error(market.order([(market.gloves, 1)]), 409, contains="no purchasing cycle is open")
    scheduled = CycleFactory(status="scheduled", opens_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3),
                             closes_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=9))
    assert scheduled.status == "scheduled"
    assert_error(market.order([(market.gloves, 1)], key="scheduled"), 409)


def test_mso_orders_on_a_practices_behalf(market):
    assert_error(market.order([(market.gloves, 1)], who="mso_procurement"), 422, contains="practice_id")
    response = market.order([(market.gloves, 1)], who="mso_procurement", practice_id=market.world.practice.id, key="mso")
    assert response.status_code == 201 and response.get_json()["practice_id"] == market.world.practice.id
    assert_error(market.order([(market.gloves, 1)], who="mso_finance", practice_id=market.world.practice.id, key="f"), 403)


def test_clinical_lines_wait_for_a_physician_of_the_practice(market):
    order = market.order([(market.table, 1), (market.gloves, 10)]).get_json()
    assert order["status"] == "awaiting_approval"
    url = f"/api/v1/orders/{order['id']}/approve"
    read = market.client.get(f"/api/v1/orders/{order['id']}", headers=market.world.headers["practice_physician"])
    seen = {"If-Match": read.headers["ETag"]}
    assert_error(market.client.post(url, headers={**market.world.headers["practice_buyer"], **seen}), 403)
    assert_error(market.client.post(url, headers={**market.world.headers["mso_admin"], **seen}), 403)
    assert_error(market.client.post(url, headers=market.world.headers["practice_physician"]), 428)
    other_physician = UserFactory(organization_id=market.world.other_practice.id, roles=["practice_physician"])
    from tests.conftest import TEST_SECRET
    from tests.factories import token_for
    from tests.scenarios import bearer

    assert_error(market.client.post(url, headers={**bearer(token_for(other_physician, TEST_SECRET)), **seen}), 404)
    approved = market.client.post(url, headers={**market.world.headers["practice_physician"], **seen})
    assert approved.status_code == 200 and approved.get_json()["status"] == "confirmed"
    assert approved.get_json()["approved_by_user_id"] == market.world.users["practice_physician"].id
    by_physician = market.order([(market.table, 1)], who="practice_physician").get_json()
    assert by_physician["status"] == "confirmed" and by_physician["approved_at"]


def test_edits_need_the_current_etag_and_clinical_changes_need_approval_again(market):
    order = market.order([(market.gloves, 10)]).get_json()
    url = f"/api/v1/orders/{order['id']}"
    headers = market.world.headers["practice_buyer"]
    etag = market.client.get(url, headers=headers).headers["ETag"]
    edited = market.client.patch(url, json={"lines": [{"product_id": market.table.id, "quantity": 1}]},
                                 headers={**headers, "If-Match": etag})
    assert edited.status_code == 200 and edited.get_json()["status"] == "awaiting_approval"
    assert_error(market.client.patch(url, json={"lines": [{"product_id": market.gloves.id, "quantity": 5}]},
                                     headers={**headers, "If-Match": etag}), 412)
    assert_error(market.client.patch(url, json={"location_id": market.annex.id}, headers=headers), 428)


def test_cancel_and_copy_a_missed_order_into_the_next_cycle(market):
    cancelled = market.client.post(f"/api/v1/orders/{market.order([(market.gloves, 3)]).get_json()['id']}/cancel",
                                   headers=market.world.headers["practice_buyer"])
    assert cancelled.get_json()["status"] == "cancelled"
    waiting = market.order([(market.table, 1)], key="waiting").get_json()
    market.close()
    missed = market.client.get(f"/api/v1/orders/{waiting['id']}", headers=market.world.headers["practice_buyer"]).get_json()
    assert missed["status"] == "missed_cycle" and "physician" in missed["missed_reason"]
    assert_error(market.client.post(f"/api/v1/orders/{waiting['id']}/cancel",
                                    headers=market.world.headers["practice_buyer"]), 409)
    CycleFactory(name="Next")
    copy = market.client.post(f"/api/v1/orders/{waiting['id']}/copy-to-cycle", headers=market.world.headers["practice_buyer"])
    assert copy.status_code == 201
    assert copy.get_json()["status"] == "draft" and copy.get_json()["copied_from_order_id"] == waiting["id"]


def test_one_open_cycle_at_a_time_and_the_clock(market):
    headers = market.world.headers["mso_procurement"]
    now = dt.datetime.now(dt.timezone.utc)
    body = {"name": "January", "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
            "closes_at": (now + dt.timedelta(days=10)).isoformat()}
    created = market.client.post("/api/v1/cycles", json=body, headers=headers)
    assert created.status_code == 201 and created.get_json()["status"] == "scheduled"
    assert_error(market.client.post(f"/api/v1/cycles/{created.get_json()['id']}/open", headers=headers), 409,
                 contains="another cycle")
    assert_error(market.client.post("/api/v1/cycles", json={**body, "name": "Bad", "closes_at": body["opens_at"]},
                                    headers=headers), 422)
    assert_error(market.client.post("/api/v1/cycles", json={**body, "name": "X"},
                                    headers=market.world.headers["practice_admin"]), 403)
    from gpo.auth.principal import SYSTEM
    from gpo.orders.cycles import tick

    market.cycle.closes_at = now - dt.timedelta(minutes=1)
    db.session.commit()
    assert_error(market.order([(market.gloves, 1)], key="late"), 409, contains="closed for orders")
    result = transactional(tick)(SYSTEM)
    assert result["closing"] == [market.cycle.id]
    market.run_jobs(db.session.get(Cycle, market.cycle.id).close_job_id)
    second = transactional(tick)(SYSTEM)  # (in-process, the first tick could open it already: the close had run)
    assert (result["opened"] + second["opened"]) == [created.get_json()["id"]]
    db.session.expire_all()
    assert db.session.get(Cycle, market.cycle.id).status == "closed"
    assert db.session.get(Cycle, created.get_json()["id"]).status == "open"


def test_tier_progress_says_what_the_next_tier_would_save(market):
    market.order([(market.gloves, 60)], key="a")
    market.order([(market.gloves, 28), (market.masks, 10)], who="practice_admin", key="b")
    market.order([(market.table, 1)], key="c")  # awaiting approval: does not count
    progress = market.client.get(f"/api/v1/contracts/{market.contract.id}/tier-progress",
                                 headers=market.world.headers["practice_buyer"]).get_json()
    assert progress["volume"] == 98 and progress["achieved_tier"]["min_volume"] == 0
    assert progress["next_tier"]["min_volume"] == 100 and progress["volume_to_next_tier"] == 2
    # at 10% off: gloves 19.99 -> 17.9910; masks 4.05 -> 3.6450
    # 60 gloves: 119940 -> 107946 (5994+...); 28 gloves: 55972 -> 50375 (50374.8); 10 masks: 4050 -> 3645
    assert progress["savings_at_next_tier_cents"] == (119940 - 107946) + (55972 - 50375) + (4050 - 3645)


def test_the_close_prices_every_line_at_the_tier_reached_exactly(market):
    a = market.order([(market.gloves, 60), (market.masks, 20)], key="a").get_json()
    b = market.order([(market.gloves, 20)], who="practice_admin", location=market.annex, key="b").get_json()
    waiting = market.order([(market.table, 1)], key="w").get_json()
    job = market.close()
    assert job.result["purchase_orders"] == 1
    # 100 units exactly: 10% off. gloves 17.9910, masks 3.6450
    a_lines, b_lines = lines_of(a["id"]), lines_of(b["id"])
    assert [(line.unit_price, line.list_cents, line.line_cents, line.savings_cents) for line in a_lines] == [
        (D("17.9910"), 119940, 107946, 11994), (D("3.6450"), 8100, 7290, 810)]
    assert [(line.unit_price, line.line_cents) for line in b_lines] == [(D("17.9910"), 35982)]
    assert db.session.get(Order, a["id"]).status == "priced"
    assert db.session.get(Order, waiting["id"]).status == "missed_cycle"
    po = db.session.scalars(select(PurchaseOrder)).one()
    po_lines = {(line.product_id, line.location_id): (line.quantity, line.line_cents) for line in po.lines}
    assert po_lines == {(market.gloves.id, market.world.location.id): (60, 107946),
                        (market.masks.id, market.world.location.id): (20, 7290),
                        (market.gloves.id, market.annex.id): (20, 35982)}
    total_lines = db.session.scalar(select(func.sum(OrderLine.line_cents)).where(OrderLine.unit_price.is_not(None)))
    assert total_lines == sum(q[1] for q in po_lines.values()) == 151218
    results = market.client.get(f"/api/v1/cycles/{market.cycle.id}/results", headers=market.world.headers["mso_admin"]).get_json()
    assert results == [{"contract_id": market.contract.id, "title": market.contract.title, "vendor_id": market.world.vendor.id,
                        "basis": "units", "volume": 100,
                        "achieved_tier": {"index": 1, "min_volume": 100, "discount_percent": "10.0000"},
                        "list_cents": 119940 + 8100 + 39980, "paid_cents": 151218,
                        "savings_cents": 119940 + 8100 + 39980 - 151218}]


def test_a_tier_missed_by_one_unit(market):
    market.order([(market.gloves, 99)], key="a")
    market.close()
    line = db.session.scalars(select(OrderLine)).one()
    assert (line.unit_price, line.line_cents, line.savings_cents) == (D("19.9900"), 197901, 0)


def test_item_price_tiers_and_a_spend_basis(market, world):
    # units: 250 reached -> 12.5% off, and the exam table's fixed price 2950
    market.order([(market.gloves, 249), (market.table, 1)], who="practice_physician", key="a")
    spend_product = ProductFactory(vendor_id=world.vendor.id, sku="SPD", list_price=D("33.3333"))
    spend = ContractFactory(vendor_id=world.vendor.id, basis="spend", products=[spend_product], tiers=[
        {"min_volume": 0, "discount_percent": "0", "item_prices": {}},
        {"min_volume": 100000, "discount_percent": "7.5", "item_prices": {}}])  # $1,000.00 of list value
    market.order([(spend_product, 30)], key="s")  # list 999.999 -> 99999.9 -> 100000 cents: reached
    market.close()
    by_product = {line.product_id: line for line in db.session.scalars(select(OrderLine))}
    assert (by_product[market.table.id].unit_price, by_product[market.table.id].line_cents) == (D("2950.0000"), 295000)
    assert (by_product[market.gloves.id].unit_price, by_product[market.gloves.id].line_cents) == (D("17.4913"), 435533)
    # 33.3333 * 0.925 = 30.83330 -> 30.8333; * 30 = 924.999 -> 92500 cents
    assert (by_product[spend_product.id].unit_price, by_product[spend_product.id].line_cents) == (D("30.8333"), 92500)
    assert {r["contract_id"]: r["volume"] for r in market.client.get(
        f"/api/v1/cycles/{market.cycle.id}/results", headers=market.world.headers["mso_admin"]).get_json()} == {
        market.contract.id: 250, spend.id: 100000}


def test_after_the_close_nothing_changes_and_closing_again_is_harmless(market):
    order = market.order([(market.gloves, 10)], key="a").get_json()
    job = market.close()
    again = market.client.post(f"/api/v1/cycles/{market.cycle.id}/close", headers=market.world.headers["mso_procurement"])
    assert again.status_code == 202 and again.get_json()["job_id"] == job.id
    assert transactional(close_module.close_cycle)(market.cycle.id) == job.result
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrder)) == 1
    url = f"/api/v1/orders/{order['id']}"
    etag = market.client.get(url, headers=market.world.headers["practice_buyer"]).headers["ETag"]
    assert_error(market.client.patch(url, json={"lines": [{"product_id": market.gloves.id, "quantity": 5}]},
                                     headers={**market.world.headers["practice_buyer"], "If-Match": etag}), 409)
    assert_error(market.client.post(f"{url}/cancel", headers=market.world.headers["practice_buyer"]), 409)
    assert_error(market.order([(market.gloves, 1)], key="late"), 409)


@pytest.mark.parametrize("step", ["closing", "missed_cycle", "tiers", "priced", "purchase_orders", "hooks"])
def test_a_crash_at_any_step_then_a_rerun_closes_exactly_once(market, monkeypatch, step):
    market.order([(market.gloves, 60)], key="a")
    market.order([(market.gloves, 40)], who="practice_admin", location=market.annex, key="b")
    market.order([(market.table, 1)], key="w")

    def crash(name):
        if name == step:
            raise RuntimeError(f"injected crash after step {name}")

    monkeypatch.setattr(close_module, "_step", crash)
    with pytest.raises(RuntimeError):
        transactional(close_module.close_cycle)(market.cycle.id)
    db.session.rollback()
    assert db.session.get(Cycle, market.cycle.id).status == "closing"  # orders refused from here
    monkeypatch.undo()
    result = transactional(close_module.close_cycle)(market.cycle.id)
    assert result["purchase_orders"] == 1 and result["paid_cents"] == 107946 + 71964
    lines = db.session.scalars(select(OrderLine).where(OrderLine.unit_price.is_not(None))).all()
    assert sorted(line.line_cents for line in lines) == [71964, 107946]
    assert transactional(close_module.close_cycle)(market.cycle.id) == result


def test_the_vendor_acknowledges_fewer_units_newest_orders_first_then_ships(market):
    first = market.order([(market.gloves, 60)], key="a").get_json()
    second = market.order([(market.gloves, 30)], who="practice_admin", key="b").get_json()
    third = market.order([(market.gloves, 10)], who="practice_physician", key="c").get_json()
    market.close()
    po = db.session.scalars(select(PurchaseOrder)).one()
    line = po.lines[0]
    vendor = market.world.headers["vendor_key"]
    url = f"/api/v1/purchase-orders/{po.id}"
    assert_error(market.client.post(f"{url}/acknowledge", json={"lines": [{"line_id": line.id, "accepted_quantity": 101}]},
                                    headers=vendor), 422, contains="ordered")
    acked = market.client.post(f"{url}/acknowledge", json={"lines": [{"line_id": line.id, "accepted_quantity": 85}]},
                               headers=vendor)
    assert acked.status_code == 200, acked.get_data(as_text=True)
    # 15 refused: the newest order (10) goes entirely, then 5 of the one before
    accepted = {o["id"]: lines_of(o["id"])[0] for o in (first, second, third)}
    assert [(accepted[o["id"]].accepted_quantity, accepted[o["id"]].line_cents) for o in (first, second, third)] == [
        (60, 107946), (25, 44978), (0, 0)]  # 17.9910 * 25 = 449.775 -> 44978; the tier stays 10%
    db.session.refresh(line)
    assert line.accepted_quantity == 85 and line.line_cents == 107946 + 44978
    assert_error(market.client.post(f"{url}/acknowledge", json={"lines": [{"line_id": line.id, "accepted_quantity": 80}]},
                                    headers=vendor), 422, contains="already acknowledged")
    ship = {"carrier": "UPS", "tracking_number": "1Z999", "lines": [
        {"line_id": line.id, "location_id": market.world.location.id, "quantity": 70}]}
    assert_error(market.client.post(f"{url}/shipments",
                                    json={**ship, "lines": [{**ship["lines"][0], "location_id": market.annex.id}]},
                                    headers=vendor), 422, contains="ships to location")
    shipped = market.client.post(f"{url}/shipments", json=ship, headers=vendor)
    assert shipped.status_code == 201 and shipped.get_json()["tracking_number"] == "1Z999"
    assert [lines_of(o["id"])[0].shipped_quantity for o in (first, second, third)] == [60, 10, 0]  # oldest first
    assert_error(market.client.post(f"{url}/shipments", json={**ship, "lines": [{**ship["lines"][0], "quantity": 16}]},
                                    headers=vendor), 422, contains="exceed")
    assert market.client.post(f"{url}/shipments", json={**ship, "lines": [{**ship["lines"][0], "quantity": 15}]},
                              headers=vendor).status_code == 201
    assert_error(market.client.post(f"{url}/acknowledge", json={"lines": [{"line_id": line.id, "accepted_quantity": 1}]},
                                    headers=market.world.headers["other_vendor_key"]), 404)


def test_results_are_each_partys_own_part(market):
    market.order([(market.gloves, 60)], key="a")
    other_buyer = UserFactory(organization_id=market.world.other_practice.id, roles=["practice_buyer"])
    other_loc = market.other_location
    from tests.conftest import TEST_SECRET
    from tests.factories import token_for
    from tests.scenarios import bearer

    response = market.client.post("/api/v1/orders", json={"location_id": other_loc.id, "lines": [
        {"product_id": market.gloves.id, "quantity": 40}]},
        headers={**bearer(token_for(other_buyer, TEST_SECRET)), "Idempotency-Key": "o"})
    assert response.status_code == 201
    market.close()
    mine = market.client.get(f"/api/v1/cycles/{market.cycle.id}/results",
                             headers=market.world.headers["practice_buyer"]).get_json()
    assert [(r["volume"], r["paid_cents"]) for r in mine] == [(100, 107946)]
    assert market.client.get(f"/api/v1/cycles/{market.cycle.id}/results",
                             headers=market.world.headers["other_vendor_key"]).get_json() == []
    vendor = market.client.get(f"/api/v1/cycles/{market.cycle.id}/results", headers=market.world.headers["vendor_key"]).get_json()
    assert vendor[0]["paid_cents"] == 107946 + 71964
    purchase_orders = market.client.get("/api/v1/purchase-orders", headers=market.world.headers["other_vendor_key"]).get_json()
    assert purchase_orders == []
    assert_error(market.client.get("/api/v1/purchase-orders", headers=market.world.headers["practice_buyer"]), 403)


def test_a_physician_approves_only_the_lines_they_read(market):
    order = market.order([(market.table, 1)]).get_json()
    url = f"/api/v1/orders/{order['id']}"
    seen = market.client.get(url, headers=market.world.headers["practice_physician"]).headers["ETag"]
    buyer = market.world.headers["practice_buyer"]
    etag = market.client.get(url, headers=buyer).headers["ETag"]
    market.client.patch(url, json={"lines": [{"product_id": market.table.id, "quantity": 3}]},
                        headers={**buyer, "If-Match": etag})
    assert_error(market.client.post(f"{url}/approve",
                                    headers={**market.world.headers["practice_physician"], "If-Match": seen}), 412)


def test_a_product_marked_clinical_mid_cycle_needs_approval_before_it_counts(market):
    order = market.order([(market.gloves, 10)]).get_json()
    assert order["status"] == "confirmed"
    market.gloves.clinical = True
    db.session.commit()
    market.close()
    missed = db.session.get(Order, order["id"])
    assert missed.status == "missed_cycle" and "marked clinical" in missed.missed_reason
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrder)) == 0


def test_a_list_price_change_mid_cycle_splits_the_line_and_each_part_is_acknowledged_alone(market):
    market.order([(market.gloves, 60)], key="a")
    market.gloves.list_price = D("21.00")
    db.session.commit()
    market.order([(market.gloves, 40)], who="practice_admin", key="b")
    market.close()  # 100 units: 10% off each snapshot: 17.9910 and 18.9000
    po = db.session.scalars(select(PurchaseOrder)).one()
    cheap, dear = sorted(po.lines, key=lambda line: line.unit_price)
    assert (cheap.line_cents, dear.line_cents) == (107946, 75600)
    vendor = market.world.headers["vendor_key"]
    url = f"/api/v1/purchase-orders/{po.id}/acknowledge"
    assert_error(market.client.post(url, json={"lines": [{"line_id": dear.id, "accepted_quantity": 30},
                                                       {"line_id": dear.id, "accepted_quantity": 40}]}, headers=vendor), 422)
    assert market.client.post(url, json={"lines": [{"line_id": dear.id, "accepted_quantity": 30}]},
                              headers=vendor).status_code == 200
    assert market.client.post(url, json={"lines": [{"line_id": cheap.id, "accepted_quantity": 60}]},
                              headers=vendor).status_code == 200
    db.session.expire_all()
    lines_total = db.session.scalar(select(func.sum(OrderLine.line_cents)))
    po_total = db.session.scalar(select(func.sum(PurchaseOrderLine.line_cents)))
    assert lines_total == po_total == 107946 + 56700


def test_a_close_that_failed_for_good_can_be_asked_for_again(market, monkeypatch):
    from gpo import jobs

    market.order([(market.gloves, 10)])
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)
    first = market.client.post(f"/api/v1/cycles/{market.cycle.id}/close",
                               headers=market.world.headers["mso_procurement"]).get_json()
    job = db.session.get(jobs.Job, first["job_id"])
    job.status = "failed"
    db.session.commit()
    again = market.client.post(f"/api/v1/cycles/{market.cycle.id}/close",
                               headers=market.world.headers["mso_procurement"]).get_json()
    assert again["job_id"] != first["job_id"]


def test_a_tiny_spend_still_reaches_the_vendor(market, world):
    penny = ProductFactory(vendor_id=world.vendor.id, sku="PENNY", list_price=D("0.0040"))
    ContractFactory(vendor_id=world.vendor.id, basis="spend", products=[penny])
    market.order([(penny, 1)], key="p")
    market.close()
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrder)) == 1


def test_sql_prices_match_the_python_rule_even_for_huge_prices(market, world):
    from gpo.money import line_cents, unit_price_at_discount

    huge = ProductFactory(vendor_id=world.vendor.id, sku="HUGE", list_price=D("99362579.2946"))
    ContractFactory(vendor_id=world.vendor.id, products=[huge], tiers=[
        {"min_volume": 0, "discount_percent": "58.8425", "item_prices": {}}])
    market.order([(huge, 1)], key="h")
    market.close()
    line = db.session.scalars(select(OrderLine).where(OrderLine.product_id == huge.id)).one()
    expected = unit_price_at_discount(D("99362579.2946"), D("58.8425"))
    assert (line.unit_price, line.line_cents) == (expected, line_cents(expected, 1)) == (D("40895153.5732"), 4089515357)
