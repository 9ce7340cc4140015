"""API load benchmark (PostgreSQL, gunicorn, wrk): throughput and latency under 32
concurrent clients, against two floors measured in the same run on the same gunicorn
configuration, at several sizes of the open cycle.

It resets the database named by BENCH_DATABASE_URL (its `public` schema), migrates it,
and generates with set-based SQL a catalog of 20,000 products from 4 vendors ("gloves"
in 400 names), a contract in effect per vendor (the benchmarked one: units, 3 tiers the
cycle's lines reach), an open cycle, 200 practices with a location each, a practice
user (buyer and admin) with a draft cart, and N confirmed order lines on the
benchmarked contract, spread over N/5 orders of every practice. Then, at each size N:

  - queries: SQL statements (and commits) of one request per endpoint, after a warm-up
    request, with the Flask test client in this process (a `before_cursor_execute`
    listener); the same-SQL floor's, called in-process, and whether it answers the
    same JSON keys as the app (and, for the reads, the same JSON);
  - with three servers up under gunicorn (sync workers, --workers, default 3): the no-op
    floor (bench/noop.py: a fixed JSON), then endpoint by endpoint the app (`wsgi:app`,
    GPO_ENV=production with harmless values, OUTBOX_DISPATCH=manual) and right after it
    the same-SQL floor (bench/same_sql.py), each driven by wrk (bench/api_load.lua,
    2 threads, 32 connections, --duration seconds after a --warmup): GET /api/v1/me,
    product search (q=gloves), product detail, tier progress, POST /api/v1/orders (a
    unique Idempotency-Key per request) and the storefront's /shop and /cart (the
    session cookie; compared with the no-op floor only: the same-SQL floor has no pages).

    apt-get install wrk
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench \\
        .venv/bin/python bench/api_load.py [--sizes 0,10000,100000] [--duration 10] [--workers 3]

Prints ONE JSON line: per size the no-op figures and per endpoint rps, p50_ms, p99_ms,
errors, queries, commits, vs_noop and vs_same_sql (rps ratios), the floor's figures;
`flatness` (p50 and rps at the largest size over size 0); and `targets` (p99 < 100 ms,
no errors, >= 0.5x the same-SQL floor, flat within 1.2x), each met or not, without
failing the run. Exits non-zero only when something breaks: a server does not start,
or a request fails in the query-count pass. Never run by tests.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from catalog_import import reset_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

PRODUCTS, VENDORS, PRACTICES, CONTRACT_ITEMS, LINES_PER_ORDER = 20_000, 4, 200, 20, 5
# Line quantities are 1 to 10 (5.5 on average): 10,000 lines reach the second tier,
# 100,000 the third.
TIERS = ((0, "0"), (20_000, "5"), (400_000, "10"))
NOUNS = ["gloves", "syringe", "gauze", "monitor", "laptop", "mask", "gown", "cart", "otoscope", "thermometer",
         "bandage", "scale", "printer", "router", "stool", "lamp", "cabinet", "table", "swab", "catheter",
         "needle", "tray", "drape", "sponge", "suture", "stapler", "forceps", "scalpel", "speculum", "cuff",
         "stethoscope", "oximeter", "nebulizer", "cannula", "tubing", "splint", "brace", "crutch", "walker",
         "wheelchair", "pillow", "blanket", "sheet", "towel", "apron", "cap", "shoe cover", "goggles", "shield",
         "sanitizer"]  # each noun names PRODUCTS / 50 = 400 products
ADJECTIVES = ["nitrile", "exam", "sterile", "disposable", "premium", "standard", "compact", "large"]
EMAIL, PASSWORD = "buyer@bench.example", "bench-password"
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench"
CONNECTIONS, THREADS = 32, 2
# wrk counts a response slower than this as an error (a timeout) and leaves it out of its
# latencies: above its 2 s default, so that a slow endpoint's p99 is its real one.
WRK_TIMEOUT_S = 10
TARGET_P99_MS, TARGET_VS_SAME_SQL, TARGET_FLAT = 100, 0.5, 1.2


class Endpoint(NamedTuple):
    name: str
    method: str
    path: str  # {product} and {contract}: the benchmarked ones
    auth: str  # "bearer" or "cookie"
    same_sql: bool  # the same-SQL floor answers it


# POST last: the orders it places are removed before the next server's turn.
ENDPOINTS = [
    Endpoint("me", "GET", "/api/v1/me", "bearer", True),
    Endpoint("search", "GET", "/api/v1/products?q=gloves", "bearer", True),
    Endpoint("product", "GET", "/api/v1/products/{product}", "bearer", True),
    Endpoint("tier_progress", "GET", "/api/v1/contracts/{contract}/tier-progress", "bearer", True),
    Endpoint("shop", "GET", "/shop", "cookie", False),
    Endpoint("cart", "GET", "/cart", "cookie", False),
    Endpoint("place_order", "POST", "/api/v1/orders", "bearer", True),
]

# --- the data: set-based SQL, as bench/close_cycle.py generates its cycle ------------------

GENERATE = [
    # the MSO, vendors and practices (joined inheritance: organizations + their own table)
    "INSERT INTO organizations (org_type, name, version, created_at) VALUES ('mso', 'Bench MSO', 1, now())",
    """WITH o AS (INSERT INTO organizations (org_type, name, version, created_at)
         SELECT 'vendor', 'Bench Vendor ' || g, 1, now() FROM generate_series(1, :vendors) g RETURNING id)
       INSERT INTO vendors (id, kind) SELECT id, 'supplier' FROM o""",
    """WITH o AS (INSERT INTO organizations (org_type, name, version, created_at)
         SELECT 'practice', 'Bench Practice ' || g, 1, now() FROM generate_series(1, :practices) g RETURNING id)
       INSERT INTO practices (id, tax_id, status, joined_on) SELECT id, '12-0000000', 'active', current_date FROM o""",
    """INSERT INTO locations (practice_id, name, line1, city, state, postal_code, created_at)
       SELECT id, 'Main', '1 Main St', 'Madison', 'WI', '53703', now() FROM practices""",
    # the catalog: "<adjective> <noun> #g", each noun in :products / 50 names, vendors in turn
    """INSERT INTO products (vendor_id, sku, name, description, category, manufacturer, manufacturer_part_number,
                             unit_of_measure, list_price, clinical, clinical_marked_by_mso, min_order_quantity,
                             order_multiple, active, created_at, updated_at, version)
       SELECT v.id, 'SKU-' || g, initcap(w.adjectives[1 + g % cardinality(w.adjectives)] || ' '
                                         || w.nouns[1 + (g / cardinality(w.adjectives)) % cardinality(w.nouns)]) || ' #' || g,
              'Item ' || g || ' for the clinic', 'supplies', 'Acme', 'MPN-' || g, 'each',
              round((1 + (g * 37) % 50000 / 100.0)::numeric, 2), false, false, 1, 1, true, now(), now(), 1
       FROM generate_series(0, :products - 1) g
       CROSS JOIN (SELECT CAST(:adjectives AS text[]) AS adjectives, CAST(:nouns AS text[]) AS nouns) w
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM vendors) v ON v.n = g % :vendors""",
    """INSERT INTO product_prices (product_id, list_price, effective_from, changed_by)
       SELECT id, list_price, now() - interval '30 days', 'bench' FROM products""",
    # a contract in effect per vendor on its first :items products: the first vendor's is
    # the benchmarked one (units, TIERS), the others spend
    """INSERT INTO contracts (vendor_id, title, category, basis, starts_on, ends_on, tiers, admin_fee_percent,
                              accepted_proposal_number, accepted_at, version, created_at)
       SELECT v.id, 'Bench contract ' || v.n, 'supplies', CASE WHEN v.n = 0 THEN 'units' ELSE 'spend' END,
              current_date - 30, current_date + 300,
              CASE WHEN v.n = 0 THEN CAST(:tiers AS jsonb) ELSE CAST(:spend_tiers AS jsonb) END, 2.0, 1, now(), 1, now()
       FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM vendors) v""",
    """INSERT INTO contract_items (contract_id, product_id)
       SELECT c.id, p.id FROM contracts c
       CROSS JOIN LATERAL (SELECT id FROM products WHERE vendor_id = c.vendor_id ORDER BY id LIMIT :items) p""",
    """INSERT INTO cycles (name, opens_at, closes_at, status, created_at)
       VALUES ('Bench cycle', now() - interval '1 day', now() + interval '7 days', 'open', now())""",
    # the practice user who orders (the first practice's buyer and admin), and a draft cart
    """WITH u AS (INSERT INTO users (organization_id, email, name, password_hash, active, created_at)
                  SELECT min(id), :email, 'Bench Buyer', :password_hash, true, now() FROM practices RETURNING id)
       INSERT INTO user_roles (user_id, role) SELECT u.id, r FROM u, unnest(ARRAY['practice_admin', 'practice_buyer']) r""",
    """WITH o AS (INSERT INTO orders (practice_id, location_id, cycle_id, status, placed_by, version, created_at)
                  SELECT l.practice_id, l.id, (SELECT id FROM cycles), 'draft', :email, 1, now() FROM locations l
                  WHERE l.practice_id = (SELECT min(id) FROM practices) RETURNING id)
       INSERT INTO order_lines (order_id, product_id, contract_id, quantity, list_price, clinical, shipped_quantity)
       SELECT o.id, p.id, ci.contract_id, 2, p.list_price, false, 0
       FROM o CROSS JOIN (SELECT contract_id, product_id FROM contract_items
                          WHERE contract_id = (SELECT min(id) FROM contracts WHERE basis = 'units')
                          ORDER BY product_id LIMIT 3) ci
       JOIN products p ON p.id = ci.product_id""",
    "ANALYZE",
]

# N confirmed lines on the benchmarked contract: N / LINES_PER_ORDER orders spread over
# every practice, distinct products within an order, quantities 1 to 10.
CONFIRMED_LINES = [
    "DELETE FROM orders WHERE cycle_id = :cycle AND status <> 'draft'",  # (their lines cascade)
    """INSERT INTO orders (practice_id, location_id, cycle_id, status, placed_by, submitted_at, version, created_at)
       SELECT l.practice_id, l.id, :cycle, 'confirmed', 'bench', now(), 1, now()
       FROM generate_series(0, :orders - 1) g
       JOIN (SELECT id, practice_id, row_number() OVER (ORDER BY id) - 1 AS n FROM locations) l ON l.n = g % :practices""",
    """INSERT INTO order_lines (order_id, product_id, contract_id, quantity, list_price, clinical, shipped_quantity)
       SELECT o.id, ci.product_id, :contract, 1 + (g * 7) % 10, p.list_price, false, 0
       FROM generate_series(0, :lines - 1) g
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM orders
             WHERE cycle_id = :cycle AND status = 'confirmed') o ON o.n = g / :lines_per_order
       JOIN (SELECT product_id, row_number() OVER (ORDER BY product_id) - 1 AS n FROM contract_items
             WHERE contract_id = :contract) ci ON ci.n = (g % :lines_per_order + o.n) % :items
       JOIN products p ON p.id = ci.product_id""",
    "ANALYZE orders",
    "ANALYZE order_lines",
]


def execute_all(app, statements: list[str], params: dict) -> None:
    """Each statement with the parameters it names, committed one by one."""
    from gpo.db import db

    with app.app_context():
        for statement in statements:
            named = set(re.findall(r"(?<!:):(\w+)", statement))
            db.session.execute(text(statement), {k: v for k, v in params.items() if k in named})
            db.session.commit()
        db.engine.dispose()


def tiers_json(tiers) -> str:
    return json.dumps([{"min_volume": v, "discount_percent": d, "item_prices": {}} for v, d in tiers])


def build_world(app) -> dict:
    """Migrate, generate the catalog, contracts, practices, the user and the cycle (no
    confirmed lines yet); the ids the endpoints name."""
    from flask_migrate import upgrade

    from gpo.auth.passwords import hash_password

    with app.app_context():
        upgrade()
    execute_all(app, GENERATE, {
        "vendors": VENDORS, "practices": PRACTICES, "products": PRODUCTS, "items": CONTRACT_ITEMS,
        "adjectives": ADJECTIVES, "nouns": NOUNS, "tiers": tiers_json(TIERS),
        "spend_tiers": tiers_json(((0, "0"), (50_000_000, "4"))), "email": EMAIL,
        "password_hash": hash_password(PASSWORD)})
    return world_ids(app)


def world_ids(app) -> dict:
    from gpo.db import db

    with app.app_context():
        row = db.session.execute(text(
            """SELECT c.id AS contract, (SELECT min(product_id) FROM contract_items WHERE contract_id = c.id) AS product,
                      (SELECT max(product_id) FROM contract_items WHERE contract_id = c.id) AS order_product,
                      (SELECT id FROM cycles WHERE status = 'open') AS cycle,
                      (SELECT l.id FROM locations l JOIN users u ON u.organization_id = l.practice_id
                       WHERE u.email = :email) AS location
               FROM contracts c WHERE c.basis = 'units' ORDER BY c.id LIMIT 1"""), {"email": EMAIL}).one()
        db.session.remove()
    return dict(row._mapping)


def set_confirmed_lines(app, world: dict, size: int) -> None:
    """The generator of the cycle's confirmed lines: exactly `size` of them (replacing
    any before), then what is derived from them rebuilt; world["last_order"] is the
    newest generated order (those placed over HTTP come after it)."""
    from gpo.db import db

    execute_all(app, CONFIRMED_LINES, {
        "cycle": world["cycle"], "contract": world["contract"], "lines": size, "practices": PRACTICES,
        "orders": -(-size // LINES_PER_ORDER), "lines_per_order": LINES_PER_ORDER, "items": CONTRACT_ITEMS})
    with app.app_context():
        world["last_order"] = db.session.scalar(text("SELECT max(id) FROM orders"))
        db.session.remove()
    rebuild_derived(app, world["cycle"])


def trim_placed_orders(app, world: dict) -> None:
    """Remove the orders placed over HTTP (the bench's POSTs), so every server's turn
    starts from the same `size` confirmed lines."""
    execute_all(app, ["DELETE FROM orders WHERE id > :last_order"], world)
    rebuild_derived(app, world["cycle"])


def rebuild_derived(app, cycle_id: int) -> None:
    """What is derived from the order lines, rebuilt after SQL wrote or removed them (the
    app maintains it in each order's own transaction): the cycle's running volumes
    (`recount` does not commit: it runs in its own unit of work here). Anything else
    derived later from the lines is rebuilt here too."""
    from gpo.db import db, unit_of_work
    from gpo.orders.running_volumes import recount

    with app.app_context():
        with unit_of_work():
            recount(cycle_id)
        db.engine.dispose()


# --- the app's settings, credentials and the query count ---------------------------------


class BenchBroken(Exception):
    """Something the figures cannot do without failed: the run exits non-zero."""


def app_environment(url: str, scratch: str) -> dict:
    """The app's settings, under gunicorn and in this process alike: production mode, its
    checks passed with harmless values (these endpoints send no e-mail and call no
    Stripe), no debug, the outbox dispatched only by `flask gpo tick` (OUTBOX_DISPATCH=
    manual) and no Redis (jobs in-process; none runs here)."""
    return {
        "GPO_ENV": "production", "DATABASE_URL": url, "SECRET_KEY": "bench-api-load-" + "s" * 32,
        "OUTBOX_DISPATCH": "manual", "STRIPE_API_KEY": "sk_test_bench_never_called",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench_never_called", "STRIPE_API_BASE": "",
        "SMTP_URL": "smtp://127.0.0.1:25?starttls=0", "MAIL_DIR": f"{scratch}/mail",
        "PUBLIC_BASE_URL": "https://gpo.bench.invalid", "WEBHOOK_ALLOW_PRIVATE_URLS": "0",
    }


def order_body(world: dict) -> dict:
    return {"location_id": world["location"], "lines": [{"product_id": world["order_product"], "quantity": 3}]}


def credentials(app) -> dict:
    """A bearer token (POST /api/v1/auth/login) and a storefront session cookie (the
    sign-in form, CSRF token included), as the bench user, through the test client of
    the same app and database (the servers share SECRET_KEY). Over https, so that
    production's Secure cookie is kept (and with the Referer https needs for CSRF)."""
    api = app.test_client()
    answer = api.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    if answer.status_code != 200:
        raise BenchBroken(f"POST /api/v1/auth/login answered {answer.status_code}")
    browser = app.test_client()
    login = browser.get("/login", base_url="https://localhost").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    signed = browser.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf},
                          base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    if signed.status_code != 302:
        raise BenchBroken(f"signing in through POST /login answered {signed.status_code}")
    browser.get("/shop", base_url="https://localhost")  # the session now holds its CSRF token: pages keep it as is
    cookie = browser.get_cookie("gpo_session", domain="localhost")
    return {"bearer": f"Bearer {answer.get_json()['access_token']}", "cookie": f"gpo_session={cookie.value}",
            "api": api, "browser": browser}


def one_request(client, endpoint: Endpoint, world: dict, creds: dict):
    """One request of the endpoint through a test client (the app's or the floor's)."""
    path = endpoint.path.format(**world)
    if endpoint.auth == "cookie":
        return creds["browser"].get(path, base_url="https://localhost")
    headers = {"Authorization": creds["bearer"]}
    if endpoint.method == "POST":
        headers["Idempotency-Key"] = uuid.uuid4().hex
        return client.post(path, json=order_body(world), headers=headers)
    return client.get(path, headers=headers)


class Statements:
    """SQL statements and commits sent through the engine (every connection), as
    tests/pages.py counts them."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.statements = self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, *args) -> None:
        self.statements += 1

    def _commit(self, *args) -> None:
        self.commits += 1


def keys_of(value, prefix: str = "") -> set[str]:
    """The JSON's keys as dotted paths (a list: its first item's)."""
    if isinstance(value, dict):
        return set().union(*({prefix + k} | keys_of(v, f"{prefix}{k}.") for k, v in value.items()))
    if isinstance(value, list) and value:
        return keys_of(value[0], prefix + "[].")
    return set()


def succeeded(answer, what: str):
    if not 200 <= answer.status_code < 300:
        raise BenchBroken(f"{what} answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
    return answer


def count_queries(app, counter: Statements, world: dict, creds: dict) -> dict:
    """Per endpoint: SQL statements and commits of one request (after a warm-up one) in
    this process; for the API endpoints the same-SQL floor's too, and whether it answers
    the same JSON keys as the app (and, for reads, the same JSON)."""
    import same_sql
    from werkzeug.test import Client

    floor = Client(same_sql.app)
    counts = {}
    for endpoint in ENDPOINTS:
        succeeded(one_request(creds["api"], endpoint, world, creds), f"the warm-up {endpoint.name}")
        before = counter.statements, counter.commits
        answer = succeeded(one_request(creds["api"], endpoint, world, creds), endpoint.name)
        counts[endpoint.name] = {"queries": counter.statements - before[0], "commits": counter.commits - before[1]}
        if not endpoint.same_sql:
            continue
        succeeded(one_request(floor, endpoint, world, creds), f"the floor's warm-up {endpoint.name}")
        before = same_sql.statements, same_sql.commits
        mine = succeeded(one_request(floor, endpoint, world, creds), f"the floor's {endpoint.name}").get_json()
        theirs = answer.get_json()
        counts[endpoint.name]["same_sql"] = {
            "queries": same_sql.statements - before[0], "commits": same_sql.commits - before[1],
            "same_keys": keys_of(mine) == keys_of(theirs)}
        if endpoint.method == "GET":
            counts[endpoint.name]["same_sql"]["same_answer"] = mine == theirs
    same_sql.close()
    return counts


# --- servers and wrk -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(process: subprocess.Popen, port: int, log: Path) -> None:
    """Until the server answers anything (a worker is up), then a second for the others."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchBroken(f"gunicorn exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if probe.recv(12).startswith(b"HTTP/"):
                    time.sleep(1)
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchBroken(f"gunicorn did not answer on port {port} within 60 s: {log.read_text()[-2000:]}")


