from __future__ import annotations

import time

from gpo.db import db


def scratch_database_url(test_config, tmp_path, name: str) -> str:
    """An empty database of its own for a migration test: on PostgreSQL `<test db>_<name>`
    (dropped and created again), else a SQLite file in tmp_path."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = test_config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    scratch = make_url(url).set(database=f"{make_url(url).database}_{name}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
        conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    admin.dispose()
    return scratch.render_as_string(hide_password=False)


def wait_for_job(job_id: int, timeout: float = 60.0):
    """The job's row once it has finished or failed (in-process jobs already have)."""
    from gpo.jobs import Job

    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job is not None and job.status in ("finished", "failed"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not end in {timeout}s (status {job and job.status})")
        db.session.rollback()
        time.sleep(0.1)


def assert_error(response, status: int, *, contains: str | None = None) -> dict:
    """The response is `status` in the one error shape."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body["code"] == status
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    if contains is not None:
        assert contains in response.get_data(as_text=True), body
    return body
