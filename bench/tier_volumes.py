"""Running volumes benchmark (PostgreSQL): do tier progress and `POST /orders` cost the
same however many confirmed lines the cycle holds?

One contract (units basis, three tiers) on 10 products, one practice; the cycle gets
0, then N confirmed lines written with SQL and recounted (`running_volumes.recount`).
At each size, in-process through the Flask test client (no HTTP server: what the
request itself costs), it times REQUESTS calls of `GET /contracts/{id}/tier-progress`
and of `POST /orders` (a unique Idempotency-Key each, cancelled right after by SQL
so the cycle keeps its size), and, as the reference, the aggregate that tier progress
ran before running volumes (the contract's confirmed lines summed and grouped, by
hand-written SQL). The floor is the same request on the empty cycle, measured in the
same run: `ratio_to_empty` is what flatness means (target <= 1.2 at 100,000 lines).

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench \\
        .venv/bin/python bench/tier_volumes.py [--sizes 10000,100000] [--requests 200]

The database named is dropped and re-created (its `public` schema). Never run by tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_import import reset_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

WARM_UP = 20
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
TIERS = [{"min_volume": 0, "discount_percent": "0", "item_prices": {}},
         {"min_volume": 50000, "discount_percent": "8.5", "item_prices": {}},
         {"min_volume": 2000000, "discount_percent": "12.5", "item_prices": {}}]

LINES = """
WITH o AS (
    INSERT INTO orders (practice_id, location_id, cycle_id, status, placed_by, submitted_at, version, created_at)
    SELECT :practice, :location, :cycle, 'confirmed', 'bench', now(), 1, now() FROM generate_series(1, :orders)
    RETURNING id)
INSERT INTO order_lines (order_id, product_id, contract_id, quantity, list_price, clinical, shipped_quantity)
SELECT o.id, p.id, :contract, 1 + (o.id * 7 + p.id * 13) % 20, p.list_price, false, 0
FROM o CROSS JOIN (SELECT id, list_price FROM products ORDER BY id LIMIT 10) p
"""
# What tier progress read before running volumes: the volume, and the lines grouped
# for the savings at the next tier.
OLD_AGGREGATE = """
SELECT sum(ol.quantity), sum(round(ol.list_price * ol.quantity * 100)) FROM order_lines ol
JOIN orders o ON o.id = ol.order_id WHERE o.cycle_id = :cycle AND o.status = 'confirmed' AND ol.contract_id = :contract;
"""
OLD_GROUPED = """
SELECT ol.product_id, ol.list_price, ol.quantity, count(*) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
WHERE o.cycle_id = :cycle AND o.status = 'confirmed' AND ol.contract_id = :contract
GROUP BY ol.product_id, ol.list_price, ol.quantity
"""


def setup(app) -> dict:
    """A practice with a buyer, a vendor's contract on 10 products, an open cycle."""
    from gpo.accounts.models import Location, Mso, Practice, User, UserRole, Vendor
    from gpo.auth.tokens import issue_access_token
    from gpo.catalog.models import Product
    from gpo.contracts.models import Contract, ContractItem
    from gpo.db import db, utcnow
    from gpo.orders.models import Cycle

    with app.app_context():
        today = utcnow().date()
        db.session.add(Mso(name="Bench MSO"))
        practice = Practice(name="Bench practice", tax_id="12-0000001", joined_on=today)
        vendor = Vendor(name="Bench vendor", kind="supplier")
        db.session.add_all([practice, vendor])
        db.session.flush()
        location = Location(practice_id=practice.id, name="Main", line1="1 Main St", city="Madison", state="WI",
                            postal_code="53703")
        user = User(organization_id=practice.id, email="buyer@bench.example", name="Buyer", password_hash="x")
        products = [Product(vendor_id=vendor.id, sku=f"B-{i}", name=f"Item {i}", category="supplies",
                            manufacturer="Acme", manufacturer_part_number=f"M-{i}", unit_of_measure="box",
                            list_price=Decimal("4.05") + i, min_order_quantity=1, order_multiple=1)
                    for i in range(10)]
        db.session.add_all([location, user, *products])
        db.session.flush()
        db.session.add(UserRole(user_id=user.id, role="practice_buyer"))
        contract = Contract(vendor_id=vendor.id, title="Bench contract", category="supplies", basis="units",
                            starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=300),
                            tiers=TIERS, admin_fee_percent=Decimal("2"), accepted_proposal_number=1,
                            accepted_at=utcnow(), items=[ContractItem(product_id=p.id) for p in products])
        cycle = Cycle(name="Bench cycle", opens_at=utcnow() - dt.timedelta(days=1),
                      closes_at=utcnow() + dt.timedelta(days=7), status="open")
        db.session.add_all([contract, cycle])
        db.session.commit()
        token = issue_access_token(user.id, SECRET, 3600, utcnow())
        return {"practice": practice.id, "location": location.id, "contract": contract.id, "cycle": cycle.id,
                "products": [p.id for p in products], "headers": {"Authorization": f"Bearer {token}"}}


