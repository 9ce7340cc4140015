"""Catalog import benchmark (PostgreSQL).

Generates a 100,000-row catalog as CSV, imports it through the same code the API and
the job use (parse and store, then apply), imports the unchanged file again, and
compares against a floor measured in the same run: PostgreSQL COPY of the same CSV
into a scratch table. Prints one JSON line.

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
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench")
    reset_database(url)

    os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade

    from gpo import create_app
    from gpo.accounts.models import Vendor
    from gpo.auth.models import ApiKey
    from gpo.auth.principal import Principal
    from gpo.auth.roles import API_KEY_ROLE
    from gpo.catalog import catalog_imports as services
    from gpo.db import db, unit_of_work

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "SECRET_KEY": "bench" * 10})
    data = generate_csv(args.rows)
    figures = {"bench": "catalog_import", "rows": args.rows, "csv_bytes": len(data)}
    with app.app_context():
        upgrade()
        vendor = Vendor(name="Bench Vendor", kind="supplier")
        db.session.add(vendor)
        db.session.flush()
        key = ApiKey(vendor_id=vendor.id, name="bench", prefix="gpo_benc", last4="0000", key_hash="0" * 64)
        db.session.add(key)
        db.session.commit()
        vendor_id = vendor.id
        principal = Principal(kind="api_key", organization_id=vendor_id, org_type="vendor",
                              roles=frozenset({API_KEY_ROLE}), api_key_id=key.id, label="bench")
        # Jobs run in the benchmark's own timing, not at commit.
        from gpo import jobs
        jobs_dispatch, jobs.dispatch = jobs.dispatch, lambda job_id: None

        for label in ("first", "unchanged"):
            start = time.perf_counter()
            with unit_of_work():  # as the API route's edge: accept and commit
                accepted = services.start_import(principal, vendor_id, "upsert", data, "csv")
            accepted_s = time.perf_counter() - start
            import_id = accepted.id
            db.session.remove()
            start_apply = time.perf_counter()
            jobs.run(db.session.scalar(text("SELECT job_id FROM catalog_imports WHERE id = :i"), {"i": import_id}))
            apply_s = time.perf_counter() - start_apply
            total = accepted_s + apply_s
            db.session.remove()
            report = db.session.execute(
                text("SELECT created, updated, unchanged, failed FROM catalog_imports WHERE id = :i"), {"i": import_id}
            ).one()
            figures[label] = {
                "accept_seconds": round(accepted_s, 3), "apply_seconds": round(apply_s, 3),
                "total_seconds": round(total, 3), "rows_per_second": round(args.rows / total),
                "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                "failed": report.failed,
            }
            db.session.remove()
        jobs.dispatch = jobs_dispatch
        db.engine.dispose()

    floor = copy_floor(url, data)
    figures["floor_copy_seconds"] = round(floor, 3)
    figures["floor_rows_per_second"] = round(args.rows / floor)
    for label in ("first", "unchanged"):
        figures[label]["ratio_to_copy_floor"] = round(figures[label]["total_seconds"] / floor, 1)
    figures["target_rows_per_second"] = 5000
    figures["meets_target"] = all(figures[k]["rows_per_second"] >= 5000 for k in ("first", "unchanged"))
    figures["unchanged_at_least_as_fast"] = figures["unchanged"]["total_seconds"] <= figures["first"]["total_seconds"]
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
