"""Cycle close benchmark (PostgreSQL).

Generates practices, contracts and confirmed order lines with SQL (generate_series):
each practice re-orders its favourite products (most of every order), so a purchase-order
line pools many order lines, and each contract's tiers are set from the volume its lines
reach, so most contracts reach tier 2 or 3 (one in ten reaches none) and some lines get
a tier's fixed item price. A default fee schedule charges every practice a service fee.
Then, in the same run and on the same data, it times
  - the aggregate floor: one read-only SQL statement computing every practice's paid
    cents at the tiers its contracts achieve (the least any close must read),
  - the fair floor: the writes the close makes (cycle, missed orders, tier results,
    priced lines, purchase orders and their lines, their outbox events, orders priced,
    draft invoices with their totals, their lines and service fees, audit), written by
    hand in SQL and run in ONE transaction,
  - the close itself (gpo.orders.close.close_cycle, as its job runs it),
checks that the fair floor and the close wrote the same rows (per practice cents,
invoices, invoice lines, purchase-order lines, events) and that both give the aggregate
floor's cents, and prints one JSON line with the times, the ratios and peak memory.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench \
        .venv/bin/python bench/close_cycle.py [--sizes 100000,1000000] [--favorites 12]

The database named is dropped and re-created (its `public` schema), vacuumed and
analyzed, and copied to `<database>_close`: the fair floor runs on the first, the close
on the copy (the same rows, pages and statistics, none of them in PostgreSQL's buffers),
each after a CHECKPOINT. bench/README.md says what each figure is. Never run by tests.
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
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PRACTICES, VENDORS, CONTRACTS, ITEMS_PER_CONTRACT, LINES_PER_ORDER = 5000, 20, 200, 10, 10
FAVOURITE_LINES = 8  # of an order's lines, how many are its practice's favourites (the rest: one-offs)
SERVICE_FEE_PERCENT = "2.5"  # the MSO's default fee schedule

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
    f"""INSERT INTO fee_schedules (is_default, service_fee_percent, version, created_at)
        VALUES (true, {SERVICE_FEE_PERCENT}, 1, now())""",
    # contracts, each on ITEMS_PER_CONTRACT products of its vendor; half units, half spend.
    # Their tiers are set below, once the lines say what volume each contract reaches.
    """INSERT INTO contracts (vendor_id, title, category, basis, starts_on, ends_on, tiers, admin_fee_percent,
                              accepted_proposal_number, accepted_at, version, created_at)
       SELECT v.id, 'Contract ' || g, 'supplies', CASE WHEN g % 2 = 0 THEN 'units' ELSE 'spend' END,
              current_date - 30, current_date + 300,
              jsonb_build_array(jsonb_build_object('min_volume', 0, 'discount_percent', '0', 'item_prices', '{}'::jsonb)),
              2.0, 1, now(), 1, now()
       FROM generate_series(1, :contracts) g
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM vendors) v ON v.n = g % :vendors""",
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
    # Orders go round the practices: a practice's n-th order is order n * PRACTICES + p.
    """INSERT INTO orders (practice_id, location_id, cycle_id, status, placed_by, submitted_at, version, created_at)
       SELECT l.practice_id, l.id, (SELECT id FROM cycles), CASE WHEN g % 50 = 0 THEN 'awaiting_approval' ELSE 'confirmed' END,
              'bench', now(), 1, now()
       FROM generate_series(0, :orders - 1) g
       JOIN (SELECT id, practice_id, row_number() OVER (ORDER BY id) - 1 AS n FROM locations) l ON l.n = g % :practices""",
    # A practice's favourites are `favorites` products of its own; each order takes
    # FAVOURITE_LINES of them (a window that moves one favourite per order), the rest of
    # its lines are one-offs anywhere in the catalog.
    """INSERT INTO order_lines (order_id, product_id, contract_id, quantity, list_price, clinical, shipped_quantity)
       SELECT o.id, ci.product_id, ci.contract_id, 1 + (o.id * 7 + k * 13) % 20, p.list_price, false, 0
       FROM (SELECT id, practice_id, (row_number() OVER (PARTITION BY practice_id ORDER BY id)) AS n FROM orders) o
       CROSS JOIN generate_series(1, :lines_per_order) k
       JOIN (SELECT contract_id, product_id, row_number() OVER (ORDER BY contract_id, product_id) - 1 AS n FROM contract_items) ci
         ON ci.n = CASE WHEN k <= :favourite_lines
                        THEN (o.practice_id * 53 + ((o.n + k) % NULLIF(:favorites, 0)) * 101) % (:contracts * :items)
                        ELSE (o.practice_id * 97 + o.n * 211 + k * 101) % (:contracts * :items) END
       JOIN products p ON p.id = ci.product_id""",
    # Tiers from the volume each contract's confirmed lines reach: one contract in ten
    # misses tier 2; of the others, a third reach tier 3 (where their first item has a
    # fixed price, 80% of its list price) and the rest stop at tier 2.
    """WITH volume AS (
           SELECT ol.contract_id, sum(ol.quantity) AS units, sum(round(ol.list_price * ol.quantity * 100)) AS spend
           FROM order_lines ol JOIN orders o ON o.id = ol.order_id WHERE o.status = 'confirmed' GROUP BY ol.contract_id),
       reach AS (
           SELECT c.id, CASE WHEN c.basis = 'units' THEN v.units ELSE v.spend END AS volume,
                  CASE WHEN c.id % 10 = 0 THEN 1 WHEN c.id % 3 = 0 THEN 3 ELSE 2 END AS tier,
                  c.basis = 'units' AS units,
                  (SELECT jsonb_build_object(p.id::text, round(p.list_price * 0.8, 2)::text)
                   FROM contract_items ci JOIN products p ON p.id = ci.product_id
                   WHERE ci.contract_id = c.id ORDER BY p.id LIMIT 1) AS fixed
           FROM contracts c JOIN volume v ON v.contract_id = c.id)
       UPDATE contracts c SET tiers = jsonb_build_array(
           jsonb_build_object('min_volume', 0, 'discount_percent', '0', 'item_prices', '{}'::jsonb),
           jsonb_build_object('min_volume', floor(r.volume * CASE r.tier WHEN 1 THEN 1.25 WHEN 2 THEN 0.6 ELSE 0.5 END)::bigint,
                              'discount_percent', CASE WHEN r.units THEN '8.5' ELSE '4' END, 'item_prices', '{}'::jsonb),
           jsonb_build_object('min_volume', floor(r.volume * CASE r.tier WHEN 3 THEN 0.9 ELSE 1.5 END)::bigint,
                              'discount_percent', CASE WHEN r.units THEN '12.5' ELSE '7' END, 'item_prices', r.fixed))
       FROM reach r WHERE r.id = c.id""",
]

# What the tiers achieved: each contract's tier (as JSON) at its confirmed volume.
ACHIEVED = """
volume AS (
    SELECT ol.contract_id, sum(ol.quantity) AS units, sum(round(ol.list_price * ol.quantity * 100)) AS spend
    FROM order_lines ol JOIN orders o ON o.id = ol.order_id
    WHERE o.cycle_id = :cycle AND o.status = 'confirmed' GROUP BY ol.contract_id),