def grow(app, world: dict, lines: int) -> tuple[int, float]:
    """The cycle's confirmed lines become `lines` (10 per order), recounted: how many,
    and the recount's seconds."""
    from gpo.db import db, unit_of_work
    from gpo.orders.running_volumes import recount

    with app.app_context():
        have = db.session.scalar(text("SELECT count(*) FROM order_lines"))
        if lines > have:
            db.session.execute(text(LINES), {**{k: world[k] for k in ("practice", "location", "cycle", "contract")},
                                             "orders": (lines - have) // 10})
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        start = time.perf_counter()
        with unit_of_work():
            recount(world["cycle"])
        seconds = time.perf_counter() - start
        return db.session.scalar(text("SELECT count(*) FROM order_lines")), round(seconds, 3)


def p50_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def measure(app, world: dict, requests: int, size: int) -> dict:
    from gpo.db import db

    client = app.test_client()
    url = f"/api/v1/contracts/{world['contract']}/tier-progress"
    body = {"location_id": world["location"], "lines": [{"product_id": world["products"][0], "quantity": 1},
                                                       {"product_id": world["products"][1], "quantity": 2}]}
    tier, post, old = [], [], []
    for i in range(-WARM_UP, requests):  # the first WARM_UP rounds are not timed
        start = time.perf_counter()
        response = client.get(url, headers=world["headers"])
        if i >= 0:
            tier.append(time.perf_counter() - start)
        assert response.status_code == 200, response.get_data(as_text=True)
        start = time.perf_counter()
        response = client.post("/api/v1/orders", json=body,
                               headers={**world["headers"], "Idempotency-Key": f"bench-{size}-{i}"})
        if i >= 0:
            post.append(time.perf_counter() - start)
        assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        # the orders placed leave the cycle (as if cancelled), so its size stays `size`
        db.session.execute(text("UPDATE orders SET status = 'cancelled' WHERE placed_by <> 'bench'"))
        db.session.commit()
        for _ in range(min(requests, 50)):
            start = time.perf_counter()
            db.session.execute(text(OLD_AGGREGATE), {"cycle": world["cycle"], "contract": world["contract"]}).all()
            db.session.execute(text(OLD_GROUPED), {"cycle": world["cycle"], "contract": world["contract"]}).all()
            old.append(time.perf_counter() - start)
        db.session.commit()
    return {"tier_progress_p50_ms": p50_ms(tier), "post_order_p50_ms": p50_ms(post),
            "old_tier_progress_sql_p50_ms": p50_ms(old)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000", help="confirmed-line counts after the empty cycle")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench")
    os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade

    from gpo import create_app

    reset_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade()
    world = setup(app)
    figures = {"bench": "tier_volumes", "requests": args.requests}
    empty = figures["lines_0"] = measure(app, world, args.requests, 0)
    for size in [int(s) for s in args.sizes.split(",")]:
        lines, recount_seconds = grow(app, world, size)
        result = measure(app, world, args.requests, size)
        result["order_lines"], result["recount_seconds"] = lines, recount_seconds
        result["ratio_to_empty"] = {
            "tier_progress": round(result["tier_progress_p50_ms"] / empty["tier_progress_p50_ms"], 2),
            "post_order": round(result["post_order_p50_ms"] / empty["post_order_p50_ms"], 2)}
        figures[f"lines_{size}"] = result
    figures["targets"] = {"ratio_to_empty": 1.2}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
