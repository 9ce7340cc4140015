"""What an RQ worker runs for each job (`flask gpo worker`, or a plain `rq worker`):
enqueued by its dotted path, `gpo.worker.execute`, so that `gpo.jobs` never needs the
app factory."""
from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

from gpo import create_app
from gpo.jobs import run_in


def execute(job_id: int) -> Any:
    """RQ's entry point: the job's edge (`gpo.jobs.run` opens its units of work)."""
    return run_in(current_app._get_current_object() if has_app_context() else create_app(), job_id)


def dispatch_outbox() -> Any:
    """RQ's entry point for the outbox dispatcher (gpo.notifications.dispatcher)."""
    from gpo.jobs import in_worker
    from gpo.notifications.dispatcher import dispatch

    return in_worker(current_app._get_current_object() if has_app_context() else create_app(), dispatch)
