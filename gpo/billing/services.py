"""Rebates (shared out as credits) and the monthly membership run (DOMAIN.md "Billing")."""
from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import func, or_, select

from gpo import audit
from gpo.accounts.models import Practice, Provider
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.billing.inputs import BillingRunRequest, RebateInput
from gpo.billing.invoices import draft_invoice, effective_fees
from gpo.billing.models import (
    FINALIZED_STATUSES,
    BillingRun,
    Credit,
    Invoice,
    InvoiceLine,
    Rebate,
    RebateAllocation,
)
from gpo.contracts.models import Contract
from gpo.db import db, flush_or_conflict, flush_unless_duplicate, lock_row, utcnow
from gpo.errors import Invalid, NotFound
from gpo.jobs import RunLifecycle
from gpo.money import allocate, format_dollars, percent_of_cents

# --- rebates -------------------------------------------------------------------------


def invoiced_spend(contract_id: int, start: dt.date, end: dt.date) -> dict[int, int]:
    """Each practice's invoiced spend on a contract in a period: the paid cents of its
    issued purchasing invoices' lines on that contract (less credit notes for refused
    units), by the invoice's issue date."""
    rows = db.session.execute(
        select(Invoice.practice_id, func.sum(InvoiceLine.amount_cents))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.contract_id == contract_id, InvoiceLine.kind.in_(("product", "adjustment")),
               Invoice.kind.in_(("purchasing", "credit")), Invoice.status.in_(FINALIZED_STATUSES),
               Invoice.issued_on >= start, Invoice.issued_on <= end)
        .group_by(Invoice.practice_id)
    ).all()
    return {practice_id: int(cents) for practice_id, cents in rows if cents and cents > 0}


def record_rebate(principal: Principal, data: RebateInput) -> Rebate:
    """The MSO keeps its retained share; the rest is allocated to practices by their
    invoiced spend on the contract in the period, each share a credit for their next
    invoices."""
    policy.authorize(principal, "rebate.create")
    contract = db.session.get(Contract, data["contract_id"])
    if contract is None or contract.vendor_id != data["vendor_id"]:
        raise Invalid(f"contract {data['contract_id']} is not a contract of vendor {data['vendor_id']}",
                      {"json": {"contract_id": ["not a contract of this vendor"]}})
    if data["period_end"] < data["period_start"]:
        raise Invalid("the period ends before it starts", {"json": {"period_end": ["before period_start"]}})
    spend = invoiced_spend(contract.id, data["period_start"], data["period_end"])
    if not spend:
        raise Invalid(f"no practice has invoiced spend on contract {contract.id} between "
                      f"{data['period_start']} and {data['period_end']}: nothing to share the rebate by",
                      {"json": {"period_start": ["no invoiced spend in this period"]}})
    retained = percent_of_cents(data["amount_cents"], data["retained_percent"])
    distributable = data["amount_cents"] - retained
    practice_ids = sorted(spend)
    shares = allocate(distributable, [spend[p] for p in practice_ids], practice_ids)
    rebate = Rebate(vendor_id=contract.vendor_id, contract_id=contract.id, period_start=data["period_start"],
                    period_end=data["period_end"], amount_cents=data["amount_cents"],
                    retained_percent=data["retained_percent"], retained_cents=retained,
                    distributed_cents=distributable, notes=data.get("notes", ""), recorded_by=principal.label)
    db.session.add(rebate)
    flush_or_conflict(f"a rebate for contract {contract.id} from {data['period_start']} to {data['period_end']} "
                      "is already recorded")
    period = f"{data['period_start']}..{data['period_end']}"
    for practice_id, share in zip(practice_ids, shares, strict=True):
        credit = None
        if share > 0:
            credit = Credit(practice_id=practice_id, source="rebate", rebate_id=rebate.id, amount_cents=share,
                            remaining_cents=share,
                            description=f"Rebate on {contract.title}, {period}: your share of {format_dollars(distributable)}")
            db.session.add(credit)
            db.session.flush()
        db.session.add(RebateAllocation(rebate_id=rebate.id, practice_id=practice_id, spend_cents=spend[practice_id],
                                        amount_cents=share, credit_id=credit.id if credit else None))
    audit.record(principal, "rebate.create", rebate, details={
        "amount_cents": rebate.amount_cents, "retained_cents": retained, "distributed_cents": distributable,
        "practices": len(practice_ids)})
    db.session.flush()
    db.session.refresh(rebate)
    return rebate


def get_rebate(principal: Principal, rebate_id: int) -> Rebate:
    return policy.load(principal, Rebate, rebate_id, "rebate.read")


# --- the membership run --------------------------------------------------------------


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, number = int(month[:4]), int(month[5:7])
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


# A month's run: queued until its job runs, then finished (asked again, a rerun drafts
# only what is missing) or, after the job's last retry, failed.
MEMBERSHIP_RUN = RunLifecycle(kind="billing.membership_run", model=BillingRun, id_arg="run_id",
                              failed_action="billing_run.fail", summary=lambda run: {"invoices": run.invoice_count})


def request_billing_run(principal: Principal, data: BillingRunRequest) -> tuple[BillingRun, bool]:
    """One run per kind and month: asking again returns the first run (created=False)."""
    policy.authorize(principal, "billing_run.create")
    existing = db.session.scalars(select(BillingRun).where(
        BillingRun.kind == data["kind"], BillingRun.month == data["month"]).with_for_update()).one_or_none()
    if existing is not None:
        if existing.status in (MEMBERSHIP_RUN.done, MEMBERSHIP_RUN.failed):
            # Run it again: it drafts only what is missing (an invoice voided since, a
            # practice activated since); with nothing missing it creates nothing.
            existing.finished_at = None
            MEMBERSHIP_RUN.start(principal, existing)
            audit.record(principal, "billing_run.rerun", existing, details={"month": existing.month})
            db.session.flush()
        return existing, False
    run = BillingRun(kind=data["kind"], month=data["month"], status=MEMBERSHIP_RUN.waiting, requested_by=principal.label)
    if not flush_unless_duplicate(run):  # asked at the same moment by someone else: theirs stands
        return db.session.scalars(select(BillingRun).where(
            BillingRun.kind == data["kind"], BillingRun.month == data["month"])).one(), False
    MEMBERSHIP_RUN.start(principal, run)
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
    run = lock_row(BillingRun, run_id)
    if run is None:
        raise NotFound(f"billing run {run_id} not found")
    if run.status == MEMBERSHIP_RUN.done:
        return MEMBERSHIP_RUN.summary(run)
    return bill_month(run)


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
        f, providers = fees[practice.id], counts.get(practice.id, 0)
        lines = []
        if f.monthly_membership_cents:
            lines.append({"kind": "membership", "description": f"Membership, {label}",
                          "quantity": 1, "amount_cents": f.monthly_membership_cents})
        if f.pmpm_cents and providers:
            pmpm = format_dollars(f.pmpm_cents)
            lines.append({"kind": "pmpm", "description": f"{providers} providers x {pmpm} per member, {label}",
                          "quantity": providers, "amount_cents": f.pmpm_cents * providers})
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
