from __future__ import annotations

import time

from gpo.db import db


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
