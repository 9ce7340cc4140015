"""The database: declarative Base with constraint naming conventions, the session,
and the unit of work every edge opens.

A use case is one transaction, opened and committed at its edge by `unit_of_work()`;
services change models and flush, never commit. Side effects that must only happen
once the change is durable (jobs, Stripe calls, notifications) are registered with
`after_commit()` and run right after the commit succeeds; a rollback discards them.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import select as io_select
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Callable

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Numeric, event, func, literal, select
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from gpo.clock import clock_shifted as clock_shifted  # re-exported: gpo.db is where modules import them
from gpo.clock import utcnow as utcnow

log = logging.getLogger("gpo.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware UTC")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class ExactDecimal(TypeDecorator):
    """NUMERIC(precision, scale) on PostgreSQL; on SQLite, which would keep NUMERIC as a
    binary float, an integer count of 10**-scale units. Either way exact: never float."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 4):
        super().__init__(precision, scale)
        self.scale = scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.impl.precision, self.scale))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(value).scaleb(-self.scale)
        return Decimal(value)


def _as_stored(column_type):
    """What the database will give back for a value set on an attribute, so a row reads
    the same before its unit of work commits as after (a response is serialized before
    the commit): an exact decimal with its column's places, a timestamp in UTC. A value
    that would not store (more places, no time zone) is left for the column to refuse."""
    if isinstance(column_type, ExactDecimal):
        places = Decimal(1).scaleb(-column_type.scale)

        def stored(value):
            if isinstance(value, Decimal) and value.is_finite() and value.quantize(places) == value:
                return value.quantize(places)
            return value
    else:
        def stored(value):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                return value.astimezone(dt.timezone.utc)
            return value
    return stored


@event.listens_for(Mapper, "mapper_configured")
def _normalize_on_set(mapper, class_) -> None:
    for attribute in mapper.column_attrs:
        column_type = attribute.columns[0].type
        if isinstance(column_type, (ExactDecimal, UTCDateTime)):
            stored = _as_stored(column_type)
            event.listen(getattr(class_, attribute.key), "set",
                         lambda target, value, old, initiator, stored=stored: stored(value), retval=True)


