"""The database: declarative Base with constraint naming conventions, the session,
and the transaction helpers every service uses.

A use case is one transaction: a service function changes models and ends with
`commit()`. Side effects that must only happen once the change is durable (jobs,
Stripe calls, notifications) are registered with `after_commit()` and run right
after the commit succeeds; a rollback discards them.
"""
from __future__ import annotations

import contextvars
import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Callable

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Numeric, event, func, literal, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

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


# Ids are BIGINT on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
IdPK = Annotated[int, mapped_column(BigId, primary_key=True)]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


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

    @app.teardown_request
    def _end_request_session(exc):
        db.session.remove()


def one_of_sql(column: str, values) -> str:
    """SQL text of a CHECK that a column holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CreatedAtMixin:
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )


# --- transactions -----------------------------------------------------------------

_PENDING = "gpo_after_commit_pending"
_READY = "gpo_after_commit_ready"
# Set while an outer scope (an idempotent request) owns the commit.
_deferred_commit: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "gpo_deferred_commit", default=False
)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction has committed (never if it rolls back)."""
    db.session.info.setdefault(_PENDING, []).append(callback)


@event.listens_for(Session, "after_commit")
def _promote_callbacks(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _discard_callbacks(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def run_after_commit_callbacks() -> None:
    ready = db.session.info.pop(_READY, [])
    for callback in ready:
        callback()


def commit() -> None:
    """Commit the use case's transaction, then run its after-commit side effects.

    Inside `deferred_commit()` the transaction belongs to the outer scope: this only
    flushes, and the outer scope commits once (so its own bookkeeping, such as the
    stored idempotent response, lands in the same transaction as the change).
    """
    if _deferred_commit.get():
        db.session.flush()
        return
    db.session.commit()
    run_after_commit_callbacks()


def rollback() -> None:
    db.session.rollback()


@contextmanager
def deferred_commit():
    token = _deferred_commit.set(True)
    try:
        yield
    finally:
        _deferred_commit.reset(token)


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# --- paging -----------------------------------------------------------------------


@dataclass
class Paged:
    items: list[Any]
    total: int


def paged(stmt, page: int, page_size: int) -> Paged:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    offset = (page - 1) * page_size
    if offset >= total:  # past the end (also keeps absurd page numbers out of SQL)
        return Paged(items=[], total=total)
    items = db.session.scalars(stmt.limit(page_size).offset(offset)).all()
    return Paged(items=list(items), total=total)


def flush_or_conflict(message: str) -> None:
    """Flush, turning a unique-constraint violation into 409: the database decides
    duplicates, so two racing requests cannot both create one."""
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
