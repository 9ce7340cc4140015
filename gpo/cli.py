"""flask gpo ...: administration commands that run with the app's configuration.

Each command is an edge: `@transactional` runs it as one unit of work (seed-demo runs
one per demo section; the worker runs each job in its own)."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from gpo.db import transactional

gpo_cli = AppGroup("gpo", help="gpo administration: admins, demo data, workers.")


@gpo_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 12 characters.")
@click.option("--name", default="MSO administrator")
@click.option("--mso-name", default="MSO", help="Name of the MSO, if it does not exist yet.")
@transactional
def create_admin(email: str, password: str, name: str, mso_name: str) -> None:
    """Create an mso_admin user (and the MSO itself if missing)."""
    from gpo.accounts.models import Mso, User
    from gpo.accounts.services import add_user
    from gpo.auth.principal import SYSTEM
    from gpo.db import db

    if len(password) < 12:
        raise click.BadParameter("use at least 12 characters", param_hint="--password")
    mso = db.session.scalars(select(Mso)).one_or_none()
    if mso is None:
        mso = Mso(name=mso_name)
        db.session.add(mso)
        db.session.flush()
    if db.session.scalars(select(User).where(User.email == email.strip().lower())).first():
        raise click.ClickException(f"a user with e-mail {email} already exists")
    add_user(SYSTEM, mso, email, name, password, ["mso_admin"])
    click.echo(f"created mso_admin {email.strip().lower()} for {mso.name}")


@gpo_cli.command("seed-demo")
def seed_demo() -> None:
    """Load the demo data (idempotent) and print the demo logins."""
    from gpo.demo import seed

    for line in seed():
        click.echo(line)


@gpo_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for the app's queue (needs REDIS_URL)."""
    from rq import Worker

    from gpo.db import db
    from gpo.jobs import get_queue, requeue_lost_jobs

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without it jobs run in-process, no worker is needed")
    queue = get_queue(app)
    requeued = requeue_lost_jobs(app)
    if requeued:
        click.echo(f"re-dispatched {requeued} queued jobs that never reached Redis")
    # Hold no transaction or pooled connection while waiting: work horses are forks.
    db.session.remove()
    db.engine.dispose()
    Worker([queue], connection=queue.connection).work(burst=burst, with_scheduler=True)


@gpo_cli.command("purge-expired")
@transactional
def purge_expired() -> None:
    """Queue the housekeeping job (old login failures, old idempotent responses)."""
    from gpo.auth.principal import SYSTEM
    from gpo.maintenance import request_purge

    row = request_purge(SYSTEM)
    click.echo(f"job {row.id} queued")


@gpo_cli.command("tick")
def tick_command() -> None:
    """Keep time (run every minute from cron): start closing the cycle whose closes_at
    has passed, open the cycle whose time has come, retry failed payments that are due,
    then tell people and systems (the notification scans, the outbox's fan-out, and the
    webhook and e-mail retries that are due). Each is its own use case (one retry
    failing leaves the others done)."""
    from gpo.auth.principal import SYSTEM
    from gpo.billing.payments import due_payment_retries, retry_payment
    from gpo.notifications.dispatcher import tick as notify
    from gpo.orders.cycles import close_due_cycles, open_due_cycle

    closing = transactional(close_due_cycles)(SYSTEM)
    opened = transactional(open_due_cycle)(SYSTEM)
    retries = [transactional(retry_payment)(attempt_id) for attempt_id in transactional(due_payment_retries)()]
    click.echo({"opened": opened, "closing": closing, "payment_retries": [r for r in retries if r is not None],
                "notifications": notify()})


@gpo_cli.command("close-cycle")
@click.argument("cycle_id", type=int)
@transactional
def close_cycle_command(cycle_id: int) -> None:
    """Start closing a cycle now (as MSO procurement would)."""
    from gpo.auth.principal import SYSTEM
    from gpo.orders.cycles import request_close

    cycle = request_close(SYSTEM, cycle_id)
    click.echo(f"cycle {cycle.id}: close job {cycle.close_job_id}")


@gpo_cli.command("recount-volumes")
@click.argument("cycle_id", type=int)
@click.option("--contract-id", type=int, default=None, help="Only this contract (default: every contract).")
@transactional
def recount_volumes_command(cycle_id: int, contract_id: int | None) -> None:
    """Rebuild a cycle's running volumes (what tier progress and the estimated prices
    read) from its confirmed lines: after lines were written with SQL, or as a repair."""
    from gpo.db import db
    from gpo.orders.models import Cycle
    from gpo.orders.running_volumes import recount

    if db.session.get(Cycle, cycle_id) is None:
        raise click.ClickException(f"cycle {cycle_id} not found")
    recount(cycle_id, contract_id)
    click.echo(f"cycle {cycle_id}: running volumes recounted from its confirmed lines"
               + (f" (contract {contract_id})" if contract_id else ""))


@gpo_cli.command("requeue-lost-jobs")
@click.option("--older-than-minutes", default=10, show_default=True)
@transactional
def requeue_lost_jobs_command(older_than_minutes: int) -> None:
    """Hand RQ again the queued jobs that never reached Redis (run it from cron)."""
    import datetime as dt

    from gpo.jobs import requeue_lost_jobs

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in-process")
    count = requeue_lost_jobs(app, dt.timedelta(minutes=older_than_minutes))
    click.echo(f"re-dispatched {count} jobs")


def init_app(app: Flask) -> None:
    app.cli.add_command(gpo_cli)
