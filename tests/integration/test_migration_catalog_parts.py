"""Migration 0017 moves each stored import body into its parts (and back down), on
SQLite and (with TEST_DATABASE_URL) on PostgreSQL, with imports already in the database."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from gpo import create_app
from gpo.db import db
from tests.helpers import scratch_database_url

BODY = "sku,name,category,list_price\nA,Gloves \u00e9\u20ac,supplies,1.00\n"


def test_stored_bodies_become_parts_and_back(test_config, tmp_path):
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": scratch_database_url(test_config, tmp_path, "parts")})
    with app.app_context():
        upgrade(revision="0014_notifications")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organizations (id, name, org_type) VALUES (1, 'Acme', 'vendor')"))
            conn.execute(text("INSERT INTO vendors (id, kind) VALUES (1, 'supplier')"))
            for import_id, body in ((1, BODY), (2, "")):
                conn.execute(text(
                    "INSERT INTO catalog_imports (id, vendor_id, mode, source_format, status, row_count, payload,"
                    " created, updated, unchanged, deactivated, failed, errors, created_by)"
                    " VALUES (:id, 1, 'upsert', 'csv', 'queued', 1, :body, 0, 0, 0, 0, 0, '[]', 'test')"),
                    {"id": import_id, "body": body})
            # a product its prices refer to: its row_hash comes and goes in place
            conn.execute(text("INSERT INTO products (id, vendor_id, sku, name, category, list_price, updated_at)"
                              " VALUES (1, 1, 'A', 'Gloves', 'supplies', 10, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO product_prices (product_id, list_price, effective_from, changed_by)"
                              " VALUES (1, 10, CURRENT_TIMESTAMP, 'test')"))
        upgrade()
        with db.engine.connect() as conn:
            parts = conn.execute(text("SELECT catalog_import_id, part, text FROM catalog_import_parts"
                                      " ORDER BY catalog_import_id")).all()
        assert [tuple(p) for p in parts] == [(1, 0, BODY), (2, 0, "")]
        downgrade(revision="0014_notifications")
        with db.engine.connect() as conn:
            bodies = conn.execute(text("SELECT id, payload FROM catalog_imports ORDER BY id")).all()
        assert [tuple(b) for b in bodies] == [(1, BODY), (2, "")]
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM product_prices")).scalar() == 1
        db.engine.dispose()
