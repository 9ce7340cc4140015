"""Page benchmark (storefront, console, portal): server time and SQL queries per page.

Loads the demo data (`gpo.demo.seed`, what `make run` serves), signs in through the
sign-in form (CSRF token included) as Lakeside's, the MSO's and Acme's users, and
requests each main page many times in-process (the Flask test client: the whole WSGI
app, session, auth, service, template; no network), against a no-op page of the same
face measured in the same run (probe blueprints made with `gpo.web.shell.page_blueprint`,
so they pay the same session and sign-in cost and render nothing). Then it imports a
20,000-product catalog into Acme's catalog (bench/catalog_import.py's generator,
through the catalog import service and its job) and measures everything again.
/billing is not measured: each request creates a Stripe SetupIntent.
Per page: median and p95 milliseconds, SQL statements per request (a
`before_cursor_execute` listener), p95 as a multiple of the no-op page's. A page
answering 404 is reported as "missing" (pages are being built; the table of PAGES
says what is measured once they exist). Prints one JSON line.

    .venv/bin/python bench/pages.py [--repeats 200] [--products 20000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench .venv/bin/python bench/pages.py

On PostgreSQL the import is followed by ANALYZE, as autovacuum does soon after a bulk
import. Without BENCH_DATABASE_URL it runs on a scratch SQLite file (the embedded default);
the PostgreSQL database named is dropped and re-created (its `public` schema). Never
run by tests.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_import import generate_csv, reset_database  # noqa: E402

NOOPS = {"storefront": "/bench/noop", "console": "/console/bench-noop", "portal": "/portal/bench-noop"}
# The pages measured: a name, the path ({product} is a product on contract, {order} and
# {invoice} Lakeside's latest submitted order and latest invoice), who asks. /billing is
# not measured: it creates a Stripe SetupIntent on every request (a call to Stripe).
PAGES = [
    ("shop", "/shop", "buyer@lakeside.example"),
    ("shop_search", "/shop?q=gloves", "buyer@lakeside.example"),
    ("product", "/shop/products/{product}", "buyer@lakeside.example"),
    ("cart", "/cart", "buyer@lakeside.example"),
    ("orders", "/orders", "buyer@lakeside.example"),
    ("order", "/orders/{order}", "buyer@lakeside.example"),
    ("invoices", "/invoices", "admin@lakeside.example"),
    ("invoice", "/invoices/{invoice}", "admin@lakeside.example"),
    ("savings", "/savings", "admin@lakeside.example"),
    ("approvals", "/approvals", "dr.ortiz@lakeside.example"),
    ("lists", "/lists", "buyer@lakeside.example"),
    ("insurance", "/insurance", "admin@lakeside.example"),
    ("staffing", "/staffing", "admin@lakeside.example"),
    ("practice", "/practice", "admin@lakeside.example"),
    # the console's heaviest pages (issue 16) and the portal's lists
    ("console_start", "/console", "finance@summit-mso.example"),
    ("console_invoices", "/console/invoices", "finance@summit-mso.example"),
    ("console_tier_dashboard", "/console/tier-dashboard", "procurement@summit-mso.example"),
    ("console_staffing_week", "/console/staffing", "scheduler@summit-mso.example"),
    ("console_contracts", "/console/contracts", "procurement@summit-mso.example"),
    ("console_purchase_orders", "/console/purchase-orders", "procurement@summit-mso.example"),
    ("console_audit", "/console/audit", "admin@summit-mso.example"),
    ("portal_catalog", "/portal/catalog", "admin@acme.example"),
    ("portal_purchase_orders", "/portal/purchase-orders", "admin@acme.example"),
]
TARGETED = ("shop", "cart", "orders")  # p95 under TARGET_MS, besides within TARGET_RATIO of the no-op page
TARGET_RATIO, TARGET_MS = 5, 100
PASSWORD = "gpo-demo-password"  # every demo user's (gpo/demo/accounts.py)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def probe_app(url: str):
    """The app, with each face's no-op page the pages are compared with."""
    from gpo import create_app, web
    from gpo.web.shell import page_blueprint

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "SECRET_KEY": "bench" * 10,
                      "LOGIN_MAX_FAILURES_PER_ADDRESS": 1000})
    for face, path in NOOPS.items():
        probe = page_blueprint(f"bench_probe_{face}", __name__, face)
        probe.add_url_rule(path, "noop", lambda: "ok")
        web.add_pages(app, probe)
    return app


def face_of(path: str) -> str:
    return next((face for face in ("console", "portal") if path.startswith(f"/{face}")), "storefront")


