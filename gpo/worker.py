"""What an RQ worker runs for each job (`flask gpo worker`): enqueued by its dotted
path, `gpo.worker.execute`, so that `gpo.jobs` never needs the app factory."""
from __future__ import annotations

import os
from typing import Any

from flask import current_app, has_app_context

from gpo import create_app
from gpo.db import db
from gpo.jobs import run

_engine_pid: int | None = None


def execute(job_id: int) -> Any:
    """RQ's entry point: the job's edge (`gpo.jobs.run` opens its units of work)."""
    global _engine_pid
    app = current_app._get_current_object() if has_app_context() else create_app()
    with app.app_context():
        if _engine_pid != os.getpid():
            # A forked work horse must not reuse its parent's pooled connections.
            db.engine.dispose(close=False)
            _engine_pid = os.getpid()
        return run(job_id)
