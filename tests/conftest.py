"""Fixtures shared by every test.

The suite runs on SQLite with in-process jobs by default. With TEST_DATABASE_URL and
TEST_REDIS_URL set it runs on PostgreSQL, and jobs go through Redis to a real RQ
worker process started here.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
TEST_WEBHOOK_SECRET = "whsec_gpo_test_suite"

# Property tests check what holds for every input, not how fast inputs are drawn: on a
# loaded two-core machine (the suite beside a browser) drawing can be slow, and
# Hypothesis' "too slow" health check and per-example deadline would fail a correct test.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("gpo", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("gpo")


def pytest_report_header(config):
    db = TEST_DATABASE_URL or "SQLite (embedded)"
    jobs = f"RQ via {TEST_REDIS_URL}" if TEST_REDIS_URL else "in-process"
    return f"gpo tests: database {db}; jobs {jobs}"


def reset_postgresql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@event.listens_for(Engine, "connect")
def _no_fsync_at_commit(dbapi_connection, connection_record):
    """The suite's database is thrown away after the run: its commits need not wait for
    the disk. SQLite: PRAGMA synchronous=OFF (the file is temporary). PostgreSQL:
    synchronous_commit=off for this process's connections (a commit returns before its
    WAL is flushed; the RQ worker keeps the server's default). The factories and the
    test client commit a dozen times per test, and waiting for fsync was most of a
    test's time. A commit is visible to every other session at once, as ever, and
    locking and isolation are unchanged: only durability across a crash, which a test
    database does not need, is given up."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        dbapi_connection.commit()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        reset_postgresql(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gpo-test.sqlite3'}"


@pytest.fixture(scope="session")
def queue_name() -> str:
    return f"gpo-test-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_http(url: str, proc, what: str, timeout: float = 20.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer sk_test_x"}), timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError as exc:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}") from exc
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer on {url}") from exc
            time.sleep(0.1)


@pytest.fixture(scope="session")
def stripe_url() -> str:
    """localstripe (a stateful Stripe API server) on a free loopback port, for the whole run."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "localstripe_loopback.py"), "--port", str(port), "--ephemeral"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_for_http(f"{url}/v1/customers", proc, "localstripe")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def test_config(database_url, queue_name, stripe_url, tmp_path_factory) -> dict:
    tmp_mail_dir = tmp_path_factory.mktemp("mail")
    return {
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_API_KEY": "sk_test_gpo_suite",
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "RQ_QUEUE": queue_name,
        # Tests that need to see a crash's 500 turn propagation off themselves.
        "PROPAGATE_EXCEPTIONS": None,
        # The outbox is dispatched by the tests that exercise it (dispatcher.dispatch()),
        # not after every commit; e-mail lands in the run's own folder.
        "OUTBOX_DISPATCH": "manual",
        "MAIL_DIR": str(tmp_mail_dir),
        # seed-demo's webhook endpoints (gpo/demo/notifications.py) never reach a
        # developer's running receiver: nobody listens on port 9 (a delivery there fails at
        # once, a retry scheduled); a test that wants them delivered gives its own receiver
        # (the demo_receiver fixture).
        "DEMO_WEBHOOK_RECEIVER_URL": "http://127.0.0.1:9/no-receiver",
        "DEMO_WEBHOOK_RECEIVER_SECRETS": str(tmp_path_factory.mktemp("receiver") / "webhook-receiver-secrets"),
    }


class Client(FlaskClient):
    """Ends the test's own open transaction before each request, as two real
    clients would: on SQLite an idle transaction would hold the write lock."""

    def open(self, *args, **kwargs):
        from flask import has_app_context

        from gpo.db import db

        if has_app_context():
            db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(test_config):
    from flask_migrate import upgrade

    from gpo import create_app

    app = create_app(test_config)
    app.test_client_class = Client
    with app.app_context():
        upgrade()  # the schema the migrations build, as in production
    return app


@pytest.fixture(scope="session")
def rq_worker(app, test_config):
    """A real RQ worker process (only when TEST_REDIS_URL is set)."""
    if not TEST_REDIS_URL:
        yield None
        return
    env = dict(
        os.environ,
        FLASK_APP="wsgi",
        DATABASE_URL=test_config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=TEST_REDIS_URL,
        RQ_QUEUE=test_config["RQ_QUEUE"],
        SECRET_KEY=TEST_SECRET,
        STRIPE_API_BASE=test_config["STRIPE_API_BASE"],
        STRIPE_API_KEY=test_config["STRIPE_API_KEY"],
        STRIPE_WEBHOOK_SECRET=TEST_WEBHOOK_SECRET,
        OUTBOX_DISPATCH="manual",
        MAIL_DIR=test_config["MAIL_DIR"],
    )
    log = (open(ROOT / "instance" / f"test-worker-{test_config['RQ_QUEUE']}.log", "w")
           if (ROOT / "instance").is_dir() else subprocess.DEVNULL)
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "gpo", "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    time.sleep(1.0)
    assert proc.poll() is None, "the RQ worker did not start"
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _wait_for_queued_jobs(app, timeout: float = 30.0) -> None:
    """With a real RQ worker, a test that asked for a job (a 202) may end before the
    job does: let it finish before the tables are wiped, or its writes would race the
    cleanup (a deadlock) or land in the next test's data."""
    if not TEST_REDIS_URL:
        return
    from rq.registry import StartedJobRegistry

    from gpo.jobs import get_queue

    queue = get_queue(app)
    started = StartedJobRegistry(queue=queue)
    deadline = time.monotonic() + timeout
    while (queue.count or started.count) and time.monotonic() < deadline:
        time.sleep(0.05)


