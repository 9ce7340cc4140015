"""Catalog import benchmark (PostgreSQL).

Generates a 100,000-row catalog as CSV (15 MB), imports it through the same code the API
and the job use (accept and store, then apply), imports the unchanged file again, and
compares against two floors measured in the same run: PostgreSQL COPY of the same CSV
into a scratch table, and the load floor: the writes a first import cannot do without
(the rows into `products`, with its indexes, and their first prices) by hand-written SQL.
Each import runs in a fresh process of its own, whose peak memory (ru_maxrss: the app
and the import) is reported beside the app's own before the import, with the process's
CPU seconds (PostgreSQL's work is the rest of the time).
Prints one JSON line; targets: 18,000 rows/s first, 35,000 rows/s unchanged, 200 MB.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench \
        .venv/bin/python bench/catalog_import.py [--rows 100000]

The database named is dropped and re-created (its `public` schema). Never run by tests.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from gpo.identifiers import is_valid_gtin  # noqa: E402

COLUMNS = ["sku", "name", "category", "list_price", "description", "manufacturer",
           "manufacturer_part_number", "gtin", "unit_of_measure", "clinical", "min_order_quantity", "order_multiple"]
WORDS = ["nitrile", "gloves", "exam", "table", "syringe", "gauze", "monitor", "laptop", "mask", "gown", "cart",
         "otoscope", "thermometer", "bandage", "scale", "printer", "router", "stool", "lamp", "cabinet"]


def gtin_for(n: int) -> str:
    body = f"{n:013d}"
    for check in "0123456789":
        if is_valid_gtin(body + check):
            return body + check
    raise AssertionError


def generate_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(rows):
        words = " ".join(rng.choice(WORDS) for _ in range(3))
        writer.writerow([
            f"SKU-{n:07d}", f"{words.title()} #{n}", rng.choice(["equipment", "it", "supplies", "services"]),
            f"{rng.randint(100, 500000) / 100:.2f}", f"A {words}, for clinics, item {n}",
            rng.choice(["Acme", "Midmark", "Welch"]),
            f"MPN-{n}", gtin_for(n + 1), "each", rng.choice(["true", "false"]), 1, 1,
        ])
    return out.getvalue().encode()


def reset_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def copy_floor(url: str, data: bytes) -> float:
    """Seconds for PostgreSQL COPY of the same CSV into a scratch table."""
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_floor")
        conn.execute("CREATE TABLE bench_copy_floor (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
        start = time.perf_counter()
        with conn.cursor().copy("COPY bench_copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(data)
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_copy_floor")
    return elapsed


def load_floor(url: str, data: bytes, vendor_id: int) -> float:
    """Seconds for the writes a first import cannot do without, by hand-written SQL in one
    transaction (rolled back): the file COPYed into a scratch table, then its rows into
    `products` (with all its indexes and constraints) and their first prices."""
    import psycopg

    editable = [c for c in COLUMNS if c not in ("clinical", "min_order_quantity", "order_multiple")]
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        start = time.perf_counter()
        conn.execute("CREATE TEMP TABLE bench_load_floor (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
        with conn.cursor().copy("COPY bench_load_floor FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(data)
        conn.execute(
            f"INSERT INTO products (vendor_id, {', '.join(editable)}, clinical, min_order_quantity, order_multiple,"
            " active, version, created_at, updated_at)"
            f" SELECT %s, {', '.join(c if c != 'list_price' else 'list_price::numeric' for c in editable)},"
            " clinical::boolean, min_order_quantity::int, order_multiple::int, true, 1, now(), now()"
            " FROM bench_load_floor", (vendor_id,))
        conn.execute("INSERT INTO product_prices (product_id, list_price, effective_from, changed_by)"
                     " SELECT id, list_price, now(), 'floor' FROM products WHERE vendor_id = %s", (vendor_id,))
        elapsed = time.perf_counter() - start
        conn.rollback()
    return elapsed


TARGETS = {"first": 18_000, "unchanged": 35_000}  # rows per second (ARCHITECTURE.md)
TARGET_PEAK_MB = 200


def make_app(url: str):
    os.environ.pop("REDIS_URL", None)
    from gpo import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "SECRET_KEY": "bench" * 10})


def prepare(url: str) -> tuple[int, int, int]:
    """The schema, a vendor with an API key and the load floor's vendor: (vendor id, key
    id, floor vendor id)."""
    from flask_migrate import upgrade

    from gpo.accounts.models import Vendor
    from gpo.auth.models import ApiKey
    from gpo.db import db

    app = make_app(url)
    with app.app_context():
        upgrade()
        vendor = Vendor(name="Bench Vendor", kind="supplier")
        db.session.add(vendor)
        db.session.flush()
        key = ApiKey(vendor_id=vendor.id, name="bench", prefix="gpo_benc", last4="0000", key_hash="0" * 64)
        floor_vendor = Vendor(name="Floor Vendor", kind="supplier")
        db.session.add_all([key, floor_vendor])
        db.session.commit()
        ids = vendor.id, key.id, floor_vendor.id
        db.engine.dispose()
    return ids


def import_once(url: str, csv_path: str, vendor_id: int, key_id: int) -> dict:
    """One import of the file, as the API route accepts it and the job applies it, in
    this (fresh) process: its timings, its report and the process's peak memory."""
    from sqlalchemy import text

    from gpo import jobs
    from gpo.auth.principal import Principal
    from gpo.auth.roles import API_KEY_ROLE
    from gpo.catalog import catalog_imports as services
    from gpo.db import db, unit_of_work

    app = make_app(url)
    principal = Principal(kind="api_key", organization_id=vendor_id, org_type="vendor",
                          roles=frozenset({API_KEY_ROLE}), api_key_id=key_id, label="bench")
    jobs.dispatch = lambda job_id: None  # the job runs in the benchmark's own timing, not at commit
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # connected: the baseline is the app, not the import
        db.session.remove()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        baseline, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        data = Path(csv_path).read_bytes()  # as the request's body
        start = time.perf_counter()
        with unit_of_work():  # as the API route's edge: accept and commit
            import_id = services.start_import(principal, vendor_id, "upsert", data, "csv").id
        accepted_s = time.perf_counter() - start
        del data
        db.session.remove()
        start_apply = time.perf_counter()
        jobs.run(db.session.scalar(text("SELECT job_id FROM catalog_imports WHERE id = :i"), {"i": import_id}))
        apply_s = time.perf_counter() - start_apply
        db.session.remove()
        report = db.session.execute(
            text("SELECT row_count, created, updated, unchanged, failed FROM catalog_imports WHERE id = :i"),
            {"i": import_id},
        ).one()
        db.session.remove()
        db.engine.dispose()
    total = accepted_s + apply_s
    return {
        "accept_seconds": round(accepted_s, 3), "apply_seconds": round(apply_s, 3), "total_seconds": round(total, 3),
        "rows_per_second": round(report.row_count / total), "created": report.created, "updated": report.updated,
        "unchanged": report.unchanged, "failed": report.failed,
        # The benchmark's own process (the app's side; PostgreSQL's work is elsewhere).
        "client_cpu_seconds": round(sum(getattr(resource.getrusage(resource.RUSAGE_SELF), f)
                                        for f in ("ru_utime", "ru_stime")) - cpu_before, 3),
        "baseline_rss_mb": round(baseline / 1024),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def import_in_child(url: str, csv_path: str, vendor_id: int, key_id: int) -> dict:
    """`import_once` in a process of its own, so its peak memory is the import's (with
    the app it runs in), not the benchmark's."""
    done = subprocess.run(
        [sys.executable, __file__, "--import-once", csv_path, "--vendor-id", str(vendor_id), "--key-id", str(key_id)],
        check=True, capture_output=True, text=True, env={**os.environ, "BENCH_DATABASE_URL": url},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--import-once", metavar="CSV", help=argparse.SUPPRESS)
    parser.add_argument("--vendor-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--key-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench")
    if args.import_once:  # a child of the benchmark: one import
        print(json.dumps(import_once(url, args.import_once, args.vendor_id, args.key_id)))
        return
    reset_database(url)
    vendor_id, key_id, floor_vendor_id = prepare(url)
    data = generate_csv(args.rows)
    figures = {"bench": "catalog_import", "rows": args.rows, "csv_bytes": len(data)}
    with tempfile.TemporaryDirectory() as scratch:
        csv_path = str(Path(scratch) / "catalog.csv")
        Path(csv_path).write_bytes(data)
        for label in ("first", "unchanged"):
            figures[label] = import_in_child(url, csv_path, vendor_id, key_id)

    floor = copy_floor(url, data)
    figures["floor_copy_seconds"] = round(floor, 3)
    figures["floor_rows_per_second"] = round(args.rows / floor)
    for label in ("first", "unchanged"):
        figures[label]["ratio_to_copy_floor"] = round(figures[label]["total_seconds"] / floor, 1)
    load = load_floor(url, data, floor_vendor_id)
    figures["floor_load_seconds"] = round(load, 3)
    figures["floor_load_rows_per_second"] = round(args.rows / load)
    figures["first"]["ratio_to_load_floor"] = round(figures["first"]["total_seconds"] / load, 2)
    figures["target_rows_per_second"] = TARGETS
    figures["peak_rss_mb"] = max(figures[label]["peak_rss_mb"] for label in TARGETS)
    figures["target_peak_rss_mb"] = TARGET_PEAK_MB
    figures["meets_target"] = (all(figures[label]["rows_per_second"] >= rate for label, rate in TARGETS.items())
                               and figures["peak_rss_mb"] <= TARGET_PEAK_MB)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
