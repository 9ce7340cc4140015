"""The unit of work every edge opens (gpo.db): one commit when the use case returns,
a rollback on any exception or error answer, side effects only after the commit, and
commit_midway for the protocols that name why they need one."""
import pytest
from sqlalchemy import create_engine, func, select

from gpo.auth.models import LoginFailure
from gpo.db import after_commit, commit_midway, db, transactional, unit_of_work


def _committed_failures(app) -> int:
    """What another connection sees: only what was committed."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    raw = engine.raw_connection()  # no BEGIN (on SQLite that would wait for the writer)
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT count(*) FROM login_failures")
        count = cursor.fetchone()[0]
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return count


def _failure(email="a@x.test"):
    return LoginFailure(email=email, address="192.0.2.1")


def test_a_unit_commits_once_when_the_use_case_returns_then_runs_its_side_effects(app, db_ctx):
    ran = []
    with unit_of_work():
        db.session.add(_failure())
        db.session.flush()
        after_commit(lambda: ran.append(_committed_failures(app)))
        assert ran == [] and _committed_failures(app) == 0
    assert ran == [1]  # the side effect saw the committed row


def test_a_unit_rolls_back_on_any_exception_and_drops_its_side_effects(app, db_ctx):
    ran = []
    with pytest.raises(ValueError):
        with unit_of_work():
            db.session.add(_failure())
            db.session.flush()
            after_commit(lambda: ran.append("sent"))
            raise ValueError("the use case failed")
    assert ran == [] and _committed_failures(app) == 0
    with unit_of_work():  # the session is usable again, and the dropped callback stays dropped
        db.session.add(_failure("b@x.test"))
    assert ran == [] and _committed_failures(app) == 1


def test_discard_rolls_back_when_the_edge_answers_an_error(app, db_ctx):
    with unit_of_work() as unit:
        db.session.add(_failure())
        db.session.flush()
        unit.discard()
    assert _committed_failures(app) == 0


def test_units_do_not_nest_and_commit_midway_needs_one(app, db_ctx):
    with unit_of_work():
        with pytest.raises(RuntimeError, match="already open"):
            with unit_of_work():
                pass
    with pytest.raises(RuntimeError, match="outside a unit of work"):
        commit_midway("a test")


def test_commit_midway_keeps_what_came_before_when_what_follows_fails(app, db_ctx):
    ran = []
    with pytest.raises(ValueError):
        with unit_of_work():
            db.session.add(_failure("before@x.test"))
            after_commit(lambda: ran.append("before"))
            commit_midway("a test of the protocol")
            assert ran == ["before"] and _committed_failures(app) == 1
            db.session.add(_failure("after@x.test"))
            db.session.flush()
            raise ValueError("the rest failed")
    assert [f.email for f in db.session.scalars(select(LoginFailure))] == ["before@x.test"]


def test_transactional_runs_a_function_as_one_use_case(app, db_ctx):
    @transactional
    def record(email):
        db.session.add(_failure(email))
        return email

    assert record("c@x.test") == "c@x.test"
    assert _committed_failures(app) == 1


def test_a_request_that_answers_an_error_changes_nothing_but_what_it_names(client, app):
    # A refused login answers 401 and rolls back, except the refusal the throttle counts
    # (committed midway, by name).
    answer = client.post("/api/v1/auth/login", json={"email": "nobody@x.test", "password": "wrong-password-1"})
    assert answer.status_code == 401
    assert _committed_failures(app) == 1
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_the_request_edge_commits_a_success_and_rolls_back_an_error_answer(app, db_ctx, test_config):
    """Through a probe app with the same edge: a route that writes then answers 409
    leaves nothing; the same write answered 200 is committed."""
    from gpo import create_app
    from gpo.errors import Conflict

    probe = create_app({**test_config, "WTF_CSRF_ENABLED": False})  # a bare route, not a page form

    @probe.post("/_probe/<outcome>")
    def write_then(outcome):
        db.session.add(_failure(f"{outcome}@x.test"))
        db.session.flush()
        if outcome == "refused":
            raise Conflict("refused after writing")
        return {"ok": True}

    client = probe.test_client()
    assert client.post("/_probe/refused").status_code == 409
    assert _committed_failures(app) == 0
    assert client.post("/_probe/kept").status_code == 200
    assert [f.email for f in db.session.scalars(select(LoginFailure))] == ["kept@x.test"]
