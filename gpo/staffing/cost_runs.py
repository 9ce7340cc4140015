"""The monthly cost run (DOMAIN.md "Shared staffing pool"): MSO finance runs a month
that has ended, once; a job bills each practice its approved hours at the booked
hourly cost and its share of the pool's overhead, as one draft staffing invoice.
Its life (asked once, run again after a crash without billing twice, failed for good
after the retries and then asked again) is `COST_RUN`, a `jobs.RunLifecycle`."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypedDict
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from gpo import audit
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.billing.invoices import draft_invoice
from gpo.db import db, flush_or_conflict, utcnow
from gpo.errors import Conflict, Invalid
from gpo.jobs import RunLifecycle
from gpo.staffing import clock, rules
from gpo.staffing.models import Assignment, CostAllocation, CostRun, ShiftRequest, StaffMember, Timesheet


class CostRunAsk(TypedDict):
    """The month to run and the overhead to share (CostRunInSchema)."""

    month: str
    overhead_cents: int


COST_RUN = RunLifecycle(
    kind="staffing.cost_run", model=CostRun, id_arg="run_id", waiting="queued", done="finished", failed="failed",
    failed_action="cost_run.fail", summary=lambda run: {"invoices": run.invoice_count})


def approved_in(span: rules.Span, *, for_update: bool = False):
    """Approved, not yet billed timesheets of shifts starting in the span. Locking (the
    job), it first locks every timesheet of the month whatever its status, then keeps
    the approved ones as they are under the lock: an approval racing the run either
    commits first and is billed, or waits and then finds the run (409). Filtering on
    the status in SQL would skip a row whose approval is not yet committed."""
    stmt = (select(Timesheet, Assignment, ShiftRequest, StaffMember)
            .join(Assignment, Assignment.id == Timesheet.assignment_id)
            .join(ShiftRequest, ShiftRequest.id == Assignment.shift_request_id)
            .join(StaffMember, StaffMember.id == Assignment.staff_id)
            .where(Assignment.starts_at >= span.starts_at, Assignment.starts_at < span.ends_at)
            .order_by(Assignment.practice_id, StaffMember.name, Assignment.starts_at, Timesheet.id))
    if for_update:
        stmt = stmt.with_for_update(of=Timesheet).execution_options(populate_existing=True)
    else:
        stmt = stmt.where(Timesheet.status == "approved", Timesheet.cost_run_id.is_(None))
    return [row for row in db.session.execute(stmt).all()
            if row[0].status == "approved" and row[0].cost_run_id is None]


def request_cost_run(principal: Principal, data: CostRunAsk) -> CostRun:
    """The month's run (MSO finance), for a month that has ended; once per month (409)."""
    policy.authorize(principal, "cost_run.create")
    month, overhead = data["month"], data["overhead_cents"]
    span = rules.month_span(month, clock.zone())
    if span.ends_at > clock.now():
        raise Invalid.of_field("month", f"{month} has not ended yet: its costs are run once it has")
    existing = db.session.scalars(select(CostRun).where(CostRun.month == month).with_for_update()).one_or_none()
    if existing is not None and not COST_RUN.may_run_again(existing):
        raise Conflict(f"the staffing costs of {month} were already run (cost run {existing.id})")
    if overhead > 0 and not approved_in(span):
        raise Invalid.of_field("overhead_cents", f"no approved hours in {month} to share the overhead by")
    if existing is not None:
        # The job failed for good, keeping nothing (one transaction): run the month again.
        existing.overhead_cents = overhead
        COST_RUN.start(principal, existing)
        audit.record(principal, "cost_run.rerun", existing, organization_id=principal.organization_id,
                     details={"month": month, "overhead_cents": overhead})
        db.session.flush()
        return existing
    run = CostRun(month=month, month_start=span.starts_at.date(), timezone=current_app.config["STAFFING_TIMEZONE"],
                  overhead_cents=overhead, status=COST_RUN.waiting, requested_by=principal.label,
                  short_notice_premium_percent=Decimal(str(current_app.config["STAFFING_SHORT_NOTICE_PREMIUM_PERCENT"])))
    db.session.add(run)
    flush_or_conflict(f"the staffing costs of {month} were already run")
    COST_RUN.start(principal, run)
    audit.record(principal, "cost_run.create", run, organization_id=principal.organization_id,
                 details={"month": month, "overhead_cents": overhead})
    db.session.flush()
    return run


def get_cost_run(principal: Principal, run_id: int) -> CostRun:
    return policy.load(principal, CostRun, run_id, "cost_run.read")


def run_month(run: CostRun) -> dict:
    """The job's work on its locked, unfinished run. Each practice pays its approved
    minutes times the booked hourly cost of the people it used (with the short-notice
    premium on short-notice shifts), each timesheet rounded once, plus its share of
    the month's overhead, `allocate(overhead, approved minutes per practice, practice
    ids)`: one draft staffing invoice per practice listing hours per person and role.
    One transaction (the job's): a crash leaves nothing."""
    span = rules.month_span(run.month, ZoneInfo(run.timezone))
    worked = []
    for sheet, assignment, request, staff in approved_in(span, for_update=True):
        worked.append(rules.WorkedShift(practice_id=assignment.practice_id, staff_id=staff.id, name=staff.name,
                                        role=request.role, hourly_cost_cents=assignment.hourly_cost_cents,
                                        minutes=sheet.minutes, short_notice=request.short_notice))
        sheet.cost_run_id = run.id
    costs = rules.practice_costs(worked, run.short_notice_premium_percent)
    label = span.starts_at.strftime("%B %Y")
    for practice_id, share in rules.overhead_shares(run.overhead_cents, costs):
        cost = costs[practice_id]
        lines = rules.invoice_lines(cost, share, premium_percent=run.short_notice_premium_percent, month_label=label,
                                    overhead_cents=run.overhead_cents)
        invoice = draft_invoice(practice_id, "staffing", f"staffing:{run.month}:practice:{practice_id}",
                                f"Shared staff {label}", lines, period_start=span.starts_at.date(),
                                period_end=(span.ends_at - dt.timedelta(days=1)).date())
        db.session.add(CostAllocation(cost_run_id=run.id, practice_id=practice_id,
                                      approved_minutes=cost.minutes, labor_cents=cost.labor_cents,
                                      overhead_cents=share, invoice_id=invoice.id if invoice else None))
    run.status, run.finished_at = COST_RUN.done, utcnow()
    run.labor_cents = sum(cost.labor_cents for cost in costs.values())
    run.invoice_count = len(costs)
    audit.record(SYSTEM, "cost_run.finish", run, details={
        "labor_cents": run.labor_cents, "overhead_cents": run.overhead_cents, "invoices": run.invoice_count})
    db.session.flush()
    return {"invoices": run.invoice_count, "labor_cents": run.labor_cents, "overhead_cents": run.overhead_cents}


def cost_run(run_id: int) -> dict:
    """The cost-run job for one run, as the job system runs it (tests call it too)."""
    return COST_RUN.run_once(run_id)
