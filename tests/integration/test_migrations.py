"""Migrating an empty database gives exactly the models, on SQLite and (with
TEST_DATABASE_URL) on PostgreSQL; and the migrations go down and up again."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from gpo import create_app
from gpo.db import db, include_object
from tests.helpers import scratch_database_url


def _diff(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False, "include_object": include_object}
        )
        return compare_metadata(context, db.metadata)


def test_the_migrated_test_database_matches_the_models(app):
    with app.app_context():
        assert _diff(db.engine) == []


def test_an_empty_database_migrates_down_and_up_to_the_models(test_config, tmp_path):
    scratch_url = scratch_database_url(test_config, tmp_path, "migrations")
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": scratch_url})
    with app.app_context():
        upgrade()
        assert _diff(db.engine) == []
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = db.inspect(conn).get_table_names()
        assert set(tables) <= {"alembic_version"}
        upgrade()
        assert _diff(db.engine) == []
        db.engine.dispose()