# Ids are BIGINT on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
IdPK = Annotated[int, mapped_column(BigId, primary_key=True)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _session_scope() -> tuple[int, int | None]:
    """One session per app context and request: a request (or an in-process job's own
    app context) never shares a session with whatever context it runs inside."""
    from flask import globals as flask_globals

    app_ctx = flask_globals._cv_app.get(None)
    request_ctx = flask_globals._cv_request.get(None)
    return (id(app_ctx), id(request_ctx) if request_ctx is not None else None)


db = SQLAlchemy(model_class=Base, session_options={"scopefunc": _session_scope})


def init_app(app) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            watch_pooled_connections(db.engine)

    @app.teardown_request
    def _end_request_session(exc):
        db.session.remove()


# --- pooled connections -------------------------------------------------------------
#
# `pool_pre_ping` would send a SELECT 1 before every request's first statement. The
# pool checks a connection without a round trip instead: when the server ends a
# connection (a restart, pg_terminate_backend, an idle timeout) it sends its closing
# message and closes the socket, which leaves the socket readable, while a healthy
# idle connection receives nothing (gpo LISTENs to nothing). Only such a connection,
# or one idle longer than PING_AFTER_IDLE_SECONDS (a cut network sends nothing), is
# pinged; a failed ping raises DisconnectionError, and the pool retries with a new
# connection, so no request fails on a connection the server dropped while it idled.

PING_AFTER_IDLE_SECONDS = 30.0
_IDLE_SINCE = "gpo_idle_since"


def watch_pooled_connections(engine) -> None:
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", functools.partial(_check_out, engine.dialect))


def _note_idle_since(dbapi_connection, connection_record) -> None:
    connection_record.info[_IDLE_SINCE] = time.monotonic()


def _check_out(dialect, dbapi_connection, connection_record, connection_proxy) -> None:
    idle_since = connection_record.info.pop(_IDLE_SINCE, None)
    if idle_since is None:  # a connection just opened
        return
    if not may_have_been_dropped(dbapi_connection, time.monotonic() - idle_since):
        return
    try:
        dialect.do_ping(dbapi_connection)
        dbapi_connection.rollback()  # the ping's transaction: hand out an idle connection
    except Exception as exc:
        raise DisconnectionError(f"a pooled connection was dropped: {exc}") from exc


def may_have_been_dropped(dbapi_connection, idle_seconds: float) -> bool:
    """Whether a pooled connection needs a ping before use: idle for long, or its
    socket has something to read (the server's goodbye, or end of file)."""
    if idle_seconds > PING_AFTER_IDLE_SECONDS:
        return True
    try:
        socket = dbapi_connection.fileno()
    except Exception:  # closed already, or no socket to look at: ask the server
        return True
    poll = io_select.poll()
    poll.register(socket, io_select.POLLIN | io_select.POLLPRI)
    return bool(poll.poll(0))  # POLLERR and POLLHUP are always reported


def one_of_sql(column: str, values) -> str:
    """SQL text of a CHECK that a column holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CreatedAtMixin:
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )


# --- transactions -----------------------------------------------------------------
#
# One use case, one transaction. The edge that starts a use case (an API route or a
# page: `GpoFlask.full_dispatch_request`; a job: `gpo.jobs.run`; a CLI command:
# `@transactional`) opens a `unit_of_work()`, which commits once when the use case
# returns and rolls back on any exception. Services change models and flush; they
# never commit. A protocol that must make part of its work durable before it goes on
# says so by calling `commit_midway(why)`.

_PENDING = "gpo_after_commit_pending"
_READY = "gpo_after_commit_ready"
_OPEN = "gpo_unit_of_work_open"


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction has committed (never if it rolls back).
    Only inside a unit of work: outside one nothing would ever commit, and the side
    effect (a job) would silently never happen."""
    if not db.session.info.get(_OPEN):
        raise RuntimeError("after_commit outside a unit of work: call the use case from an edge")
    db.session.info.setdefault(_PENDING, []).append(callback)


@event.listens_for(Session, "after_commit")
def _promote_callbacks(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _discard_callbacks(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def _run_after_commit_callbacks() -> None:
    ready = db.session.info.pop(_READY, [])
    for callback in ready:
        callback()


class UnitOfWork:
    """The open transaction of one use case (see `unit_of_work`)."""

    def __init__(self) -> None:
        self.keep = True

    def discard(self) -> None:
        """Roll back instead of committing when the use case ends (an edge that turned
        an error into an answer, such as a 4xx response, calls this)."""
        self.keep = False


@contextmanager
def unit_of_work():
    """The one transaction of a use case, opened by its edge: commit once when the
    block ends (then run the after-commit side effects), roll back on any exception
    or after `discard()`. Units do not nest: a service never opens one."""
    session = db.session
    if session.info.get(_OPEN):
        raise RuntimeError("a unit of work is already open: only the edge opens one")
    session.info[_OPEN] = True
    unit = UnitOfWork()
    try:
        yield unit
        if unit.keep:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_OPEN, None)
    _run_after_commit_callbacks()


def transactional(fn):
    """Run `fn` (a CLI command, a test step) as one use case in its own unit of work."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with unit_of_work():
            return fn(*args, **kwargs)

    return wrapper


def commit_midway(why: str) -> None:
    """Commit what the use case has done so far and go on in a new transaction.

    Only for the protocols that need part of their work durable and visible to others
    before they continue, each naming itself in `why`: the close's move to `closing`
    (orders are refused from then on), a payment attempt recorded before Stripe is
    called (no transaction stays open while Stripe answers), a catalog import marked
    running, a claimed Idempotency-Key (a concurrent twin sees it), a refused login
    counted by the throttle, an API key's last use (whatever the request answers).
    Everything else waits for the edge's single commit."""
    if not db.session.info.get(_OPEN):
        raise RuntimeError(f"commit_midway({why!r}) outside a unit of work")
    log.debug("commit midway: %s", why)
    db.session.commit()
    _run_after_commit_callbacks()


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# --- paging -----------------------------------------------------------------------


@dataclass
class Paged:
    items: list[Any]
    total: int


# An offset past what SQL's BIGINT holds is past the end of any list: answered from a
# count alone (it would overflow the driver's integer).
_MAX_OFFSET = 2**63 - 1


def paged(stmt, page: int, page_size: int) -> Paged:
    """One page of `stmt`'s first column (an ORM entity, usually) and how many rows it
    has in all, in one statement: each row of the page carries the count as a scalar
    subquery, which the database computes once. Only a page past the end, which has
    no row to carry the total, needs a count of its own.

    Why not `count(*) OVER ()`: a window counts the rows it is given, so the database
    must produce every matching row in full before LIMIT keeps a page. Measured on
    PostgreSQL with 20,000 products, that turned the catalog's page read from its
    (active, name, id) index into a walk of the whole catalog: the list 0.3 + 2.8 ms
    (page + count) became 14 ms, and `q=gloves` 4 ms became 190 ms (the planner
    computes to_tsvector for every row it walks in name order). The subquery keeps
    each part's own plan: the count from the indexes, the page from its index."""
    offset = (page - 1) * page_size
    if offset > _MAX_OFFSET:
        return Paged(items=[], total=_count(stmt))
    total = _count_query(stmt).scalar_subquery().correlate(None).label("gpo_paged_total")
    rows = db.session.execute(stmt.add_columns(total).limit(page_size).offset(offset)).all()
    if rows:
        return Paged(items=[row[0] for row in rows], total=rows[0][-1])
    return Paged(items=[], total=0 if offset == 0 else _count(stmt))


def _count_query(stmt):
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def _count(stmt) -> int:
    return db.session.scalar(_count_query(stmt))


def flush_unless_duplicate(*new_rows) -> bool:
    """Insert `new_rows` in a savepoint: False, with them undone, when a unique
    constraint refuses them. The database decides duplicates, so two racing requests
    cannot both create one; the loser reads the winner's row. (The rows are added
    inside the savepoint: `begin_nested()` flushes whatever is pending first.)"""
    from sqlalchemy.exc import IntegrityError

    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.add_all(new_rows)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def flush_or_conflict(message: str) -> None:
    """Flush, turning a unique-constraint violation into 409."""
    from sqlalchemy.exc import IntegrityError

    from gpo.errors import Conflict

    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(message) from exc


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic autogenerate filter: PostgreSQL-only objects (expression indexes for
    full-text search) are written by hand in migrations and left out of comparisons."""
    target = compare_to if reflected else obj
    if type_ == "index" and target is not None and target.info.get("postgresql_only"):
        return False
    if type_ == "index" and reflected and compare_to is None and name in postgresql_only_indexes():
        return False
    return True


def postgresql_only_indexes() -> set[str]:
    return {
        index.name
        for table in db.metadata.tables.values()
        for index in table.indexes
        if index.info.get("postgresql_only")
    }


def copy_rows(table, rows: list[dict]) -> None:
    """Insert many rows in the current transaction: PostgreSQL COPY (the fastest path,
    for bulk loads), an executemany INSERT elsewhere. Columns left out take their
    server defaults, so every row must name the same columns."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def line_cents_sql(price_column, quantity_column):
    """SQL for round_half_up(price * quantity * 100), exact for positive amounts: the
    set-based twin of gpo.money.line_cents (prices are ExactDecimal columns)."""
    from sqlalchemy import cast, type_coerce

    if db.engine.dialect.name == "sqlite":  # prices are stored in 1/10000ths
        return (type_coerce(price_column, BigInteger()) * quantity_column + 50) // 100
    return cast(func.round(price_column * quantity_column * 100), BigInteger())


def discounted_price_sql(list_price_column, discount_percent_column):
    """SQL for round_half_up(list_price * (1 - discount/100), 4): the set-based twin of
    gpo.money.unit_price_at_discount (both columns ExactDecimal with 4 places)."""
    from sqlalchemy import type_coerce

    if db.engine.dialect.name == "sqlite":  # both in 1/10000ths: price * (1000000 - d) / 1000000
        price = type_coerce(list_price_column, BigInteger())
        discount = type_coerce(discount_percent_column, BigInteger())
        return (price * (1000000 - discount) + 500000) // 1000000
    # Multiplying by 0.01 is exact; dividing by 100 would round once at the division's
    # scale before the final round to 4 places.
    return func.round(list_price_column * (100 - discount_percent_column) * literal(Decimal("0.01")), 4)


def whole_as_price_sql(integer_column):
    """SQL storing a whole number into a 4-place ExactDecimal column from an
    INSERT ... SELECT (SQLite keeps those in 1/10000ths)."""
    if db.engine.dialect.name == "sqlite":
        return integer_column * 10000
    return integer_column


def percent_of_cents_sql(cents, percent_column):
    """SQL for round_half_up(cents * percent / 100) on non-negative cents: the set-based
    twin of gpo.money.percent_of_cents (percent an ExactDecimal with 4 places)."""
    from sqlalchemy import cast, type_coerce

    if db.engine.dialect.name == "sqlite":  # percent stored in 1/10000ths
        return (cents * type_coerce(percent_column, BigInteger()) + 500000) // 1000000
    return cast(func.round(cents * percent_column * literal(Decimal("0.01"))), BigInteger())


def lock_row(model, ident):
    """`model` #ident locked FOR UPDATE until commit, read as it is now (even if this
    session loaded it before the lock was granted). None when it does not exist."""
    return db.session.scalars(
        select(model).where(model.id == ident).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