class Counter:
    """SQL statements sent to the database (every connection of the engine)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1


def sign_in(app, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    answer = client.post("/login", data={"email": email, "password": PASSWORD,
                                         "csrf_token": _CSRF.search(page).group(1)})
    if answer.status_code != 302:
        raise SystemExit(f"signing in as {email} answered {answer.status_code}")
    return client


def measure(client, path: str, counter: Counter, repeats: int, warmup: int) -> dict:
    """Median and p95 ms over `repeats` requests (after `warmup`), SQL statements of one."""
    first = client.get(path)
    if first.status_code == 404:
        return {"path": path, "missing": True}
    for _ in range(warmup):
        client.get(path)
    before = counter.count
    client.get(path)
    queries = counter.count - before
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        response.close()
    return {"path": path, "status": first.status_code, "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(statistics.quantiles(times, n=20)[18], 2), "queries": queries}


def measure_all(app, counter: Counter, ids: dict, repeats: int, warmup: int) -> dict:
    clients = {}
    for _, _, email in PAGES:
        clients.setdefault(email, sign_in(app, email))
    noops = {}
    for face, path in NOOPS.items():
        email = next(email for _, page_path, email in PAGES if face_of(page_path) == face)
        noops[face] = measure(clients[email], path, counter, repeats, warmup)
    pages = {"noop": noops["storefront"], "noop_console": noops["console"], "noop_portal": noops["portal"]}
    for name, path, email in PAGES:
        result = measure(clients[email], path.format(**ids), counter, repeats, warmup)
        result["as"] = email
        if not result.get("missing"):
            result["p95_to_noop"] = round(result["p95_ms"] / noops[face_of(path)]["p95_ms"], 1)
            result["meets_target"] = (result["status"] == 200 and result["p95_to_noop"] <= TARGET_RATIO
                                      and (name not in TARGETED or result["p95_ms"] < TARGET_MS))
        pages[name] = result
    return pages


def import_catalog(app, vendor_name: str, rows: int) -> float:
    """`rows` products into the vendor's catalog through the import service and its job."""
    from sqlalchemy import select

    from gpo.accounts.models import Organization, Vendor
    from gpo.auth.principal import Principal
    from gpo.auth.roles import API_KEY_ROLE
    from gpo.catalog.catalog_imports import start_import
    from gpo.catalog.models import CatalogImport
    from gpo.db import db, unit_of_work

    data = generate_csv(rows)
    start = time.perf_counter()
    with app.app_context():
        vendor = db.session.scalars(select(Vendor).where(Organization.name == vendor_name)).one()
        principal = Principal(kind="system", organization_id=vendor.id, org_type="vendor",
                              roles=frozenset({API_KEY_ROLE}), label="bench catalog")
        with unit_of_work():  # the job runs in-process once this commits
            import_id = start_import(principal, vendor.id, "upsert", data, "csv").id
        db.session.remove()
        done = db.session.get(CatalogImport, import_id)
        if done.status != "finished" or done.failed:
            raise SystemExit(f"the catalog import ended {done.status} with {done.failed} failed rows")
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            # The planner's statistics as autovacuum leaves them within a minute of a bulk
            # import (measured at once, it plans for the pre-import table: a hash join
            # over every product where an index probe per vendor is right).
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
    return time.perf_counter() - start


def products_and_targets(app) -> tuple[int, dict]:
    """How many products there are, and the ids the PAGES' paths name: the gloves the
    demo orders, Lakeside's latest submitted order and its latest invoice."""
    from sqlalchemy import func, select

    from gpo.accounts.models import Organization
    from gpo.billing.models import Invoice
    from gpo.catalog.models import Product
    from gpo.db import db
    from gpo.orders.models import Order

    with app.app_context():
        lakeside = db.session.scalar(select(Organization.id).where(Organization.name == "Lakeside Family Medicine"))
        count = db.session.scalar(select(func.count(Product.id)))
        ids = {"product": db.session.scalar(select(Product.id).where(Product.sku == "GLV-NIT-M")),
               "order": db.session.scalar(select(func.max(Order.id)).where(Order.practice_id == lakeside,
                                                                         Order.status != "draft")),
               "invoice": db.session.scalar(select(func.max(Invoice.id)).where(Invoice.practice_id == lakeside,
                                                                             Invoice.status != "draft"))}
        db.session.remove()
    return count, ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--products", type=int, default=20_000, help="the catalog size of the second run")
    args = parser.parse_args()
    os.environ.pop("REDIS_URL", None)
    url = os.environ.get("BENCH_DATABASE_URL")
    scratch = None
    if url:
        reset_database(url)
    else:
        scratch = tempfile.TemporaryDirectory(prefix="gpo-bench-pages-")
        url = f"sqlite:///{scratch.name}/gpo.sqlite3"

    import logging

    logging.getLogger("gpo.config").setLevel(logging.ERROR)  # the development defaults' warning
    from flask_migrate import upgrade

    from gpo.db import db
    from gpo.demo import seed

    app = probe_app(url)
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        seed()
        seed_s = time.perf_counter() - start
        counter = Counter(db.engine)
        db.session.remove()

    figures = {"bench": "pages", "database": "postgresql" if url.startswith("postgresql") else "sqlite",
               "repeats": args.repeats, "seed_demo_seconds": round(seed_s, 1)}
    products, ids = products_and_targets(app)
    figures["demo"] = {"products": products, "pages": measure_all(app, counter, ids, args.repeats,
                                                                  args.warmup)}
    import_s = import_catalog(app, "Acme Medical Supply", args.products)
    products, _ = products_and_targets(app)
    figures[f"products_{args.products}"] = {"products": products, "import_seconds": round(import_s, 1),
                                            "pages": measure_all(app, counter, ids, args.repeats,
                                                                 args.warmup)}
    measured = [page for size in ("demo", f"products_{args.products}") for name, page in figures[size]["pages"].items()
                if not name.startswith("noop") and not page.get("missing")]
    figures["missing"] = sorted(name for name, page in figures["demo"]["pages"].items() if page.get("missing"))
    figures["targets"] = {"p95_to_noop": TARGET_RATIO, "p95_ms": TARGET_MS, "p95_ms_pages": list(TARGETED)}
    figures["meets_targets"] = all(page["meets_target"] for page in measured) if measured else None
    print(json.dumps(figures))
    if scratch is not None:
        with app.app_context():
            db.engine.dispose()
        scratch.cleanup()


if __name__ == "__main__":
    main()
