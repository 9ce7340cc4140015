"""Tier progress and `POST /orders` send the same statements, exactly as many, with 3
confirmed lines in the cycle and with 300: they read the running volumes, never the
lines (issue 20). Counted on every connection of the engine around the request
(before_cursor_execute), SQLite's `BEGIN IMMEDIATE` left out: PostgreSQL sends none."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from gpo.db import db, transactional, utcnow
from gpo.orders.models import Order, OrderLine
from gpo.orders.running_volumes import recount
from tests.factories import OrderFactory
from tests.scenarios import Market

# GET /contracts/{id}/tier-progress: the principal (user, roles and organization in one
# statement), the contract, the open cycle, the contract's running volume per tier.
TIER_PROGRESS_STATEMENTS = 4
# POST /orders with two lines: the principal (1), the Idempotency-Key claimed (insert,
# committed with the order), the practice, the location, the open cycle (FOR SHARE), the products
# with their contracts and tiers (one query), the order, its lines (one INSERT per line
# on SQLite, one for all on PostgreSQL), the running volumes (one upsert), the audit
# event, the estimated prices (the contracts' tiers with their running volumes), the
# stored response written.
POST_ORDER_STATEMENTS = {"sqlite": 13, "postgresql": 12}


@pytest.fixture
def market(client, world, run_jobs):
    return Market(client, world, run_jobs)


def sent_by(request) -> tuple[object, list[str]]:
    """The response of `request()` and the statements it sent."""
    db.session.commit()
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(" ".join(statement.split())[:160])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = request()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return response, seen


def grow_to(market: Market, lines: int) -> None:
    """The cycle's confirmed lines on the contract become `lines`: orders of gloves and
    masks written as a bench writes them (no running-volume delta), then recounted."""
    have = db.session.query(OrderLine).count()
    location = market.world.location
    for start in range(have, lines, 2):
        items = [(market.gloves, 1), (market.masks, 10)][:lines - start]
        db.session.add(Order(practice_id=location.practice_id, location_id=location.id, cycle_id=market.cycle.id,
                             status="confirmed", placed_by="bench", submitted_at=utcnow(), lines=[
                                 OrderLine(product_id=p.id, contract_id=market.contract.id, quantity=q,
                                           list_price=p.list_price) for p, q in items]))
    db.session.commit()
    transactional(recount)(market.cycle.id)
    assert db.session.query(OrderLine).count() == lines


def test_tier_progress_sends_as_many_statements_with_300_lines_as_with_3(market):
    OrderFactory(location=market.world.location, items=[(market.gloves, 2), (market.masks, 10)])
    OrderFactory(location=market.world.location, items=[(market.gloves, 3)])
    url = f"/api/v1/contracts/{market.contract.id}/tier-progress"
    headers = market.world.headers["practice_buyer"]
    counted, volumes = {}, {}
    for lines in (3, 300):
        grow_to(market, lines)
        response, counted[lines] = sent_by(lambda: market.client.get(url, headers=headers))
        assert response.status_code == 200, response.get_data(as_text=True)
        volumes[lines] = response.get_json()["volume"]
    assert counted[3] == counted[300], "\n".join(counted[300])
    assert len(counted[3]) == TIER_PROGRESS_STATEMENTS, "\n".join(counted[3])
    # 2 + 10 + 3 units, then 148 orders of a glove and 10 masks and one of a glove more
    assert volumes == {3: 15, 300: 15 + 148 * 11 + 1}


def test_placing_an_order_sends_as_many_statements_with_300_lines_as_with_3(market):
    OrderFactory(location=market.world.location, items=[(market.gloves, 2), (market.masks, 10)])
    OrderFactory(location=market.world.location, items=[(market.gloves, 3)])
    body = {"location_id": market.world.location.id,
            "lines": [{"product_id": market.gloves.id, "quantity": 1}, {"product_id": market.masks.id, "quantity": 10}]}
    headers = market.world.headers["practice_buyer"]
    counted = {}
    for lines in (3, 300):
        grow_to(market, lines)
        response, counted[lines] = sent_by(lambda lines=lines: market.client.post(
            "/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": f"order-{lines}"}))
        assert response.status_code == 201, response.get_data(as_text=True)
        assert [line["estimated_unit_price"] for line in response.get_json()["lines"]] == (
            ["19.9900", "4.0500"] if lines == 3 else ["17.4913", "3.5438"])  # 1,644 units: 12.5% off
        db.session.delete(db.session.get(Order, response.get_json()["id"]))  # back to `lines` lines
        db.session.commit()
        transactional(recount)(market.cycle.id)
    assert counted[3] == counted[300], "\n".join(counted[300])
    assert len(counted[3]) == POST_ORDER_STATEMENTS[db.engine.dialect.name], "\n".join(counted[3])
