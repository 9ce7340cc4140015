"""Billing's use cases called directly (no HTTP), each in its own unit of work: a rebate
shared out to the cent, finalizing, voiding and crediting an invoice, the membership run
(each practice's invoice once, however often it runs), the fee schedule."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gpo import jobs
from gpo.audit import AuditEvent
from gpo.auth.principal import SYSTEM
from gpo.auth.services import principal_for_user
from gpo.billing import invoices, membership, rebates
from gpo.billing.models import BillingRun, Credit, Invoice, RebateAllocation
from gpo.db import db, transactional, unit_of_work, utcnow
from gpo.errors import Conflict, Invalid
from tests.factories import ContractFactory, MsoFactory, PracticeFactory, ProviderFactory, UserFactory


@pytest.fixture
def finance(db_ctx):
    mso = MsoFactory()
    return principal_for_user(UserFactory(organization_id=mso.id, roles=("mso_finance",)))


def _open_invoice(practice_id: int, lines: list[dict], kind: str = "membership", key: str | None = None) -> int:
    with unit_of_work():
        invoice = invoices.draft_invoice(practice_id, kind, key or f"{kind}:test:{practice_id}:{len(lines)}",
                                         "Test invoice", lines)
        invoices.issue(invoice, SYSTEM)
        return invoice.id


def _membership_line(cents: int) -> dict:
    return {"kind": "membership", "description": "Membership", "quantity": 1, "amount_cents": cents}


# --- rebates -------------------------------------------------------------------------


def test_a_rebate_keeps_the_retained_share_and_credits_each_practice_its_share_to_the_cent(finance):
    contract = ContractFactory()
    a, b, c, idle = PracticeFactory(), PracticeFactory(), PracticeFactory(), PracticeFactory()
    for practice, cents in ((a, 20000), (b, 10000), (c, 10000)):
        _open_invoice(practice.id, [{"kind": "product", "description": "Gloves", "contract_id": contract.id,
                                     "vendor_id": contract.vendor_id, "amount_cents": cents}], kind="purchasing")
    today = utcnow().date()
    with unit_of_work():
        rebate = rebates.record_rebate(finance, {
            "vendor_id": contract.vendor_id, "contract_id": contract.id, "period_start": today - dt.timedelta(days=1),
            "period_end": today, "amount_cents": 100001, "retained_percent": Decimal("20"), "notes": "Q4"})
        rebate_id = rebate.id
    rebate = db.session.get(type(rebate), rebate_id)
    assert (rebate.retained_cents, rebate.distributed_cents) == (20000, 80001)
    allocations = db.session.scalars(select(RebateAllocation).where(RebateAllocation.rebate_id == rebate_id)
                                     .order_by(RebateAllocation.practice_id)).all()
    assert [(x.practice_id, x.spend_cents, x.amount_cents) for x in allocations] == [
        (a.id, 20000, 40001), (b.id, 10000, 20000), (c.id, 10000, 20000)]  # the odd cent: the largest remainder
    credits = {x.practice_id: (x.amount_cents, x.remaining_cents) for x in db.session.scalars(select(Credit))}
    assert credits == {a.id: (40001, 40001), b.id: (20000, 20000), c.id: (20000, 20000)}
    assert idle.id not in credits
    # the same contract and period again: refused
    with pytest.raises(Conflict), unit_of_work():
        rebates.record_rebate(finance, {
            "vendor_id": contract.vendor_id, "contract_id": contract.id, "period_start": today - dt.timedelta(days=1),
            "period_end": today, "amount_cents": 500, "retained_percent": Decimal("0")})


def test_a_rebate_with_no_invoiced_spend_or_another_vendors_contract_is_refused(finance):
    contract, other = ContractFactory(), ContractFactory()
    today = utcnow().date()
    data = {"vendor_id": contract.vendor_id, "contract_id": contract.id, "period_start": today,
            "period_end": today, "amount_cents": 1000, "retained_percent": Decimal("10")}
    with pytest.raises(Invalid, match="no practice has invoiced spend"), unit_of_work():
        rebates.record_rebate(finance, data)
    with pytest.raises(Invalid, match="not a contract of vendor"), unit_of_work():
        rebates.record_rebate(finance, {**data, "vendor_id": other.vendor_id})


# --- invoices ------------------------------------------------------------------------


def test_finalizing_applies_credits_oldest_first_numbers_and_dates_the_invoice(finance, app):
    practice = PracticeFactory()
    with unit_of_work():
        db.session.add_all([Credit(practice_id=practice.id, source="rebate", description="old", amount_cents=3000,
                                   remaining_cents=3000),
                            Credit(practice_id=practice.id, source="rebate", description="new", amount_cents=5000,
                                   remaining_cents=5000)])
        draft = invoices.draft_invoice(practice.id, "membership", "membership:t:1", "Membership",
                                       [_membership_line(15000), _membership_line(-2000)])
        assert (draft.status, draft.subtotal_cents, draft.total_cents, draft.number) == ("draft", 13000, 13000, None)
        draft_id = draft.id
    with unit_of_work():
        invoice = invoices.finalize(finance, draft_id)
        assert (invoice.status, invoice.credits_applied_cents, invoice.total_cents) == ("open", 8000, 5000)
        year = invoice.issued_on.year
        assert invoice.number == f"INV-{year}-000001"
        assert invoice.due_on - invoice.issued_on == dt.timedelta(days=app.config["INVOICE_NET_DAYS"])
    assert sorted(c.remaining_cents for c in db.session.scalars(select(Credit))) == [0, 0]
    with pytest.raises(Conflict, match="only a draft can be finalized"), unit_of_work():
        invoices.finalize(finance, draft_id)
    # credits that cover the whole invoice: paid at once, numbered next
    with unit_of_work():
        db.session.add(Credit(practice_id=practice.id, source="rebate", description="big", amount_cents=900,
                              remaining_cents=900))
        covered = invoices.draft_invoice(practice.id, "membership", "membership:t:2", "Membership",
                                         [_membership_line(900)])
        covered = invoices.finalize(finance, covered.id)
        assert (covered.status, covered.total_cents, covered.number) == ("paid", 0, f"INV-{year}-000002")


def test_voiding_gives_the_credits_back_and_releases_what_it_billed(finance):
    practice = PracticeFactory()
    with unit_of_work():
        db.session.add(Credit(practice_id=practice.id, source="rebate", description="c", amount_cents=4000,
                              remaining_cents=4000))
    invoice_id = _open_invoice(practice.id, [_membership_line(10000)], key="membership:2026-12:practice:x")
    assert db.session.get(Invoice, invoice_id).credits_applied_cents == 4000
    with unit_of_work():
        invoice = invoices.void(finance, invoice_id, "wrong fee")
        assert (invoice.status, invoice.void_reason) == ("void", "wrong fee")
        assert invoice.source_key == f"membership:2026-12:practice:x:void:{invoice_id}"
    assert db.session.scalars(select(Credit)).one().remaining_cents == 4000
    # the released key drafts anew
    with unit_of_work():
        assert invoices.draft_invoice(practice.id, "membership", "membership:2026-12:practice:x", "Again",
                                      [_membership_line(10000)]) is not None
    with pytest.raises(Conflict, match="only a draft or open invoice"), unit_of_work():
        invoices.void(finance, invoice_id, "twice")


def test_crediting_an_invoice_issues_a_credit_note_and_a_credit_up_to_what_is_left(finance):
    practice = PracticeFactory()
    invoice_id = _open_invoice(practice.id, [_membership_line(10000)])
    with unit_of_work():
        note = invoices.credit_invoice(finance, invoice_id, 2500, "overbilled")
        assert (note.kind, note.status, note.corrects_invoice_id) == ("credit", "open", invoice_id)
        assert (note.subtotal_cents, note.total_cents, note.credits_applied_cents) == (-2500, -2500, 0)
        assert note.number is not None
        note_id = note.id
    credit = db.session.scalars(select(Credit)).one()
    assert (credit.source, credit.invoice_id, credit.amount_cents, credit.remaining_cents) == (
        "credit_note", note_id, 2500, 2500)
    with pytest.raises(Invalid, match="at most 7500 cents"), unit_of_work():
        invoices.credit_invoice(finance, invoice_id, 7501, "too much")
    with unit_of_work():
        invoices.credit_invoice(finance, invoice_id, 7500, "the rest")
    with pytest.raises(Conflict, match="credit note"), unit_of_work():
        invoices.void(finance, invoice_id, "credited already")
    with pytest.raises(Conflict, match="only an issued invoice is credited"), unit_of_work():
        invoices.credit_invoice(finance, note_id, 1, "a note")


# --- the membership run --------------------------------------------------------------


@pytest.fixture
def queued_only(monkeypatch):
    """Jobs are queued, not dispatched: the test runs them with jobs.run."""
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)


def _membership_count() -> int:
    return db.session.scalar(select(func.count(Invoice.id)).where(Invoice.kind == "membership"))


def test_the_membership_run_drafts_each_practices_invoice_once(finance, queued_only):
    with unit_of_work():
        invoices.put_fee_schedule(finance, None, {"service_fee_percent": Decimal("2.5"),
                                                  "monthly_membership_cents": 15000, "pmpm_cents": 2500})
    a, b = PracticeFactory(), PracticeFactory()
    PracticeFactory(status="suspended")
    PracticeFactory(joined_on=dt.date(2027, 1, 1))  # joins after the month
    for active_to in (None, dt.date(2026, 12, 1), dt.date(2026, 11, 30)):  # the last left before the month
        ProviderFactory(practice_id=a.id, active_to=active_to)
    with unit_of_work():
        invoices.put_fee_schedule(finance, b.id, {"monthly_membership_cents": 10000, "pmpm_cents": None})
    with unit_of_work():
        run, created = membership.request_billing_run(finance, {"kind": "membership", "month": "2026-12"})
        run_id, job_id = run.id, run.job_id
    assert created and run.status == "queued"
    assert jobs.run(job_id) == {"invoices": 2, "created": 2}
    first = {i.practice_id: (i.status, i.subtotal_cents, [(x.kind, x.quantity, x.amount_cents) for x in i.lines])
             for i in db.session.scalars(select(Invoice).where(Invoice.kind == "membership"))}
    assert first == {a.id: ("draft", 20000, [("membership", 1, 15000), ("pmpm", 2, 5000)]),
                     b.id: ("draft", 10000, [("membership", 1, 10000)])}
    assert jobs.run(job_id) == {"invoices": 2, "created": 2}  # a finished job: its result, nothing run
    assert transactional(membership.membership_run)(run_id) == {"invoices": 2}  # a finished run: untouched
    # asked again: the same run, run again, nothing new
    with unit_of_work():
        again, created = membership.request_billing_run(finance, {"kind": "membership", "month": "2026-12"})
        assert (again.id, created, again.status) == (run_id, False, "queued")
        rerun_job = again.job_id
    assert rerun_job != job_id
    assert jobs.run(rerun_job) == {"invoices": 2, "created": 0}
    assert _membership_count() == 2
    assert db.session.get(BillingRun, run_id).status == "finished"


def test_a_run_that_fails_for_good_is_marked_failed_and_may_be_run_again(finance, queued_only, monkeypatch, app):
    with unit_of_work():
        invoices.put_fee_schedule(finance, None, {"service_fee_percent": Decimal("0"),
                                                  "monthly_membership_cents": 5000, "pmpm_cents": 0})
    PracticeFactory()
    with unit_of_work():
        run, _ = membership.request_billing_run(finance, {"kind": "membership", "month": "2026-11"})
        run_id, job_id = run.id, run.job_id

    def broken(practice_ids):
        raise RuntimeError("the fee table is unreadable")

    monkeypatch.setattr(membership, "effective_fees", broken)
    for _ in range(app.config["JOB_MAX_ATTEMPTS"]):
        with pytest.raises(RuntimeError):
            jobs.run(job_id)
    db.session.expire_all()
    assert db.session.get(BillingRun, run_id).status == "failed"
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "billing_runs",
                                                             AuditEvent.action == "billing_run.fail")) is not None
    assert _membership_count() == 0
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)
    with unit_of_work():
        again, created = membership.request_billing_run(finance, {"kind": "membership", "month": "2026-11"})
        assert (again.id, created, again.status) == (run_id, False, "queued")
        rerun_job = again.job_id
    assert jobs.run(rerun_job) == {"invoices": 1, "created": 1}


# --- the fee schedule ----------------------------------------------------------------


def test_a_practice_override_beats_the_default_and_a_null_inherits_it(finance):
    overriding, plain = PracticeFactory(), PracticeFactory()
    assert invoices.effective_fees([plain.id])[plain.id] == invoices.Fees(Decimal(0), 0, 0)  # nothing set: zero
    with unit_of_work():
        invoices.put_fee_schedule(finance, None, {"service_fee_percent": Decimal("2.5"),
                                                  "monthly_membership_cents": 15000, "pmpm_cents": 2500})
        view = invoices.put_fee_schedule(finance, overriding.id, {"service_fee_percent": Decimal("1.75"),
                                                                  "monthly_membership_cents": None})
    assert view == {"practice_id": overriding.id, "service_fee_percent": Decimal("1.75"),
                    "monthly_membership_cents": 15000, "pmpm_cents": 2500, "overridden": ["service_fee_percent"]}
    fees = invoices.effective_fees([overriding.id, plain.id])
    assert fees[overriding.id] == invoices.Fees(Decimal("1.75"), 15000, 2500)
    assert fees[plain.id] == invoices.Fees(Decimal("2.5"), 15000, 2500)
    # the default changes: the override keeps its own field and inherits the rest
    with unit_of_work():
        invoices.put_fee_schedule(finance, None, {"service_fee_percent": Decimal("3"),
                                                  "monthly_membership_cents": 9000, "pmpm_cents": 0})
    assert invoices.effective_fees([overriding.id])[overriding.id] == invoices.Fees(Decimal("1.75"), 9000, 0)
    with pytest.raises(Invalid, match="needs every field"), unit_of_work():
        invoices.put_fee_schedule(finance, None, {"service_fee_percent": Decimal("3")})
