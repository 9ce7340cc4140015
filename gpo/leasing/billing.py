"""The monthly "lease" billing run (POST /billing-runs {kind: "lease", month}, a month
that has begun): each rent of an active lease due by the month's end and not billed
yet (an earlier month's too, e.g. one whose invoice was voided), and each practice's
share of each shared suite's rent. Every invoice's source key names what it bills, so
running a month twice creates nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from gpo import audit
from gpo.auth.principal import SYSTEM
from gpo.billing.models import BillingRun, Invoice
from gpo.billing.rules import month_bounds
from gpo.db import db, utcnow


def bill_lease_month(run: BillingRun) -> dict:
    """The run's work on its locked run: the month's rents, then its space shares."""
    from gpo.leasing import lifecycle, spaces

    start, end = month_bounds(run.month)
    created = lifecycle.bill_rents(start, end) + spaces.bill_spaces(start, end)
    run.status, run.finished_at = "finished", utcnow()
    run.invoice_count = db.session.scalar(select(func.count(Invoice.id)).where(
        Invoice.kind == "lease", Invoice.period_start == start, Invoice.source_key.like("lease-run:%"),
        Invoice.status != "void"))  # a voided invoice bills nothing (a rerun drafts it anew)
    audit.record(SYSTEM, "billing_run.finish", run, details={"created": created, "invoices": run.invoice_count})
    db.session.flush()
    return {"invoices": run.invoice_count, "created": created}
