"""Cycle close benchmark (PostgreSQL).

Generates practices, contracts and confirmed order lines with SQL (generate_series),
then in the same run times
  - the floor: one hand-written SQL statement computing every practice's paid total
    at the tiers its contracts achieve (read-only, the least any close must do), and
  - the close itself (gpo.orders.close.close_cycle: missed orders, tiers, one UPDATE
    pricing every line, purchase orders),
checks that both give the same cents per practice, and prints one JSON line with the
ratio, the time per size and the process's peak memory.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench \
        .venv/bin/python bench/close_cycle.py [--sizes 100000,1000000]

The database named is dropped and re-created (its `public` schema). Never run by tests.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_import import reset_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

PRACTICES, VENDORS, CONTRACTS, ITEMS_PER_CONTRACT, LINES_PER_ORDER = 5000, 20, 200, 10, 10

GENERATE = [
    # vendors and practices (joined inheritance: organizations + their own table)
    """WITH o AS (INSERT INTO organizations (org_type, name, version, created_at)
         SELECT 'vendor', 'Vendor ' || g, 1, now() FROM generate_series(1, :vendors) g RETURNING id)
       INSERT INTO vendors (id, kind) SELECT id, 'supplier' FROM o""",
    """WITH o AS (INSERT INTO organizations (org_type, name, version, created_at)
         SELECT 'practice', 'Practice ' || g, 1, now() FROM generate_series(1, :practices) g RETURNING id)
       INSERT INTO practices (id, tax_id, status, joined_on) SELECT id, '12-0000000', 'active', current_date FROM o""",
    """INSERT INTO locations (practice_id, name, line1, city, state, postal_code, created_at)
       SELECT id, 'Main', '1 Main St', 'Madison', 'WI', '53703', now() FROM practices""",
    # contracts, each on ITEMS_PER_CONTRACT products of its vendor; half units, half spend
    """INSERT INTO contracts (vendor_id, title, category, basis, starts_on, ends_on, tiers, admin_fee_percent,
                              accepted_proposal_number, accepted_at, version, created_at)
       SELECT v.id, 'Contract ' || g, 'supplies', CASE WHEN g % 2 = 0 THEN 'units' ELSE 'spend' END,
              current_date - 30, current_date + 300,
              CASE WHEN g % 2 = 0 THEN jsonb_build_array(
                  jsonb_build_object('min_volume', 0, 'discount_percent', '0', 'item_prices', '{}'::jsonb),
                  jsonb_build_object('min_volume', 40000 + (g % 7) * 3000, 'discount_percent', '8.5', 'item_prices', '{}'::jsonb),
                  jsonb_build_object('min_volume', 60000, 'discount_percent', '12.5', 'item_prices', '{}'::jsonb))
              ELSE jsonb_build_array(
                  jsonb_build_object('min_volume', 0, 'discount_percent', '0', 'item_prices', '{}'::jsonb),
                  jsonb_build_object('min_volume', 500000000 + (g % 5) * 200000000, 'discount_percent', '7', 'item_prices', '{}'::jsonb))
              END,
              2.0, 1, now(), 1, now()
       FROM generate_series(1, :contracts) g
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM vendors) v ON v.n = g % :vendors""",  # noqa: E501  in the SQL string: wrapping changes its text
    """INSERT INTO products (vendor_id, sku, name, description, category, manufacturer, manufacturer_part_number,
                             unit_of_measure, list_price, clinical, clinical_marked_by_mso, min_order_quantity,
                             order_multiple, active, created_at, updated_at, version)
       SELECT c.vendor_id, 'SKU-' || c.id || '-' || i, 'Item ' || i || ' of contract ' || c.id, '', 'supplies', 'Acme',
              'MPN', 'each', round((1 + ((c.id * 31 + i * 17) % 50000) / 100.0)::numeric, 2), false, false, 1, 1, true,
              now(), now(), 1
       FROM contracts c, generate_series(1, :items) i""",
    """INSERT INTO contract_items (contract_id, product_id)
       SELECT c.id, p.id FROM contracts c JOIN products p ON p.sku LIKE 'SKU-' || c.id || '-%'""",
    """INSERT INTO cycles (name, opens_at, closes_at, status, created_at)
       VALUES ('Bench cycle', now() - interval '1 day', now() + interval '1 day', 'open', now())""",
    """INSERT INTO orders (practice_id, location_id, cycle_id, status, placed_by, submitted_at, version, created_at)
       SELECT l.practice_id, l.id, (SELECT id FROM cycles), CASE WHEN g % 50 = 0 THEN 'awaiting_approval' ELSE 'confirmed' END,
              'bench', now(), 1, now()
       FROM generate_series(0, :orders - 1) g
       JOIN (SELECT id, practice_id, row_number() OVER (ORDER BY id) - 1 AS n FROM locations) l ON l.n = g % :practices""",
    """INSERT INTO order_lines (order_id, product_id, contract_id, quantity, list_price, clinical, shipped_quantity)
       SELECT o.id, ci.product_id, ci.contract_id, 1 + (o.id * 7 + k * 13) % 20, p.list_price, false, 0
       FROM orders o
       CROSS JOIN generate_series(1, :lines_per_order) k
       JOIN (SELECT contract_id, product_id, row_number() OVER (ORDER BY contract_id, product_id) - 1 AS n FROM contract_items) ci
         ON ci.n = CASE WHEN :favorites = 0 THEN (o.id * 37 + k * 101) % (:contracts * :items)
                        ELSE (o.practice_id * 53 + ((o.id + k) % :favorites) * 101) % (:contracts * :items) END
       JOIN products p ON p.id = ci.product_id""",
    "ANALYZE",
]

# The floor: every practice's paid cents at the achieved tiers, in one statement.
FLOOR = """
WITH volume AS (
    SELECT ol.contract_id, sum(ol.quantity) AS units, sum(round(ol.list_price * ol.quantity * 100)) AS spend
    FROM order_lines ol JOIN orders o ON o.id = ol.order_id
    WHERE o.cycle_id = :cycle AND o.status = 'confirmed' GROUP BY ol.contract_id),
