"""Background jobs: RQ on Redis when REDIS_URL is set, in-process otherwise.

A use case asks for a job with `enqueue()`: the job's row is written in the use
case's transaction and the job is handed to RQ (or run in-process) only after that
transaction commits, so a job never starts on data that might still roll back. Jobs
take ids, not objects; each job function must be idempotent, because a retry after
a crash runs it again. `GET /jobs/{id}` reads the row.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, current_app
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from gpo.auth.principal import Principal
from gpo.db import BigId, CreatedAtMixin, IdPK, UTCDateTime, after_commit, db, lock_row, unit_of_work, utcnow
from gpo.errors import DomainError, NotFound

log = logging.getLogger("gpo.jobs")

JOB_STATUSES = ("queued", "started", "finished", "failed")
# Seconds between RQ retries (attempt 2, attempt 3, ...).
RETRY_INTERVALS = [10, 60, 300]

_REGISTRY: dict[str, Callable[..., Any]] = {}
_ON_FAILURE: dict[str, Callable[..., Any]] = {}


class Job(CreatedAtMixin, db.Model):
    __tablename__ = "jobs"

    id: Mapped[IdPK]
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    organization_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organizations.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def tenant_id(self) -> int | None:
        return self.organization_id


def register(kind: str, fn: Callable[..., Any], on_failure: Callable[..., Any] | None = None) -> None:
    """Declare a job (from a feature's `register(app)`): `fn(**args)` returns a JSON-able
    result; `on_failure(**args)` runs, in its own unit of work, once the job has failed
    for good (to tell its owner). Registering a kind again replaces it."""
    _REGISTRY[kind] = fn
    if on_failure is not None:
        _ON_FAILURE[kind] = on_failure
    else:
        _ON_FAILURE.pop(kind, None)


@dataclass(frozen=True)
class RunLifecycle:
    """The life every run-like job shares (a catalog import, an insurance binding, a
    staffing cost run, a billing run, a payment attempt, a cycle's close): a row of
    `model` whose `status` says where it is, and one job that does its work.

    - Asked once: the use case creates or finds the row (a unique constraint or a row
      lock decides between two askers) and calls `start(principal, row)`, which puts
      it in `waiting` and queues the job in the use case's transaction. Whether it may
      be asked again is `may_run_again(row)`: after it failed for good, or from one of
      `again_from` (a billing run that finished drafts only what is missing).
    - Run again after a crash without doing anything twice: the job locks the row; a
      row already `done` (or in one of `also_ended`) returns `summary(row)` untouched;
      otherwise `work(row)` runs in the job's unit of work, so a crash leaves nothing
      half-done.
    - Failed for good after the retries: a row still `waiting` (or in one of
      `running`) becomes `failed`, with the audit event `failed_action`; a feature
      with another way to fail passes `on_failed_for_good(row)` to `register`.

    A run whose row has no state of its own for these (a cycle's close: asking for it
    changes no status, and a close that failed for good leaves the cycle as it was)
    sets `waiting=None` and `failed=None`: it may then be asked again once its job (in
    `job_attribute`) failed for good.

    `run_once(id)` and `fail_for_good(id)` are what the job system calls; a test may
    call them too, inside a unit of work.
    """

    kind: str
    model: type
    id_arg: str
    waiting: str | None = "queued"
    running: tuple[str, ...] = ()
    done: str = "finished"
    failed: str | None = "failed"
    job_attribute: str = "job_id"
    also_ended: tuple[str, ...] = ()
    again_from: tuple[str, ...] = ()
    failed_action: str | None = None
    summary: Callable[[Any], dict] = field(default=lambda row: {"status": row.status})
    _declared: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def start(self, principal: Principal, row) -> Job:
        """Queue the run's job (once the caller's transaction commits)."""
        if self.waiting is not None:
            row.status = self.waiting
        queued = enqueue(self.kind, principal, **{self.id_arg: row.id})
        setattr(row, self.job_attribute, queued.id)
        return queued

    def may_run_again(self, row) -> bool:
        if self.failed is None:  # no failed state on the row: its job says
            job_id = getattr(row, self.job_attribute)
            last = db.session.get(Job, job_id) if job_id is not None else None
            return last is not None and last.status == "failed" and row.status != self.done
        return row.status == self.failed or row.status in self.again_from

    def register(self, work: Callable[[Any], dict], on_failed_for_good: Callable[[Any], None] | None = None) -> None:
        """Declare the job: `work(row)` gets the run's row, locked."""
        self._declared.update(work=work, on_failed_for_good=on_failed_for_good)
        register(self.kind, lambda **args: self.run_once(args[self.id_arg]),
                 on_failure=lambda **args: self.fail_for_good(args[self.id_arg]))

    def run_once(self, run_id: int) -> dict:
        """The job: the run locked; one that has ended untouched, otherwise its work."""
        row = lock_row(self.model, run_id)
        if row is None:
            raise NotFound(f"{self.kind} run {run_id} not found")
        if row.status == self.done or row.status in self.also_ended:
            return self.summary(row)
        return self._declared["work"](row)

    def fail_for_good(self, run_id: int) -> None:
        """After the last attempt: a run still in flight fails (or as the feature says)."""
        row = lock_row(self.model, run_id)
        if row is None or row.status not in (self.waiting, *self.running) or self.failed is None:
            return
        if self._declared.get("on_failed_for_good") is not None:
            self._declared["on_failed_for_good"](row)
            return
        row.status = self.failed
        if self.failed_action:
            from gpo import audit
            from gpo.auth.principal import SYSTEM

            audit.record(SYSTEM, self.failed_action, row)


def enqueue(kind: str, principal: Principal, **args) -> Job:
    """Add a job to the current transaction; it is dispatched once that commits."""
    if kind not in _REGISTRY:
        raise KeyError(f"no job registered as {kind!r}")
    row = Job(
        kind=kind,
        status="queued",
        args=args,
        organization_id=principal.organization_id,
        created_by=principal.key,
        max_attempts=current_app.config["JOB_MAX_ATTEMPTS"],
    )
    db.session.add(row)
    db.session.flush()
    job_id = row.id
    after_commit(lambda: dispatch(job_id))
    return row


def dispatch(job_id: int) -> None:
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        from rq import Retry

        retries = app.config["JOB_MAX_ATTEMPTS"] - 1
        get_queue(app).enqueue(
            "gpo.worker.execute",
            job_id,
            job_id=f"gpo-job-{job_id}",
            retry=Retry(max=retries, interval=RETRY_INTERVALS[:retries]) if retries else None,
            job_timeout=3600,
        )
        return
    # Embedded mode: run now, in a fresh app context (its own session), retrying
    # at once up to the job's attempts.
    with app.app_context():
        for _ in range(app.config["JOB_MAX_ATTEMPTS"]):
            try:
                run(job_id)
                return
            except Exception:
                continue


def get_queue(app: Flask):
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(app.config["REDIS_URL"])
    return Queue(app.config["RQ_QUEUE"], connection=connection)


_engine_pid: int | None = None


def run_in(app: Flask, job_id: int) -> Any:
    """Run a job in a worker process, in `app`'s context (see gpo/worker.py)."""
    return in_worker(app, lambda: run(job_id))


def in_worker(app: Flask, work: Callable[[], Any]) -> Any:
    """Run `work` in a worker process, in `app`'s context."""
    global _engine_pid
    with app.app_context():
        if _engine_pid != os.getpid():
            # A forked work horse must not reuse its parent's pooled connections.
            db.engine.dispose(close=False)
            _engine_pid = os.getpid()
        return work()


def execute(job_id: int) -> Any:
    """The entry point earlier versions enqueued (`gpo.jobs.execute`): a job still in
    Redis from before an upgrade runs through it, under `flask gpo worker`."""
    return run_in(current_app._get_current_object(), job_id)


def run(job_id: int) -> Any:
    """Run a job once: the job's edge. Marking it started is one unit of work; the job
    function and marking it finished are the next, so its work and its `finished`
    land together or not at all. Re-running a finished job does nothing."""
    with unit_of_work():
        row = db.session.get(Job, job_id)
        if row is None:
            log.warning("job %s does not exist (rolled back?)", job_id)
            return None
        if row.status == "finished":
            return row.result
        row.status = "started"
        row.attempts += 1
        row.started_at = utcnow()
        row.error = None
        kind, args = row.kind, dict(row.args)
    try:
        with unit_of_work():
            result = _REGISTRY[kind](**args)
            row = db.session.get(Job, job_id)
            row.status = "finished"
            row.result = result
            row.finished_at = utcnow()
    except Exception as exc:
        _record_failure(job_id, exc)
        raise
    return result


def _record_failure(job_id: int, exc: Exception) -> None:
    """The attempt failed (its work rolled back): queued for the next attempt, or failed
    for good after the last one, and then its `on_failure` tells the owner."""
    with unit_of_work():
        row = db.session.get(Job, job_id)
        row.status = "failed" if row.attempts >= row.max_attempts else "queued"
        # Domain errors explain themselves; anything else is logged, not shown.
        row.error = exc.message if isinstance(exc, DomainError) else (
            f"internal error ({type(exc).__name__}); attempt {row.attempts} of {row.max_attempts}"
        )
        row.finished_at = utcnow() if row.status == "failed" else None
        kind, args, attempts, failed_for_good = row.kind, dict(row.args), row.attempts, row.status == "failed"
    log.exception("job %s (%s) failed, attempt %s", job_id, kind, attempts, exc_info=exc)
    if failed_for_good and kind in _ON_FAILURE:
        try:
            with unit_of_work():
                _ON_FAILURE[kind](**args)
        except Exception:
            log.exception("on_failure of job %s (%s) failed", job_id, kind)


def requeue_lost_jobs(app: Flask, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Dispatch again queued jobs that never reached Redis (for example Redis was down
    right after the commit). Safe: jobs are idempotent and a finished job is a no-op."""
    from rq.job import Job as RqJob

    cutoff = utcnow() - older_than
    ids = db.session.scalars(
        select(Job.id).where(Job.status == "queued", Job.created_at < cutoff)
    ).all()
    connection = get_queue(app).connection
    lost = [i for i in ids if not RqJob.exists(f"gpo-job-{i}", connection=connection)]
    for job_id in lost:
        dispatch(job_id)
    return len(lost)


def get_job(principal: Principal, job_id: int) -> Job:
    """A job for whoever started it, an admin of its organization (MSO admins: all), and
    MSO staff for the MSO's own jobs (a close, a billing run, a bind: colleagues follow
    the same work in the console)."""
    from gpo.auth import policy
    from gpo.errors import Forbidden

    row = policy.load(principal, Job, job_id, "job.read")
    colleague = principal.is_mso and row.organization_id == principal.organization_id
    if row.created_by != principal.key and not principal.roles & policy.ORG_ADMINS and not colleague:
        raise Forbidden("only whoever started a job, or an admin, may read it")
    return row
