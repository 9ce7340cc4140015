"""Paging benchmark (PostgreSQL): one page of the catalog and its total, as
`gpo.db.paged` reads them (one statement: the page, with the count as a scalar
subquery), beside the two ways it was weighed against, each through SQLAlchemy as
the app sends it: the count then the page (two statements, as before), and
`count(*) OVER ()` on the page query (one statement, rejected: it walks every match).
The floor, measured in the same run: the same count and page as hand-written SQL
sent with psycopg. Prints one JSON line of median milliseconds and ratios to it.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench \
        .venv/bin/python bench/paging.py [--products 20000] [--repeats 40]

The database named is dropped and re-created (its `public` schema). Never run by tests.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

WORDS = ["nitrile", "gloves", "exam", "table", "syringe", "gauze", "monitor", "laptop", "mask", "gown", "cart",
         "otoscope", "thermometer", "bandage", "scale", "printer", "router", "stool", "lamp", "cabinet"]
SEARCHES = {"list": None, "q=gloves": "gloves", "q=otoscope thermometer": "otoscope thermometer"}
_SEARCH_SQL = ("to_tsvector('english'::regconfig, name || ' ' || description || ' ' || manufacturer || ' ' || "
               "manufacturer_part_number || ' ' || sku) @@ websearch_to_tsquery('english', %(q)s)")


def reset_and_fill(url: str, products: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = _app(url)
    from flask_migrate import upgrade

    from gpo.catalog.models import Product
    from gpo.db import db

    rng = random.Random(7)
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organizations (id, org_type, name) VALUES (1, 'vendor', 'Acme')"))
            conn.execute(text("INSERT INTO vendors (id, kind) VALUES (1, 'supplier')"))
            rows = []
            for n in range(products):
                words = " ".join(rng.choice(WORDS) for _ in range(3))
                rows.append({"vendor_id": 1, "sku": f"SKU-{n:07d}", "name": f"{words.title()} #{n}",
                             "description": f"A {words}, for clinics, item {n}", "category": "supplies",
                             "list_price": rng.randint(100, 500000) / 100, "manufacturer": "Acme",
                             "manufacturer_part_number": f"MPN-{n}"})
            conn.execute(Product.__table__.insert(), rows)
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE products")


def _app(url: str):
    from gpo import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40, "TESTING": True})


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats + 5):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times[5:]) * 1000, 2)  # the first five warm the caches


def floor_ms(url: str, q: str | None, repeats: int) -> float:
    """Hand-written SQL: the count, then the page of 20 (psycopg, no ORM)."""
    import psycopg

    where = "active" + (f" AND {_SEARCH_SQL}" if q else "")
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        def run():
            conn.execute(f"SELECT count(*) FROM products WHERE {where}", {"q": q}).fetchone()
            conn.execute(f"SELECT * FROM products WHERE {where} ORDER BY name, id LIMIT 20", {"q": q}).fetchall()
        return median_ms(run, repeats)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gpo_bench")
    reset_and_fill(url, args.products)
    app = _app(url)
    from gpo.catalog.models import Product
    from gpo.catalog.products import _matches
    from gpo.db import _count, db, paged

    figures = {"products": args.products}
    with app.app_context():
        for name, q in SEARCHES.items():
            stmt = select(Product).where(Product.active == True)  # noqa: E712 (as browse() writes it)
            if q:
                stmt = stmt.where(_matches(q))
            stmt = stmt.order_by(Product.name, Product.id)

            def count_then_page(stmt=stmt):
                _count(stmt)
                db.session.scalars(stmt.limit(20)).all()

            def window(stmt=stmt):
                db.session.execute(stmt.add_columns(func.count().over()).limit(20)).all()

            floor = floor_ms(url, q, args.repeats)
            measured = {"paged (one statement)": median_ms(lambda stmt=stmt: paged(stmt, 1, 20), args.repeats),
                        "count, then page": median_ms(count_then_page, args.repeats),
                        "count(*) OVER ()": median_ms(window, args.repeats)}
            db.session.rollback()
            figures[name] = {"floor_ms": floor, **{k: {"ms": v, "x_floor": round(v / floor, 2)}
                                                   for k, v in measured.items()}}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