achieved AS (
    SELECT DISTINCT ON (c.id) c.id AS contract_id, t.tier, t.position - 1 AS tier_index,
           CASE WHEN c.basis = 'units' THEN v.units ELSE v.spend END AS volume
    FROM contracts c JOIN volume v ON v.contract_id = c.id, jsonb_array_elements(c.tiers) WITH ORDINALITY t(tier, position)
    WHERE (t.tier ->> 'min_volume')::bigint <= CASE WHEN c.basis = 'units' THEN v.units ELSE v.spend END
    ORDER BY c.id, (t.tier ->> 'min_volume')::bigint DESC)"""

# An order line's unit price at its contract's achieved tier `a`: the tier's fixed item
# price, else the list price less the discount, rounded half-up to 4 places.
UNIT_PRICE = """coalesce((a.tier -> 'item_prices' ->> ol.product_id::text)::numeric,
                         round(ol.list_price * (100 - (a.tier ->> 'discount_percent')::numeric) * 0.01, 4))"""

# The aggregate floor: every practice's paid cents at the achieved tiers, in one statement.
FLOOR = f"""
WITH {ACHIEVED}
SELECT o.practice_id, sum(round({UNIT_PRICE} * ol.quantity * 100)) AS paid
FROM order_lines ol JOIN orders o ON o.id = ol.order_id JOIN achieved a ON a.contract_id = ol.contract_id
WHERE o.cycle_id = :cycle AND o.status = 'confirmed'
GROUP BY o.practice_id
"""



def priced_at(price: str) -> str:
    """SET clause pricing an order line `ol` at `price`: its cents, each rounded half-up once."""
    return (f"unit_price = {price}, list_cents = round(ol.list_price * ol.quantity * 100), "
            f"line_cents = round({price} * ol.quantity * 100), "
            f"savings_cents = round(ol.list_price * ol.quantity * 100) - round({price} * ol.quantity * 100), "
            "accepted_quantity = ol.quantity")


# The fair floor: the close's writes by hand, in the order a person would write them
# (the invoices read the lines before their orders turn `priced`), one transaction.
FAIR_FLOOR = [
    """UPDATE cycles SET status = 'closing', closing_started_at = now() WHERE id = :cycle""",
    """INSERT INTO audit_events (at, actor_type, actor_label, action, object_type, object_id, details)
       VALUES (now(), 'system', 'system', 'cycle.closing', 'cycles', :cycle, '{}')""",
    """UPDATE orders o SET status = 'missed_cycle',
              missed_reason = 'a product was marked clinical after the order: it needed a physician''s approval'
       WHERE o.cycle_id = :cycle AND o.status = 'confirmed' AND o.approved_at IS NULL
         AND EXISTS (SELECT 1 FROM order_lines ol JOIN products p ON p.id = ol.product_id
                     WHERE ol.order_id = o.id AND p.clinical)""",
    """UPDATE orders SET status = 'missed_cycle',
              missed_reason = CASE WHEN status = 'draft' THEN 'never submitted before the cycle closed'
                              ELSE 'clinical lines still awaited a physician''s approval when the cycle closed' END
       WHERE cycle_id = :cycle AND status IN ('awaiting_approval', 'draft')""",
    f"""INSERT INTO cycle_contract_results (cycle_id, contract_id, volume, achieved_tier_index, achieved_min_volume,
                                            discount_percent)
        WITH {ACHIEVED}
        SELECT :cycle, contract_id, volume, tier_index, (tier ->> 'min_volume')::bigint,
               (tier ->> 'discount_percent')::numeric
        FROM achieved""",
    """INSERT INTO cycle_item_prices (cycle_id, contract_id, product_id, unit_price)
       SELECT :cycle, r.contract_id, f.key::bigint, f.value::numeric
       FROM cycle_contract_results r JOIN contracts c ON c.id = r.contract_id,
            jsonb_each_text(c.tiers -> r.achieved_tier_index -> 'item_prices') f
       WHERE r.cycle_id = :cycle""",
    "ANALYZE cycle_contract_results, cycle_item_prices",
    # every line once: at its tier's discount, or at the tier's fixed price for its item
    f"""UPDATE order_lines ol SET {priced_at("round(ol.list_price * (100 - r.discount_percent) * 0.01, 4)")}
        FROM orders o, cycle_contract_results r
        WHERE o.id = ol.order_id AND o.cycle_id = :cycle AND o.status = 'confirmed'
          AND r.cycle_id = :cycle AND r.contract_id = ol.contract_id
          AND NOT EXISTS (SELECT 1 FROM cycle_item_prices f WHERE f.cycle_id = :cycle
                          AND f.contract_id = ol.contract_id AND f.product_id = ol.product_id)""",
    f"""UPDATE order_lines ol SET {priced_at("f.unit_price")}
        FROM orders o, cycle_item_prices f
        WHERE o.id = ol.order_id AND o.cycle_id = :cycle AND o.status = 'confirmed'
          AND f.cycle_id = :cycle AND f.contract_id = ol.contract_id AND f.product_id = ol.product_id""",
    """INSERT INTO purchase_orders (cycle_id, contract_id, vendor_id, created_at)
       SELECT :cycle, c.id, c.vendor_id, now()
       FROM cycle_contract_results r JOIN contracts c ON c.id = r.contract_id WHERE r.cycle_id = :cycle""",
    "ANALYZE purchase_orders",
    """INSERT INTO purchase_order_lines (purchase_order_id, product_id, location_id, unit_price, quantity, line_cents)
       SELECT po.id, ol.product_id, o.location_id, ol.unit_price, sum(ol.quantity), sum(ol.line_cents)
       FROM order_lines ol JOIN orders o ON o.id = ol.order_id
       JOIN purchase_orders po ON po.cycle_id = :cycle AND po.contract_id = ol.contract_id
       WHERE o.cycle_id = :cycle AND o.status = 'confirmed'
       GROUP BY po.id, ol.product_id, o.location_id, ol.unit_price""",
    """INSERT INTO outbox_events (event_type, vendor_id, subject_type, subject_id, summary, data, created_at)
       SELECT 'purchase_order.created', po.vendor_id, 'purchase_order', po.id,
              format('Purchase order %s for %s (%s): %s line%s, $%s', po.id, v.name, c.title, l.n,
                     CASE WHEN l.n = 1 THEN '' ELSE 's' END, to_char(l.cents / 100.0, 'FM999,999,999,990.00')),
              json_build_object('purchase_order_id', po.id, 'cycle_id', :cycle, 'contract_id', po.contract_id,
                                'line_count', l.n, 'total_cents', l.cents), now()
       FROM purchase_orders po JOIN organizations v ON v.id = po.vendor_id JOIN contracts c ON c.id = po.contract_id
       JOIN (SELECT purchase_order_id, count(*) AS n, sum(line_cents) AS cents FROM purchase_order_lines
             GROUP BY purchase_order_id) l ON l.purchase_order_id = po.id
       WHERE po.cycle_id = :cycle ORDER BY po.id""",
    """INSERT INTO invoices (practice_id, kind, status, source_key, description, cycle_id, service_fee_percent,
                             service_fee_cents, subtotal_cents, credits_applied_cents, total_cents, created_at, version)
       SELECT s.practice_id, 'purchasing', 'draft', 'purchasing:cycle:' || :cycle || ':practice:' || s.practice_id,
              'Purchasing: ' || cy.name, :cycle, f.percent, fee.cents, s.goods + fee.cents, 0, s.goods + fee.cents,
              now(), 1
       FROM (SELECT o.practice_id, sum(ol.line_cents) AS goods FROM order_lines ol JOIN orders o ON o.id = ol.order_id
             WHERE o.cycle_id = :cycle AND o.status = 'confirmed' GROUP BY o.practice_id) s
       JOIN cycles cy ON cy.id = :cycle
       LEFT JOIN fee_schedules own ON own.practice_id = s.practice_id
       CROSS JOIN LATERAL (SELECT coalesce(own.service_fee_percent,
                                           (SELECT service_fee_percent FROM fee_schedules WHERE is_default), 0) AS percent) f
       CROSS JOIN LATERAL (SELECT round(s.goods * f.percent * 0.01)::bigint AS cents) fee
       ORDER BY s.practice_id""",
    """INSERT INTO invoice_lines (invoice_id, kind, description, order_line_id, contract_id, vendor_id, product_id,
                                  category, quantity, unit_price, list_cents, amount_cents, savings_cents)
       SELECT i.id, 'product', p.sku || ' ' || p.name, ol.id, ol.contract_id, p.vendor_id, p.id, p.category,
              ol.accepted_quantity, ol.unit_price, ol.list_cents, ol.line_cents, ol.savings_cents
       FROM order_lines ol JOIN orders o ON o.id = ol.order_id JOIN products p ON p.id = ol.product_id
       JOIN invoices i ON i.cycle_id = :cycle AND i.kind = 'purchasing' AND i.practice_id = o.practice_id
       WHERE o.cycle_id = :cycle AND o.status = 'confirmed'""",
    """INSERT INTO invoice_lines (invoice_id, kind, description, amount_cents)
       SELECT id, 'service_fee', 'MSO service fee', service_fee_cents FROM invoices
       WHERE cycle_id = :cycle AND kind = 'purchasing' AND service_fee_cents > 0""",
    """UPDATE orders SET status = 'priced' WHERE cycle_id = :cycle AND status = 'confirmed'""",
    """UPDATE cycles SET status = 'closed', closed_at = now() WHERE id = :cycle""",
    """INSERT INTO audit_events (at, actor_type, actor_label, action, object_type, object_id, details)
       SELECT now(), 'system', 'system', 'cycle.closed', 'cycles', :cycle, jsonb_build_object(
           'orders', (SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM orders
                                                               WHERE cycle_id = :cycle GROUP BY status) s),
           'purchase_orders', (SELECT count(*) FROM purchase_orders WHERE cycle_id = :cycle),
           'paid_cents', (SELECT sum(l.line_cents) FROM purchase_order_lines l
                          JOIN purchase_orders po ON po.id = l.purchase_order_id WHERE po.cycle_id = :cycle))""",
]

# What a close wrote, as order-free digests (a sum of row hashes) to compare two databases.
def digest(columns: str) -> str:
    return f"sum(('x' || left(md5(concat_ws(':', {columns})), 15))::bit(60)::bigint)"


OUTPUTS = {
    "paid_per_practice": """SELECT o.practice_id, sum(ol.line_cents) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                            WHERE o.cycle_id = :cycle AND o.status = 'priced' GROUP BY o.practice_id""",
    "order_lines": "SELECT count(*), " + digest(
        "ol.id, ol.unit_price, ol.list_cents, ol.line_cents, ol.savings_cents, ol.accepted_quantity, o.status") + """
        FROM order_lines ol JOIN orders o ON o.id = ol.order_id WHERE o.cycle_id = :cycle""",
    "tiers": "SELECT count(*), " + digest(
        "contract_id, volume, achieved_tier_index, achieved_min_volume, discount_percent") + """,
        count(*) FILTER (WHERE discount_percent > 0), count(*) FILTER (WHERE achieved_tier_index = 2)
        FROM cycle_contract_results WHERE cycle_id = :cycle""",
    "item_prices": "SELECT count(*), " + digest("contract_id, product_id, unit_price") + """
        FROM cycle_item_prices WHERE cycle_id = :cycle""",
    "invoices": "SELECT count(*), sum(total_cents), " + digest(
        "practice_id, status, source_key, description, service_fee_percent, service_fee_cents, subtotal_cents, "
        "credits_applied_cents, total_cents, version") + """
        FROM invoices WHERE cycle_id = :cycle AND kind = 'purchasing'""",
    "invoice_lines": "SELECT count(*), " + digest(
        "i.practice_id, l.kind, l.description, l.order_line_id, l.contract_id, l.vendor_id, l.product_id, l.category, "
        "l.quantity, l.unit_price, l.list_cents, l.amount_cents, l.savings_cents") + """
        FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.cycle_id = :cycle""",
    "purchase_order_lines": "SELECT count(*), sum(l.quantity), " + digest(
        "po.contract_id, po.vendor_id, l.product_id, l.location_id, l.unit_price, l.quantity, l.line_cents") + """
        FROM purchase_order_lines l JOIN purchase_orders po ON po.id = l.purchase_order_id WHERE po.cycle_id = :cycle""",
    "events": "SELECT count(*), " + digest(
        "event_type, vendor_id, subject_type, data ->> 'contract_id', data ->> 'line_count', data ->> 'total_cents'") + """
        FROM outbox_events WHERE event_type = 'purchase_order.created'""",
    "cycle": """SELECT status, (SELECT count(*) FROM audit_events WHERE object_type = 'cycles' AND object_id = :cycle)
                FROM cycles WHERE id = :cycle""",
}


def outputs(conn, cycle_id: int) -> dict:
    """The digests of what a close wrote (to compare the close with the fair floor)."""
    found = {}
    for name, sql in OUTPUTS.items():
        rows = conn.execute(text(sql), {"cycle": cycle_id}).all()
        found[name] = ({int(k): int(v) for k, v in rows} if name == "paid_per_practice"
                       else [str(value) for value in rows[0]])
    return found


def generate(app, url: str, lines: int, favorites: int) -> float:
    """A fresh, migrated database with the bench's cycle in it; the seconds it took."""
    from flask_migrate import upgrade

    from gpo.db import db

    reset_database(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    params = {"vendors": VENDORS, "practices": PRACTICES, "contracts": CONTRACTS, "items": ITEMS_PER_CONTRACT,
              "orders": lines // LINES_PER_ORDER, "lines_per_order": LINES_PER_ORDER, "favorites": favorites,
              "favourite_lines": min(favorites, FAVOURITE_LINES)}
    engine = create_engine(url)
    start = time.perf_counter()
    with engine.connect() as conn:
        for statement in GENERATE:
            conn.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
            conn.commit()
    # Vacuumed and analyzed now, so no autovacuum visits the tables while a run is timed
    # (the close's copy, whose activity counters start at zero, would have none).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    return time.perf_counter() - start


def checkpoint(url: str) -> None:
    """Write out what earlier steps left dirty, so each timed run starts from the same
    state (no checkpoint owed from the run before)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
    engine.dispose()


def copy_database(url: str, copy_url: str) -> None:
    """`copy_url`'s database dropped and made again as a file copy of `url`'s."""
    source, copy = make_url(url).database, make_url(copy_url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{source}" STRATEGY FILE_COPY'))
    admin.dispose()


def fair_floor(url: str, cycle_id: int) -> tuple[float, dict]:
    """The fair floor's seconds (one transaction, committed) and the digests of its writes."""
    engine = create_engine(url)
    with engine.connect() as conn:
        start = time.perf_counter()
        with conn.begin():
            conn.execute(text("SET LOCAL work_mem = '128MB'"))  # as the close does
            for statement in FAIR_FLOOR:
                conn.execute(text(statement), {"cycle": cycle_id} if ":cycle" in statement else {})
        seconds = time.perf_counter() - start
        found = outputs(conn, cycle_id)
    engine.dispose()
    return seconds, found


def close(url: str) -> tuple[float, dict, dict, int]:
    """The close's seconds, its summary, the digests of its writes and the peak memory before it."""
    from gpo import create_app
    from gpo.db import db, unit_of_work
    from gpo.orders.close import close_cycle

    # The close's events are dispatched by the notifications job after it commits, not
    # by the close (the fair floor writes the same outbox rows and dispatches none either).
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "SECRET_KEY": "bench" * 10,
                      "OUTBOX_DISPATCH": "manual"})
    with app.app_context():
        cycle_id = db.session.scalar(text("SELECT id FROM cycles"))
        db.session.commit()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        with unit_of_work():  # as the close job's edge: the close commits at its end
            summary = close_cycle(cycle_id)
        seconds = time.perf_counter() - start
        found = outputs(db.session.connection(), cycle_id)
        db.session.commit()
        db.engine.dispose()
    return seconds, summary, found, rss_before


