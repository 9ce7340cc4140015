"""A connection the PostgreSQL server ended while it idled in the pool costs no failed
request, without pool_pre_ping's round trip before every request: the server's
goodbye leaves the socket readable, and the pool's checkout (gpo.db) pings and
replaces only such a connection."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.pool import NullPool

from gpo.db import db, watch_pooled_connections


def _terminate(url: str, pids: set[int]) -> None:
    """End these backends as a restart or an administrator would, and wait until they
    are gone."""
    admin = create_engine(url, poolclass=NullPool)
    with admin.connect() as conn:
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                           {"pids": list(pids)}).scalar() and time.monotonic() < deadline:
            time.sleep(0.05)
    admin.dispose()


def _pooled_backend(engine) -> int:
    with engine.connect() as conn:
        return conn.connection.dbapi_connection.info.backend_pid


def test_a_terminated_pooled_connection_fails_a_plain_pool_but_not_a_watched_one(app, postgresql_only):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    plain, watched = create_engine(url, pool_size=1), create_engine(url, pool_size=1)
    watch_pooled_connections(watched)
    try:
        _terminate(url, {_pooled_backend(plain), _pooled_backend(watched)})
        with pytest.raises(exc.OperationalError):  # what a request met before pre_ping
            with plain.connect() as conn:
                conn.execute(text("SELECT 1"))
        with watched.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        plain.dispose()
        watched.dispose()


def test_the_next_request_after_its_connections_were_terminated_succeeds(app, client, world, postgresql_only):
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    headers = world.headers["practice_buyer"]
    db.session.commit()
    db.engine.dispose()  # an empty pool: every connection it holds below is one seen here
    pids: set[int] = set()
    opened: list[int] = []

    def returned(dbapi_connection, record) -> None:
        if dbapi_connection is not None:
            pids.add(dbapi_connection.info.backend_pid)

    def connected(dbapi_connection, record) -> None:
        opened.append(dbapi_connection.info.backend_pid)

    event.listen(db.engine, "checkin", returned)
    event.listen(db.engine, "connect", connected)
    try:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        db.session.commit()  # the test's own connection back to the pool too
        dropped = set(pids)
        _terminate(app.config["SQLALCHEMY_DATABASE_URI"], dropped)
        opened.clear()
        for path in ("/api/v1/me", "/api/v1/products", "/api/v1/me"):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.get_json()
        assert opened and not set(opened) & dropped  # the dropped connections were replaced
    finally:
        event.remove(db.engine, "checkin", returned)
        event.remove(db.engine, "connect", connected)