@contextmanager
def serving(spec: str, env: dict, workers: int, logs: Path):
    """`spec` (module:app) under gunicorn, sync workers, on a free loopback port: its URL."""
    port = free_port()
    log = logs / f"{spec.replace(':', '_')}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--pythonpath", str(BENCH),
             "--log-level", "warning", spec], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(process, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drive(base: str, endpoint: Endpoint, world: dict, creds: dict, seconds: int) -> dict:
    """wrk on one endpoint for `seconds`: rps, p50_ms, p99_ms, errors."""
    env = {**os.environ, "BENCH_METHOD": endpoint.method, "BENCH_RUN": uuid.uuid4().hex[:12],
           "BENCH_AUTH": creds["bearer"] if endpoint.auth == "bearer" else "",
           "BENCH_COOKIE": creds["cookie"] if endpoint.auth == "cookie" else "",
           "BENCH_BODY": json.dumps(order_body(world)) if endpoint.method == "POST" else ""}
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT_S}s",
               "-s", str(BENCH / "api_load.lua"), base + endpoint.path.format(**world)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise BenchBroken(f"wrk failed ({done.returncode}): {done.stderr[-500:]} {done.stdout[-500:]}")
    figures = json.loads(lines[-1])
    answered = figures["requests"] > 0  # (none answered within the run: no latencies)
    return {"requests": figures["requests"], "rps": round(figures["requests"] / figures["duration_s"], 1),
            "p50_ms": figures["p50_ms"] if answered else None, "p99_ms": figures["p99_ms"] if answered else None,
            "errors": figures["errors"]}