def run(app, url: str, lines: int, favorites: int) -> dict:
    close_url = make_url(url).set(database=f"{make_url(url).database}_close").render_as_string(hide_password=False)
    generate_s = generate(app, url, lines, favorites)
    engine = create_engine(url)
    with engine.connect() as conn:
        cycle_id = conn.scalar(text("SELECT id FROM cycles"))
        line_count = conn.scalar(text("SELECT count(*) FROM order_lines"))
        start = time.perf_counter()
        floor = {int(k): int(v) for k, v in conn.execute(text(FLOOR), {"cycle": cycle_id}).all()}
        floor_s = time.perf_counter() - start
    engine.dispose()
    copy_database(url, close_url)
    checkpoint(url)
    fair_s, fair = fair_floor(url, cycle_id)
    checkpoint(url)
    close_s, summary, closed, rss_before = close(close_url)
    tiers = closed["tiers"]
    return {
        "order_lines": line_count, "generate_seconds": round(generate_s, 2),
        "floor_seconds": round(floor_s, 3), "fair_floor_seconds": round(fair_s, 3), "close_seconds": round(close_s, 3),
        "ratio_to_floor": round(close_s / floor_s, 2), "ratio_to_fair_floor": round(close_s / fair_s, 2),
        "same_cents_per_practice_as_floor": floor == closed["paid_per_practice"] == fair["paid_per_practice"],
        "same_writes_as_fair_floor": {name: closed[name] == fair[name] for name in OUTPUTS},
        "contracts_discounted": int(tiers[2]), "contracts_at_tier_3": int(tiers[3]),
        "purchase_orders": summary["purchase_orders"], "purchase_order_lines": int(closed["purchase_order_lines"][0]),
        "order_lines_per_purchase_order_line": round(line_count / int(closed["purchase_order_lines"][0]), 1),
        "invoice_lines": int(closed["invoice_lines"][0]), "paid_cents": summary["paid_cents"],
        "orders": summary["orders"], "peak_rss_mb_before_close": round(rss_before / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000", help="order-line counts to run, comma-separated")
    parser.add_argument("--favorites", type=int, default=12,
                        help=f"each practice's favourite products ({FAVOURITE_LINES} of every order's "
                             f"{LINES_PER_ORDER} lines; 0: no favourites, every line a one-off)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench")
    os.environ.pop("REDIS_URL", None)
    from gpo import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "SECRET_KEY": "bench" * 10})
    figures = {"bench": "close_cycle", "practices": PRACTICES, "contracts": CONTRACTS, "favorites": args.favorites}
    for size in [int(s) for s in args.sizes.split(",")]:
        figures[f"lines_{size}"] = run(app, url, size, args.favorites)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["targets"] = {"ratio_to_fair_floor": 1.2, "close_seconds_at_1000000": 30, "peak_rss_mb": 500}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
