"""The demo's billing: the MSO's fees, the last cycle's invoices, Acme's rebate shared
out as credits, and this month's membership run."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from gpo.accounts.models import Organization, Practice
from gpo.billing import invoices, membership, rebates
from gpo.billing.models import BillingRun, Invoice, Rebate
from gpo.contracts.models import Contract
from gpo.db import db, utcnow
from gpo.demo.common import principal_of, wait_until_done
from gpo.orders.models import Cycle


def seed_fees() -> list[str]:
    """The MSO's default fees (before the close, so its invoices carry the service fee)
    and one practice's negotiated override."""
    finance = principal_of("finance@summit-mso.example")
    if invoices.default_schedule() is None:
        invoices.put_fee_schedule(finance, None, {"service_fee_percent": Decimal("2.5"),
                                                  "monthly_membership_cents": 15000, "pmpm_cents": 2500})
        riverbend = db.session.scalars(select(Practice).where(Organization.name == "Riverbend Pediatrics")).one()
        invoices.put_fee_schedule(finance, riverbend.id, {"service_fee_percent": Decimal("1.75")})
    return ["Fees: 2.5% service fee, $150.00 membership + $25.00 PMPM (Riverbend Pediatrics: 1.75% service fee)"]


def seed_billing() -> list[str]:
    """The last cycle's invoices finalized, Acme's quarterly rebate shared out as
    credits, last month's membership run with its invoices finalized (the credits
    applied), and this month's run finished with its invoices left as drafts: work
    waiting for finance@summit-mso.example in the console (Invoices, ?status=draft)."""
    finance = principal_of("finance@summit-mso.example")
    past = db.session.scalars(select(Cycle).where(Cycle.name == "Demo: last cycle")).one()
    _finalize_drafts(finance, Invoice.cycle_id == past.id)
    contract = db.session.scalars(select(Contract).where(Contract.title == "Exam room supplies and equipment")).one()
    today = utcnow().date()
    _record_quarterly_rebate(finance, contract, today)
    this_month = today.replace(day=1)
    last_month = this_month - dt.timedelta(days=1)
    _run_membership(finance, f"{last_month:%Y-%m}")
    _finalize_drafts(finance, Invoice.kind == "membership", Invoice.period_start == last_month.replace(day=1))
    _run_membership(finance, f"{this_month:%Y-%m}")  # its drafts wait for finance to finalize
    issued = db.session.scalar(select(func.count(Invoice.id)).where(Invoice.status != "draft"))
    drafts = db.session.scalar(select(func.count(Invoice.id)).where(
        Invoice.status == "draft", Invoice.kind == "membership", Invoice.period_start == this_month))
    return ["Billing:",
            f" {issued} invoices issued (GET /api/v1/invoices as finance@summit-mso.example or a practice's admin)",
            " Acme's rebate shared out as credits (GET /api/v1/practices/{id}/credits), membership for "
            f"{last_month:%Y-%m} finalized",
            f" {drafts} draft membership invoices for {this_month:%Y-%m}: finance@summit-mso.example finalizes them "
            "at /console/invoices?status=draft (the billing runs: /console/billing-runs)",
            " make demo: a whole cycle over HTTP, paid through Stripe (localstripe)"]


def _finalize_drafts(finance, *which) -> None:
    """Finalize the draft invoices that `which` (conditions on Invoice) pick."""
    for invoice_id in db.session.scalars(select(Invoice.id).where(*which, Invoice.status == "draft")):
        invoices.finalize(finance, invoice_id)


def _record_quarterly_rebate(finance, contract: Contract, today: dt.date) -> None:
    """Acme's rebate on the contract for the quarter of `today`, once."""
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarter_end = (quarter_start + dt.timedelta(days=92)).replace(day=1) - dt.timedelta(days=1)
    if db.session.scalars(select(Rebate).where(Rebate.contract_id == contract.id)).first() is None:
        rebates.record_rebate(finance, {
            "vendor_id": contract.vendor_id, "contract_id": contract.id, "period_start": quarter_start,
            "period_end": quarter_end, "amount_cents": 50000, "retained_percent": Decimal("20"),
            "notes": "Acme's quarterly volume rebate"})


def _run_membership(finance, month: str) -> None:
    """The month's membership billing run, once (a job: wait for it)."""
    run = db.session.scalars(select(BillingRun).where(BillingRun.month == month)).first()
    if run is None:
        run, _ = membership.request_billing_run(finance, {"kind": "membership", "month": month})
        wait_until_done(f"the membership run for {month}", select(BillingRun.status).where(BillingRun.id == run.id),
                        ("finished", "failed"))