class _Cleaner:
    """Empties the tables a test wrote to, and only those.

    Why not one transaction per test, rolled back at the end (the usual savepoint
    trick)? The code under test does not share the test's connection: every request of
    the test client commits in its own session, the race tests fire requests from
    threads, localstripe's webhooks arrive over real HTTP (live_server) and, with
    TEST_REDIS_URL, jobs run in a separate RQ worker process. Their commits are real,
    so the rows are removed after the test.

    What was costly: one TRUNCATE of all ~50 tables after every test on PostgreSQL
    (about half a second each time: a TRUNCATE gives every table and index a new file,
    empty or not, and CASCADE pulls in every table that refers to a truncated one,
    i.e. nearly all of them). Now one query finds the tables that hold rows (an
    EXISTS per table, UNION ALL: exact and transactional, unlike the statistics
    counters), and those are emptied with DELETE, children first. On PostgreSQL,
    DELETE fires the append-only and issued-invoice triggers, so the cleanup turns
    off the user triggers of the tables it empties that have any, inside its own
    transaction (the suite owns the schema it migrated); and it keeps TRUNCATE's
    RESTART IDENTITY: every sequence used since the last reset starts again from its
    start value (ids and counters are the same as after a TRUNCATE, whichever tables
    were written). On SQLite the DELETEs are what the suite always did, only not on
    the empty tables (a no-op there).
    """

    def __init__(self, app):
        from gpo.db import db

        with app.app_context():
            self.tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # children first
            self.postgresql = db.engine.dialect.name == "postgresql"
            self.with_triggers: set[str] = set()
            if self.postgresql:
                with db.engine.connect() as conn:
                    self.with_triggers = set(conn.execute(text(
                        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE NOT t.tgisinternal AND n.nspname = current_schema()")).scalars())
        self.holding_rows = text(" UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in self.tables))

    def __call__(self, conn) -> None:
        full = set(conn.execute(self.holding_rows).scalars())
        tables = [name for name in self.tables if name in full]
        triggers = [name for name in tables if name in self.with_triggers]
        for name in triggers:
            conn.execute(text(f"ALTER TABLE {name} DISABLE TRIGGER USER"))
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))
        for name in triggers:
            conn.execute(text(f"ALTER TABLE {name} ENABLE TRIGGER USER"))
        if self.postgresql:
            # RESTART IDENTITY: sequences are not transactional, so a sequence may have
            # moved even where no row is left (an INSERT rolled back).
            conn.execute(text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"))


@pytest.fixture(scope="session")
def _cleaner(app) -> _Cleaner:
    return _Cleaner(app)


def _empty_tables(app, cleaner: _Cleaner) -> None:
    from gpo.db import db

    _wait_for_queued_jobs(app)
    with app.app_context():
        with db.engine.begin() as conn:
            cleaner(conn)
        db.session.remove()


@pytest.fixture
def db_ctx(app, _cleaner):
    """An app context with an empty database; everything is wiped afterwards."""
    from gpo.db import db

    with app.app_context():
        yield db.session
        db.session.rollback()
    _empty_tables(app, _cleaner)


@pytest.fixture
def world(db_ctx):
    """Two practices, two vendors, MSO staff, each able to sign in (tests/scenarios.py:World)."""
    from tests.scenarios import build_world

    return build_world()


@pytest.fixture
def after_close(client, world, run_jobs):
    """A closed cycle and its purchase order to Acme, nothing acknowledged
    (tests/scenarios.py:AfterClose)."""
    from tests.scenarios import AfterClose

    return AfterClose(client, world, run_jobs)


@pytest.fixture
def client(app, db_ctx):
    return app.test_client()


@pytest.fixture
def run_jobs(rq_worker):
    """Wait for a job to end, whichever way jobs run."""
    from tests.helpers import wait_for_job

    return wait_for_job


@pytest.fixture
def postgresql_only(app):
    """Skip (with the reason) unless the suite runs on PostgreSQL."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL row locks and real concurrency: set TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def live_server(app):
    """The app over real HTTP on a free loopback port (for localstripe's webhooks)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def stripe_webhooks(stripe_url, live_server):
    """localstripe delivers its signed webhooks to the app during the test (and nowhere after)."""
    import urllib.parse
    import urllib.request

    def point_to(url: str) -> None:
        data = urllib.parse.urlencode({"url": url, "secret": TEST_WEBHOOK_SECRET}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{stripe_url}/_config/webhooks/gpo", data=data), timeout=5)

    point_to(f"{live_server}/api/v1/webhooks/stripe")
    yield
    point_to("http://127.0.0.1:9/nowhere")


@pytest.fixture
def demo_receiver(app, tmp_path, monkeypatch):
    """The demo's webhook receiver (scripts/webhook_receiver.py, as `make run` starts it)
    on a free loopback port, checking each signature with the secrets seed-demo writes to
    this test's own file: for the test, the demo's endpoints point here
    (DEMO_WEBHOOK_RECEIVER_URL). Yields its URL and its state (what it received)."""
    import importlib.util
    import threading

    spec = importlib.util.spec_from_file_location("webhook_receiver", ROOT / "scripts" / "webhook_receiver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    secrets_file = tmp_path / "webhook-receiver-secrets"
    state = module.Receiver(secrets_file, None, 204)
    server = module.serve("127.0.0.1", 0, state)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setitem(app.config, "DEMO_WEBHOOK_RECEIVER_URL", url)
    monkeypatch.setitem(app.config, "DEMO_WEBHOOK_RECEIVER_SECRETS", str(secrets_file))
    yield url, state
    server.shutdown()
    server.server_close()


@pytest.fixture
def products(world):
    """`products(n)`: n new products of Acme on one contract in effect (the query-count
    tests grow the catalog with it)."""
    from tests.factories import ContractFactory, ProductFactory

    def make(n: int, **fields):
        made = [ProductFactory(vendor_id=world.vendor.id, **fields) for _ in range(n)]
        ContractFactory(vendor_id=world.vendor.id, products=made)
        return made
    return make
