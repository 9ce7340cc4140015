"""Jobs: dispatched only after commit, readable at /jobs/{id}, retried, and (with
TEST_REDIS_URL) run by a real RQ worker process."""
import datetime as dt

import pytest
from sqlalchemy import create_engine, func, select, text

from gpo import jobs
from gpo.auth.models import LoginFailure
from gpo.auth.principal import SYSTEM
from gpo.db import db, transactional, unit_of_work
from gpo.maintenance import request_purge

_calls = {"flaky": 0}


def flaky(fail_times: int) -> dict:
    _calls["flaky"] += 1
    if _calls["flaky"] <= fail_times:
        raise RuntimeError("database password=hunter2 unreachable")
    return {"calls": _calls["flaky"]}


jobs.register("test.flaky", flaky)


def test_a_job_is_dispatched_only_after_its_transaction_commits(app, db_ctx, monkeypatch):
    seen = []

    def fake_dispatch(job_id):
        # the job's row is already committed: another connection can read it
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.connect() as conn:
            seen.append(conn.execute(text("SELECT status FROM jobs WHERE id = :id"), {"id": job_id}).scalar())
        engine.dispose()

    monkeypatch.setattr(jobs, "dispatch", fake_dispatch)
    with pytest.raises(RuntimeError, match="outside a unit of work"):
        jobs.enqueue("maintenance.purge_expired", SYSTEM)  # no edge: it would never be dispatched
    db.session.rollback()
    with pytest.raises(ValueError):
        with unit_of_work():
            jobs.enqueue("maintenance.purge_expired", SYSTEM)
            raise ValueError("the use case failed: its job goes with it")
    assert seen == []
    assert db.session.scalar(select(func.count()).select_from(jobs.Job)) == 0

    with unit_of_work():
        jobs.enqueue("maintenance.purge_expired", SYSTEM)
        assert seen == []  # not before the commit
    assert seen == ["queued"]


def test_the_purge_job_runs_and_is_idempotent(app, db_ctx, run_jobs):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    db.session.add_all([LoginFailure(email="a@x.test", address="1.2.3.4", at=old),
                        LoginFailure(email="b@x.test", address="1.2.3.4")])
    db.session.commit()
    first = run_jobs(transactional(request_purge)(SYSTEM).id)
    assert first.status == "finished", first.error
    assert first.result == {"login_failures": 1, "idempotency_records": 0}
    assert first.attempts == 1
    second = run_jobs(transactional(request_purge)(SYSTEM).id)
    assert second.result == {"login_failures": 0, "idempotency_records": 0}
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_a_failing_job_is_retried_then_marked_failed_without_internals(app, db_ctx):
    _calls["flaky"] = 0
    job = jobs.Job(kind="test.flaky", args={"fail_times": 5}, created_by="system", max_attempts=3)
    db.session.add(job)
    db.session.commit()
    for attempt in (1, 2, 3):
        with pytest.raises(RuntimeError):
            jobs.run(job.id)
        db.session.refresh(job)
        assert job.attempts == attempt
        assert job.status == ("failed" if attempt == 3 else "queued")
    assert "hunter2" not in job.error and "RuntimeError" in job.error


def test_in_process_dispatch_retries_until_it_succeeds(app, db_ctx):
    if app.config.get("REDIS_URL"):
        pytest.skip("in-process dispatch is the embedded mode (no REDIS_URL)")
    _calls["flaky"] = 0
    job = jobs.Job(kind="test.flaky", args={"fail_times": 1}, created_by="system", max_attempts=3)
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    db.session.commit()  # and hold no transaction while the job runs (SQLite's write lock)
    jobs.dispatch(job_id)
    db.session.refresh(job)
    assert job.status == "finished" and job.attempts == 2 and job.result == {"calls": 2}
    jobs.run(job.id)  # running a finished job again does nothing
    assert _calls["flaky"] == 2


def test_whoever_started_a_job_reads_it(client, world):
    job = jobs.Job(kind="maintenance.purge_expired", status="finished", args={}, result={"x": 1},
                   organization_id=world.vendor.id, created_by=f"api_key:{world.api_key.id}")
    db.session.add(job)
    db.session.commit()
    response = client.get(f"/api/v1/jobs/{job.id}", headers=world.headers["vendor_key"])
    assert response.status_code == 200
    assert response.get_json().items() >= {"id": job.id, "kind": "maintenance.purge_expired", "status": "finished",
                                        "result": {"x": 1}, "error": None}.items()
    assert client.get(f"/api/v1/jobs/{job.id}", headers=world.headers["vendor_admin"]).status_code == 200
    assert client.get(f"/api/v1/jobs/{job.id}", headers=world.headers["other_vendor_key"]).status_code == 404


def test_mso_staff_follow_the_msos_own_jobs_but_not_a_vendors(client, world):
    from gpo.auth.sessions import principal_for_user

    started = principal_for_user(world.users["mso_procurement"])
    close = jobs.Job(kind="maintenance.purge_expired", status="started", args={}, organization_id=world.mso.id,
                     created_by=started.key)
    imported = jobs.Job(kind="maintenance.purge_expired", status="finished", args={},
                        organization_id=world.vendor.id, created_by=f"api_key:{world.api_key.id}")
    db.session.add_all([close, imported])
    db.session.commit()
    assert client.get(f"/api/v1/jobs/{close.id}", headers=world.headers["mso_finance"]).status_code == 200
    assert client.get(f"/api/v1/jobs/{imported.id}", headers=world.headers["mso_finance"]).status_code == 403
    assert client.get(f"/api/v1/jobs/{imported.id}", headers=world.headers["mso_admin"]).status_code == 200
    assert client.get(f"/api/v1/jobs/{close.id}", headers=world.headers["vendor_admin"]).status_code == 404
