"""Which pooled connections are pinged before use (gpo.db.watch_pooled_connections):
only one idle for long or whose socket has something to read (a server that ended
the connection sent its goodbye or closed it); a healthy, recently used one costs no
round trip. A failed ping is a DisconnectionError, so the pool retries."""
from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy.exc import DisconnectionError

from gpo.db import _IDLE_SINCE, PING_AFTER_IDLE_SECONDS, _check_out, may_have_been_dropped


class FakeConnection:
    """A DBAPI connection on one end of a socket pair; the test plays the server."""

    def __init__(self):
        self.ours, self.server = socket.socketpair()
        self.rolled_back = False

    def fileno(self) -> int:
        return self.ours.fileno()

    def rollback(self) -> None:
        self.rolled_back = True

    def close(self) -> None:
        self.ours.close()
        self.server.close()


class FakeRecord:
    def __init__(self, idle_for: float | None):
        self.info = {} if idle_for is None else {_IDLE_SINCE: time.monotonic() - idle_for}


class FakeDialect:
    def __init__(self, fails: bool = False):
        self.pings, self.fails = 0, fails

    def do_ping(self, connection) -> bool:
        self.pings += 1
        if self.fails:
            raise OSError("server closed the connection unexpectedly")
        return True


@pytest.fixture
def connection():
    made = FakeConnection()
    yield made
    made.close()


def test_a_quiet_recently_used_connection_is_not_pinged(connection):
    assert not may_have_been_dropped(connection, idle_seconds=0.5)


def test_a_connection_the_server_wrote_to_or_closed_is_pinged(connection):
    connection.server.send(b"E")  # PostgreSQL's ErrorResponse: terminating connection
    assert may_have_been_dropped(connection, idle_seconds=0.5)
    other = FakeConnection()
    other.server.close()  # end of file
    assert may_have_been_dropped(other, idle_seconds=0.5)
    other.close()


def test_a_connection_idle_for_long_is_pinged(connection):
    assert may_have_been_dropped(connection, idle_seconds=PING_AFTER_IDLE_SECONDS + 1)


def test_a_connection_without_a_socket_is_pinged():
    class Closed:
        def fileno(self):
            raise OSError("the connection is closed")

    assert may_have_been_dropped(Closed(), idle_seconds=0.1)


def test_checkout_pings_only_a_suspect_connection_and_leaves_it_idle(connection):
    dialect = FakeDialect()
    _check_out(dialect, connection, FakeRecord(idle_for=None), None)  # just opened
    _check_out(dialect, connection, FakeRecord(idle_for=0.1), None)  # quiet
    assert dialect.pings == 0
    _check_out(dialect, connection, FakeRecord(idle_for=PING_AFTER_IDLE_SECONDS + 5), None)
    assert dialect.pings == 1 and connection.rolled_back


def test_a_failed_ping_makes_the_pool_take_a_new_connection(connection):
    connection.server.close()
    with pytest.raises(DisconnectionError):
        _check_out(FakeDialect(fails=True), connection, FakeRecord(idle_for=0.1), None)
