"""gpo: the purchasing and shared-services back office of a healthcare MSO."""
from __future__ import annotations

import logging

from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine

from gpo import config as settings
from gpo import db as database
from gpo.db import db

migrate = Migrate()


class GpoFlask(Flask):
    def full_dispatch_request(self):
        """Every request (an API route, a page) is one use case in one unit of work,
        from authentication to the response: committed once when it answers with
        success, rolled back when it answers with an error (4xx or 5xx) or raises."""
        with database.unit_of_work() as unit:
            response = super().full_dispatch_request()
            if response.status_code >= 400:
                unit.discard()
        return response


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by `config`."""
    conf = settings.from_environment()
    conf.update(config or {})
    settings.check(conf)

    app = GpoFlask(__name__, instance_path=str(settings.INSTANCE_DIR))
    app.config.update(conf)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(conf["SQLALCHEMY_DATABASE_URI"]))
    if conf["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        settings.INSTANCE_DIR.mkdir(exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings.warn_about_published_defaults(conf)

    database.init_app(app)
    migrate.init_app(app, db, directory=str(settings.PROJECT_ROOT / "migrations"), render_as_batch=True)

    from gpo import api as api_module
    from gpo import cli, features, openapi
    from gpo.auth import request as auth_request

    api = api_module.init_app(app)
    features.init_app(app, api)
    auth_request.init_app(app)
    for feature in _features():
        feature.register(app)
    openapi.finish(api, app)
    cli.init_app(app)
    return app


def _features():
    """Every feature, in the order its routes appear in the API and its steps run in
    another feature's process (billing's steps in the close, for one)."""
    from gpo import (
        accounts,
        audit_pages,
        auth,
        billing,
        catalog,
        contracts,
        insurance,
        leasing,
        notifications,
        orders,
        payables,
        platform,
        receiving,
        staffing,
        web,
    )

    # The web shell first: the features' pages join its faces and navigation.
    return [web, auth, accounts, catalog, contracts, orders, billing, insurance, staffing, leasing, receiving,
            payables, notifications, platform, audit_pages]


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # No pool_pre_ping (a round trip before every request): gpo.db.watch_pooled_connections
    # pings only a connection the server may have dropped. Connections are renewed after
    # half an hour, before any proxy or firewall forgets them.
    return {"pool_recycle": 1800}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, WAL so readers do not wait for the writer, and
    let SQLAlchemy own transaction starts (see _sqlite_begin)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    # SQLite has no SELECT ... FOR UPDATE: take the write lock when the transaction
    # starts (BEGIN IMMEDIATE), so a read-then-write use case is serialized, not raced.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
