"""The events of buying and its purchase orders, driven through the API on the shared
scenarios: each use case writes exactly its events (type, audience, subject, data,
summary) in its own transaction; a refused request writes none; the close run twice,
or a request replayed with its Idempotency-Key, writes them once."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gpo.db import db, unit_of_work, utcnow
from gpo.orders import close, cycles
from gpo.orders.models import Order, Substitution
from tests.factories import ProductFactory
from tests.helpers import assert_error
from tests.notifications.event_support import events_after, mark

LATER = (utcnow().date() + dt.timedelta(days=7)).isoformat()




# --- the close ----------------------------------------------------------------------------


def test_the_close_announces_each_purchase_order_once(after_close):
    ac = after_close
    po = ac.po
    assert events_after() == [(
        "purchase_order.created", ac.world.vendor.id, None, "purchase_order", po.id,
        {"purchase_order_id": po.id, "cycle_id": ac.cycle.id, "contract_id": ac.contract.id,
         "line_count": 2, "total_cents": 107946 + 89955},
        f"Purchase order {po.id} for Acme ({ac.contract.title}): 2 lines, $1,979.01")]
    # the close asked again, and its job run again directly: nothing more
    again = ac.client.post(f"/api/v1/cycles/{ac.cycle.id}/close", headers=ac.world.headers["mso_procurement"])
    assert again.status_code == 202
    with unit_of_work():
        close.close_cycle(ac.cycle.id)
    assert len(events_after()) == 1


def test_a_close_that_crashes_after_the_purchase_orders_announces_nothing(client, world, run_jobs, monkeypatch):
    from tests.scenarios import Billing

    billing = Billing(client, world, run_jobs)
    assert billing.order([(billing.gloves, 60)]).status_code == 201

    def crash(name):
        if name == "hooks":
            raise RuntimeError("the process died after the purchase orders")

    monkeypatch.setattr(close, "_step", crash)
    with pytest.raises(RuntimeError):
        with unit_of_work():
            close.close_cycle(billing.cycle.id)
    assert events_after() == []
    monkeypatch.setattr(close, "_step", lambda name: None)
    with unit_of_work():
        close.close_cycle(billing.cycle.id)
    assert [e[0] for e in events_after()] == ["purchase_order.created"]


# --- ordering: a physician's approval, a cycle closing soon ------------------------------------


def test_an_order_with_clinical_lines_waits_for_a_physician_once(client, world, run_jobs):
    from tests.scenarios import Market

    market = Market(client, world, run_jobs)
    response = market.order([(market.table, 1), (market.gloves, 10)], key="clinical-1")
    assert response.status_code == 201, response.get_data(as_text=True)
    order = response.get_json()
    assert order["status"] == "awaiting_approval"
    expected = [("order.awaiting_physician", None, world.practice.id, "order", order["id"],
                 {"order_id": order["id"], "cycle_id": market.cycle.id, "clinical_line_count": 1},
                 f"Order {order['id']} for {world.location.name} waits for a physician's approval: 1 clinical line")]
    assert events_after() == expected
    # the same request replayed: the stored answer, no second event
    assert market.order([(market.table, 1), (market.gloves, 10)], key="clinical-1").status_code == 201
    # edited while it waits: it still waits, nobody is told again
    etag = client.get(f"/api/v1/orders/{order['id']}", headers=world.headers["practice_buyer"]).headers["ETag"]
    edited = client.patch(f"/api/v1/orders/{order['id']}", json={"lines": [{"product_id": market.table.id, "quantity": 2}]},
                          headers={**world.headers["practice_buyer"], "If-Match": etag})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert events_after() == expected
    # a physician's own order carries the approval; an order without clinical lines never waits
    before = mark()
    assert market.order([(market.table, 1)], who="practice_physician", key="clinical-2").get_json()["status"] == "confirmed"
    assert market.order([(market.gloves, 10)], key="plain").get_json()["status"] == "confirmed"
    assert events_after(before) == []


def test_a_refused_order_tells_nobody(client, world, run_jobs):
    from tests.scenarios import Market

    market = Market(client, world, run_jobs)
    assert_error(market.order([(market.table, 1), (market.masks, 3)], key="bad"), 422)
    assert events_after() == []


def test_a_draft_in_a_cycle_closing_within_a_day_is_told_once(client, world, run_jobs):
    from tests.scenarios import Market

    market = Market(client, world, run_jobs)
    draft = market.order([(market.gloves, 10)], submit=False, key="draft").get_json()
    on_behalf = market.order([(market.gloves, 10)], who="mso_admin", practice_id=world.practice.id, submit=False,
                             location=market.annex, key="on-behalf").get_json()
    assert market.order([(market.gloves, 10)], key="submitted").status_code == 201
    empty = Order(practice_id=world.practice.id, location_id=market.annex.id, cycle_id=market.cycle.id,
                  status="draft", placed_by="nobody@example.test")
    db.session.add(empty)
    db.session.commit()
    closes_at = market.cycle.closes_at
    with unit_of_work():  # more than a day ahead: nothing yet
        assert cycles.tell_closing_soon(closes_at - dt.timedelta(hours=25)) == 0
    with unit_of_work():
        assert cycles.tell_closing_soon(closes_at - dt.timedelta(hours=23)) == 2
    with unit_of_work():  # the next tick: told already
        assert cycles.tell_closing_soon(closes_at - dt.timedelta(hours=22)) == 0

    def told(order, location, user_id):
        return ("cycle.closing_soon", None, world.practice.id, "order", order["id"],
                {"order_id": order["id"], "cycle_id": market.cycle.id, "closes_at": closes_at.isoformat(),
                 "user_id": user_id},
                f"Your draft order {order['id']} for {location.name} is not submitted: {market.cycle.name} closes "
                f"{closes_at:%Y-%m-%d %H:%M} UTC, and an order not submitted by then misses the cycle")

    # MSO staff's draft for the practice names no user: the practice's buyers and admins are told
    assert events_after() == [told(draft, world.location, world.users["practice_buyer"].id),
                              told(on_behalf, market.annex, None)]


def test_flask_gpo_tick_runs_the_closing_soon_scan(app, client, world, run_jobs):
    from gpo.notifications import dispatcher
    from tests.scenarios import Market

    market = Market(client, world, run_jobs)
    market.cycle.closes_at = utcnow() + dt.timedelta(hours=2)
    db.session.commit()
    assert market.order([(market.gloves, 10)], submit=False, key="draft").status_code == 201
    db.session.commit()
    assert dispatcher.tick()["scanned_events"] == 1
    assert dispatcher.tick()["scanned_events"] == 0
    assert [e[0] for e in events_after()] == ["cycle.closing_soon"]


# --- the vendor's acknowledgement: substitutes offered and decided --------------------------------


@pytest.fixture
def offered(after_close):
    """Acme acknowledges: Lakeside 55 accepted, 5 offered as vinyl gloves at 15.0000;
    Riverbend all 50 (as tests/api/test_substitutions_api.py)."""
    ac = after_close
    ac.vinyl = ProductFactory(vendor_id=ac.world.vendor.id, sku="VNL", name="Vinyl gloves")
    db.session.commit()
    ac.mark = mark()
    response = ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": ac.line().id, "accepted_quantity": 55,
         "substitute": {"product_id": ac.vinyl.id, "quantity": 5, "unit_price": "15.0000"}},
        {"line_id": ac.line(ac.other_location).id, "accepted_quantity": 50}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    ac.substitution = db.session.scalars(select(Substitution)).one()
    return ac


def test_a_substitute_offered_is_told_to_the_practice(offered):
    ac, s = offered, offered.substitution
    assert events_after(ac.mark) == [(
        "substitution.offered", None, ac.world.practice.id, "substitution", s.id,
        {"substitution_id": s.id, "purchase_order_id": ac.po.id, "clinical": False},
        f"Acme offers 5 Vinyl gloves (VNL) for $75.00 instead of {ac.gloves.name} (GLV) on purchase order "
        f"{ac.po.id}: approve or decline it")]


def test_a_refused_acknowledgement_offers_nothing(after_close):
    ac = after_close
    vinyl = ProductFactory(vendor_id=ac.world.vendor.id, sku="VNL")
    db.session.commit()
    before = mark()
    response = ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": ac.line().id, "accepted_quantity": 55,
         "substitute": {"product_id": vinyl.id, "quantity": 5, "unit_price": "99.0000"}}]})
    assert_error(response, 422, contains="at most the line's unit price")
    assert events_after(before) == []


@pytest.mark.parametrize("verb, decision", [("approve", "approved"), ("decline", "declined")])
def test_the_practice_s_decision_is_told_to_the_vendor(offered, verb, decision):
    ac, s = offered, offered.substitution
    before = mark()
    response = ac.post(f"/substitutions/{s.id}/{verb}", {}, who="practice_admin")
    assert response.status_code == 200, response.get_data(as_text=True)
    substitute_line = response.get_json()["substitute_line_id"]
    then = f"ship them as line {substitute_line}" if decision == "approved" else "those units are rejected"
    assert events_after(before) == [(
        "substitution.decided", ac.world.vendor.id, ac.world.practice.id, "substitution", s.id,
        {"substitution_id": s.id, "purchase_order_id": ac.po.id, "decision": decision,
         "original_line_id": ac.line().id, "substitute_line_id": substitute_line, "quantity": 5},
        f"Lakeside {decision} the substitute Vinyl gloves (VNL) for 5 units on purchase order {ac.po.id}: {then}")]
    # deciding again is a 409: nothing more
    assert_error(ac.post(f"/substitutions/{s.id}/{verb}", {}, who="practice_admin"), 409)
    assert len(events_after(before)) == 1


# --- backorders cancelled ---------------------------------------------------------------------


@pytest.fixture
def backordered(after_close):
    ac = after_close
    response = ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": ac.line().id, "accepted_quantity": 50, "backordered_quantity": 10, "expected_ship_on": LATER},
        {"line_id": ac.line(ac.other_location).id, "accepted_quantity": 50}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    ac.mark = mark()
    return ac


def test_a_practice_cancelling_a_backorder_changes_the_purchase_order(backordered):
    ac = backordered
    line = ac.line()
    headers = {"Idempotency-Key": "cancel-4"}
    response = ac.post(f"/backorders/{line.id}/cancel", {"quantity": 4}, who="practice_buyer", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = [(
        "purchase_order.changed", ac.world.vendor.id, ac.world.practice.id, "purchase_order", ac.po.id,
        {"purchase_order_id": ac.po.id, "change": "backorder_cancelled", "line_ids": [line.id], "quantity": 4},
        f"Lakeside cancelled 4 backordered units of line {line.id} on purchase order {ac.po.id} (6 still backordered)")]
    assert events_after(ac.mark) == expected
    # replayed with its key: the stored answer, no second event
    again = ac.post(f"/backorders/{line.id}/cancel", {"quantity": 4}, who="practice_buyer", headers=headers)
    assert again.status_code == 200
    assert events_after(ac.mark) == expected
    # more than is open: 422, nothing
    assert_error(ac.post(f"/backorders/{line.id}/cancel", {"quantity": 7}, who="practice_buyer"), 422)
    assert events_after(ac.mark) == expected


def test_the_vendor_cancelling_its_own_backorder_is_no_news_to_it(backordered):
    ac = backordered
    response = ac.post(f"/backorders/{ac.line().id}/cancel", {}, who="vendor_key")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert events_after(ac.mark) == []