achieved AS (
    SELECT DISTINCT ON (c.id) c.id AS contract_id, (t ->> 'discount_percent')::numeric AS discount
    FROM contracts c JOIN volume v ON v.contract_id = c.id, jsonb_array_elements(c.tiers) t
    WHERE (t ->> 'min_volume')::bigint <= CASE WHEN c.basis = 'units' THEN v.units ELSE v.spend END
    ORDER BY c.id, (t ->> 'min_volume')::bigint DESC)
SELECT o.practice_id, sum(round(round(ol.list_price * (100 - a.discount) / 100, 4) * ol.quantity * 100)) AS paid
FROM order_lines ol JOIN orders o ON o.id = ol.order_id JOIN achieved a ON a.contract_id = ol.contract_id
WHERE o.cycle_id = :cycle AND o.status = 'confirmed'
GROUP BY o.practice_id
"""

CLOSED_TOTALS = """
SELECT o.practice_id, sum(ol.line_cents) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
WHERE o.cycle_id = :cycle AND o.status = 'priced' GROUP BY o.practice_id
"""


def run(app, url: str, lines: int, favorites: int) -> dict:
    from flask_migrate import upgrade

    from gpo.db import db, unit_of_work
    from gpo.orders.close import close_cycle

    reset_database(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    params = {"vendors": VENDORS, "practices": PRACTICES, "contracts": CONTRACTS, "items": ITEMS_PER_CONTRACT,
              "orders": lines // LINES_PER_ORDER, "lines_per_order": LINES_PER_ORDER, "favorites": favorites}
    with app.app_context():
        start = time.perf_counter()
        for statement in GENERATE:
            db.session.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
            db.session.commit()
        generate_s = time.perf_counter() - start
        cycle_id = db.session.scalar(text("SELECT id FROM cycles"))
        line_count = db.session.scalar(text("SELECT count(*) FROM order_lines"))

        start = time.perf_counter()
        floor = dict(db.session.execute(text(FLOOR), {"cycle": cycle_id}).all())
        floor_s = time.perf_counter() - start
        db.session.commit()

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        with unit_of_work():  # as the close job's edge: the close commits at its end
            summary = close_cycle(cycle_id)
        close_s = time.perf_counter() - start
        po_lines = db.session.scalar(text("SELECT count(*) FROM purchase_order_lines"))
        closed = dict(db.session.execute(text(CLOSED_TOTALS), {"cycle": cycle_id}).all())
        db.session.commit()
        db.engine.dispose()
    return {
        "order_lines": line_count, "generate_seconds": round(generate_s, 2),
        "floor_seconds": round(floor_s, 3), "close_seconds": round(close_s, 3),
        "ratio_to_floor": round(close_s / floor_s, 2),
        "same_cents_per_practice_as_floor": (
            {int(k): int(v) for k, v in floor.items()} == {int(k): int(v) for k, v in closed.items()}),
        "purchase_orders": summary["purchase_orders"], "purchase_order_lines": po_lines, "paid_cents": summary["paid_cents"],
        "orders": summary["orders"], "peak_rss_mb_before_close": round(rss_before / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000", help="order-line counts to run, comma-separated")
    parser.add_argument("--favorites", type=int, default=0,
                        help="each practice orders from this many favourite products (0: any product, "
                             "so almost no two lines pool into one purchase-order line: the worst case)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench")
    os.environ.pop("REDIS_URL", None)
    from gpo import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "SECRET_KEY": "bench" * 10})
    figures = {"bench": "close_cycle", "practices": PRACTICES, "contracts": CONTRACTS, "favorites": args.favorites}
    for size in [int(s) for s in args.sizes.split(",")]:
        figures[f"lines_{size}"] = run(app, url, size, args.favorites)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["targets"] = {"ratio_to_floor": 3, "peak_rss_mb": 500}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