def load(base: str, endpoint: Endpoint, world: dict, creds: dict, args) -> dict:
    """A warm-up run, then the measured one."""
    if args.warmup:
        drive(base, endpoint, world, creds, args.warmup)
    return drive(base, endpoint, world, creds, args.duration)


# --- one size, the figures and the targets ------------------------------------------------

NOOP = Endpoint("noop", "GET", "/", "none", False)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def measure_size(app, counter: Statements, world: dict, args, env: dict, logs: Path) -> dict:
    """The query count; then, with the three servers up, the no-op floor and, endpoint by
    endpoint, the app and right after it the same-SQL floor (so that each ratio compares
    runs a few seconds apart on a busy machine), every POST run starting from the cycle's
    generated lines."""
    creds = credentials(app)
    queries = count_queries(app, counter, world, creds)
    trim_placed_orders(app, world)
    served, floors = {}, {}
    with (serving("noop:app", env, args.workers, logs) as noop_url,
          serving("wsgi:app", env, args.workers, logs) as app_url,
          serving("same_sql:app", env, args.workers, logs) as floor_url):
        noop = load(noop_url, NOOP, world, creds, args)
        for endpoint in ENDPOINTS:
            served[endpoint.name] = load(app_url, endpoint, world, creds, args)
            if endpoint.method == "POST":
                trim_placed_orders(app, world)
            if endpoint.same_sql:
                floors[endpoint.name] = load(floor_url, endpoint, world, creds, args)
            if endpoint.method == "POST":
                trim_placed_orders(app, world)
    return {"noop": noop, "endpoints": {e.name: endpoint_figures(e, served, floors, queries, noop) for e in ENDPOINTS}}


