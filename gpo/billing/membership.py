"""Monthly billing runs (DOMAIN.md "Billing"): one run per kind and month, however often
it is asked for. The membership run's job drafts each active practice's membership
invoice once (the flat fee plus PMPM times the providers active in the month); other
kinds (leasing's "lease") bring their own work with `add_run_kind`."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select

from gpo import audit
from gpo.accounts.models import Practice, Provider
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.billing.inputs import BillingRunRequest
from gpo.billing.invoices import draft_invoice, effective_fees, today
from gpo.billing.models import BillingRun, Invoice
from gpo.billing.rules import membership_lines, month_bounds
from gpo.db import db, flush_unless_duplicate, utcnow
from gpo.errors import Invalid, NotFound
from gpo.jobs import RunLifecycle


def run_lifecycle(kind: str) -> RunLifecycle:
    """A kind of monthly run's life: queued until its job runs, then finished (asked
    again, a rerun drafts only what is missing) or, after the job's last retry, failed."""
    return RunLifecycle(kind=f"billing.{kind}_run", model=BillingRun, id_arg="run_id", again_from=("finished",),
                        failed_action="billing_run.fail", summary=lambda run: {"invoices": run.invoice_count})


MEMBERSHIP_RUN = run_lifecycle("membership")
# Each kind of run and its lifecycle: the same BillingRun row, each kind its own job.
RUNS: dict[str, RunLifecycle] = {"membership": MEMBERSHIP_RUN}


def add_run_kind(kind: str, work) -> RunLifecycle:
    """A feature's kind of run (one of models.RUN_KINDS): `work(run)`, on the locked run,
    drafts its month and marks it finished."""
    RUNS[kind] = lifecycle = run_lifecycle(kind)
    lifecycle.register(work)
    return lifecycle


def request_billing_run(principal: Principal, data: BillingRunRequest) -> tuple[BillingRun, bool]:
    """One run per kind and month: asking again returns the first run (created=False)."""
    policy.authorize(principal, "billing_run.create")
    lifecycle = RUNS[data["kind"]]
    if data["kind"] == "lease" and data["month"] > f"{today():%Y-%m}":
        # A lease run bills rents due by the month's end: run ahead, it would bill rents
        # not due for weeks, and a buyout meanwhile would charge them again.
        raise Invalid.of_field("month", "a lease run bills a month that has begun: "
                                        f"{data['month']} is after this month ({today():%Y-%m})")
    existing = db.session.scalars(select(BillingRun).where(
        BillingRun.kind == data["kind"], BillingRun.month == data["month"]).with_for_update()).one_or_none()
    if existing is not None:
        if lifecycle.may_run_again(existing):
            # Run it again: it drafts only what is missing (an invoice voided since, a
            # practice activated since); with nothing missing it creates nothing.
            existing.finished_at = None
            lifecycle.start(principal, existing)
            audit.record(principal, "billing_run.rerun", existing, details={"month": existing.month})
            db.session.flush()
        return existing, False
    run = BillingRun(kind=data["kind"], month=data["month"], status=lifecycle.waiting, requested_by=principal.label)
    if not flush_unless_duplicate(run):  # asked at the same moment by someone else: theirs stands
        return db.session.scalars(select(BillingRun).where(
            BillingRun.kind == data["kind"], BillingRun.month == data["month"])).one(), False
    lifecycle.start(principal, run)
    audit.record(principal, "billing_run.create", run, details={"kind": run.kind, "month": run.month})
    db.session.flush()
    return run, True


def get_billing_run(principal: Principal, run_id: int) -> BillingRun:
    policy.authorize(principal, "billing_run.read")
    run = db.session.get(BillingRun, run_id)
    if run is None:
        raise NotFound(f"billing run {run_id} not found")
    return run


def active_provider_counts(start: dt.date, end: dt.date) -> dict[int, int]:
    """Providers per practice active on any day of [start, end]."""
    return dict(db.session.execute(
        select(Provider.practice_id, func.count(Provider.id))
        .where(Provider.active_from <= end, or_(Provider.active_to.is_(None), Provider.active_to >= start))
        .group_by(Provider.practice_id)).all())


def membership_run(run_id: int) -> dict:
    """The run's job as the job system runs it (`MEMBERSHIP_RUN`), callable on its own:
    the run locked, a finished run untouched, otherwise `bill_month`."""
    return MEMBERSHIP_RUN.run_once(run_id)


def bill_month(run: BillingRun) -> dict:
    """One membership invoice per active practice for the month: the flat fee plus PMPM
    times the providers active in the month (`MEMBERSHIP_RUN`'s work, on the locked
    run). Each invoice's key makes a rerun (after a crash, or asked twice) create
    nothing new."""
    start, end = month_bounds(run.month)
    practices = db.session.scalars(select(Practice).where(Practice.status == "active", Practice.joined_on <= end)
                                   .order_by(Practice.id)).all()
    fees = effective_fees([p.id for p in practices])
    counts = active_provider_counts(start, end)
    label = start.strftime("%B %Y")
    created = 0
    for practice in practices:
        f = fees[practice.id]
        lines = membership_lines(f.monthly_membership_cents, f.pmpm_cents, counts.get(practice.id, 0), label)
        if not lines:
            continue
        invoice = draft_invoice(practice.id, "membership", f"membership:{run.month}:practice:{practice.id}",
                                f"Membership {label}", lines, period_start=start, period_end=end)
        created += invoice is not None
    run.status, run.finished_at = "finished", utcnow()
    run.invoice_count = db.session.scalar(select(func.count(Invoice.id)).where(
        Invoice.kind == "membership", Invoice.period_start == start))
    audit.record(SYSTEM, "billing_run.finish", run, details={"created": created, "invoices": run.invoice_count})
    db.session.flush()
    return {"invoices": run.invoice_count, "created": created}