def endpoint_figures(endpoint: Endpoint, served: dict, floors: dict, queries: dict, noop: dict) -> dict:
    mine = served[endpoint.name]
    figures = {**mine, **{k: v for k, v in queries[endpoint.name].items() if k != "same_sql"},
               "vs_noop": ratio(mine["rps"], noop["rps"]), "vs_same_sql": None}
    if endpoint.same_sql:
        figures["vs_same_sql"] = ratio(mine["rps"], floors[endpoint.name]["rps"])
        figures["same_sql"] = {**floors[endpoint.name], **queries[endpoint.name]["same_sql"]}
    return figures


def flatness(sizes: dict) -> dict:
    """Per endpoint, p50 and rps at the largest size over the smallest (size 0)."""
    first, last = sizes[min(sizes, key=int)], sizes[max(sizes, key=int)]
    flat = {}
    for name, at_first in first["endpoints"].items():
        at_last = last["endpoints"][name]
        flat[name] = {"p50": ratio(at_last["p50_ms"], at_first["p50_ms"]), "rps": ratio(at_last["rps"], at_first["rps"])}
        if "same_sql" in at_first:
            flat[name]["same_sql_p50"] = ratio(at_last["same_sql"]["p50_ms"], at_first["same_sql"]["p50_ms"])
            flat[name]["same_sql_rps"] = ratio(at_last["same_sql"]["rps"], at_first["same_sql"]["rps"])
    return flat


def targets(sizes: dict, flat: dict) -> dict:
    """ARCHITECTURE.md's budget, per target: met, or the endpoint@size that miss it."""
    failing = {"p99_under_100_ms": [], "no_errors": [], "half_of_same_sql": [], "flat_within_1.2x": [],
               "queries_flat": []}
    first = sizes[min(sizes, key=int)]["endpoints"]
    for size, at in sizes.items():
        for name, e in at["endpoints"].items():
            where = f"{name}@{size}"
            for target, missed in (("p99_under_100_ms", e["p99_ms"] is None or e["p99_ms"] >= TARGET_P99_MS),
                                   ("no_errors", e["errors"] > 0 or e["requests"] == 0),
                                   ("half_of_same_sql", e["vs_same_sql"] is not None
                                    and e["vs_same_sql"] < TARGET_VS_SAME_SQL),
                                   ("queries_flat", e["queries"] != first[name]["queries"])):
                if missed:
                    failing[target].append(where)
    for name, f in flat.items():
        if f["p50"] is None or f["rps"] is None or f["p50"] > TARGET_FLAT or f["rps"] < 1 / TARGET_FLAT:
            failing["flat_within_1.2x"].append(name)
    return {target: {"met": not where, "failing": where} for target, where in failing.items()}


def run(url: str, args, logs: Path) -> dict:
    from gpo import create_app
    from gpo.db import db

    load_before = os.getloadavg()
    reset_database(url)
    app = create_app()
    world = build_world(app)
    with app.app_context():
        counter = Statements(db.engine)
    env = dict(os.environ)
    sizes = {}
    for size in args.sizes:
        set_confirmed_lines(app, world, size)
        with app.app_context():
            lines = db.session.scalar(text("SELECT count(*) FROM order_lines ol JOIN orders o ON o.id = ol.order_id"
                                           " WHERE o.cycle_id = :c AND o.status = 'confirmed'"), {"c": world["cycle"]})
            db.session.remove()
        sizes[str(size)] = {"confirmed_lines": lines, **measure_size(app, counter, world, args, env, logs)}
    flat = flatness(sizes)
    return {"bench": "api_load", "database": "postgresql", "products": PRODUCTS, "workers": args.workers,
            "worker_class": "sync", "connections": CONNECTIONS, "threads": THREADS, "duration_s": args.duration,
            "warmup_s": args.warmup, "wrk_timeout_s": WRK_TIMEOUT_S, "cpus": os.cpu_count(),
            "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
            "sizes": sizes, "flatness": flat, "targets": targets(sizes, flat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,10000,100000", help="confirmed lines in the cycle, comma-separated")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of the wrk run before each measured one")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (the same for every server)")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    url = os.environ.get("BENCH_DATABASE_URL", URL)
    logs = Path(tempfile.mkdtemp(prefix="gpo-bench-api-"))
    os.environ.pop("REDIS_URL", None)
    os.environ.update(app_environment(url, str(logs)))
    try:
        print(json.dumps(run(url, args, logs)))
    except BenchBroken as exc:
        sys.exit(f"api_load: {exc} (server logs in {logs})")
    shutil.rmtree(logs)


if __name__ == "__main__":
    main()
