"""The settlement run's job is idempotent: run again (a retry, a second ask, a crash at
any point) it pays no invoice twice and makes one settlement per vendor and date. The
guards are the database's: the unique (vendor_id, through), and invoices taken under
their row locks only while `settlement_id IS NULL` (PostgreSQL races below)."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from gpo import jobs
from gpo.db import db, unit_of_work
from gpo.jobs import Job
from gpo.payables import settlements
from gpo.payables.models import SettlementDeduction, VendorInvoice, VendorSettlement
from tests.settling import TODAY, nets_its_fee, run_directly, settle, shipped_and_received, vendor_invoice


@pytest.fixture
def invoiced(after_close):
    shipped_and_received(after_close)
    nets_its_fee(after_close, "2")
    world = after_close.world
    vendor_invoice(after_close, "INV-1", [(after_close.line(world.location), 60)], freight_cents=500,
                   issued_on=TODAY - dt.timedelta(days=2))
    vendor_invoice(after_close, "INV-2", [(after_close.line(after_close.other_location), 40)])
    return after_close


def _state():
    db.session.expire_all()
    settled = db.session.execute(select(VendorInvoice.number, VendorInvoice.settlement_id).order_by(VendorInvoice.id)).all()
    return (db.session.scalar(select(func.count(VendorSettlement.id))),
            db.session.scalar(select(func.count()).select_from(SettlementDeduction)), [tuple(r) for r in settled])


def test_running_the_job_twice_creates_nothing_the_second_time(invoiced):
    first = run_directly()
    assert first["created"] == 1
    before = _state()
    second = run_directly()
    assert second == {**first, "created": 0}
    assert _state() == before
    count, deductions, settled = before
    assert count == 1 and deductions == 2 and len({s for _, s in settled}) == 1
    # 60 boxes: 107,946 + 500 freight; 40 boxes: 71,964. 2%: 2,158.92 -> 2,159 and 1,439.28 -> 1,439.
    settlement = db.session.scalars(select(VendorSettlement)).one()
    assert (settlement.invoices_cents, settlement.deductions_cents, settlement.payable_cents) == (180410, 3598, 176812)


def test_a_crash_after_the_settlement_is_written_keeps_nothing_and_the_retry_pays_once(invoiced, monkeypatch):
    real = settlements.audit.record
    crashes = []

    def crash_once(principal, action, obj, **kwargs):
        if action == "vendor_settlement.create" and not crashes:
            crashes.append(obj.id)
            raise RuntimeError("the worker died after writing the settlement")
        return real(principal, action, obj, **kwargs)

    monkeypatch.setattr(settlements.audit, "record", crash_once)
    # the job's row as POST /vendor-settlements queues it, run here by the job system itself
    row = Job(kind=settlements.SETTLEMENT_RUN, created_by="test", max_attempts=3,
              args={"through": str(TODAY), "vendor_id": None, "requested_by": "test"})
    db.session.add(row)
    db.session.commit()
    with pytest.raises(RuntimeError):
        jobs.run(row.id)
    assert crashes and _state()[0] == 0  # the attempt's work rolled back: nothing kept
    result = jobs.run(row.id)
    db.session.expire_all()
    job = db.session.get(Job, row.id)
    assert job.status == "finished" and job.attempts == 2 and result["created"] == 1
    count, deductions, settled = _state()
    assert count == 1 and deductions == 2
    assert {s for _, s in settled} == set(result["settlements"])
    assert jobs.run(row.id) == result and _state() == (count, deductions, settled)  # finished: a no-op


def test_a_crash_before_anything_is_written_then_a_rerun(invoiced, monkeypatch):
    calls = []
    real = settlements.settle_vendor

    def crash_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("lost the database connection")
        return real(*args, **kwargs)

    monkeypatch.setattr(settlements, "settle_vendor", crash_first)
    with pytest.raises(RuntimeError):
        run_directly()
    assert _state()[0] == 0
    assert run_directly()["created"] == 1 and run_directly()["created"] == 0
    assert _state()[0] == 1


def test_a_settlement_already_made_for_the_date_is_left_alone(invoiced):
    run_directly(through=TODAY - dt.timedelta(days=1))  # INV-1 only
    vendor_invoice(invoiced, "INV-0", [(invoiced.line(invoiced.other_location), 10)], issued_on=TODAY - dt.timedelta(days=5))
    assert run_directly(through=TODAY - dt.timedelta(days=1))["created"] == 0  # that date is settled for Acme
    assert run_directly()["created"] == 1  # today's takes INV-0 and INV-2
    _, _, settled = _state()
    by_number = dict(settled)
    assert by_number["INV-0"] == by_number["INV-2"] != by_number["INV-1"]


def test_the_job_is_registered_and_its_result_lists_the_settlements(invoiced):
    response = settle(invoiced.client, invoiced.world, vendor_id=invoiced.world.vendor.id)
    job = invoiced.run_jobs(response.get_json()["job_id"])
    assert job.kind == settlements.SETTLEMENT_RUN and job.status == "finished"
    assert job.result["created"] == 1 and len(job.result["settlements"]) == 1
    settlement = db.session.get(VendorSettlement, job.result["settlements"][0])
    assert settlement.job_id == job.id and settlement.requested_by == "mso_finance@example.test"


def _run_at_once(app, throughs):
    """The job function for each date at once, in its own thread and unit of work."""
    barrier = threading.Barrier(len(throughs))
    results, errors = [None] * len(throughs), []

    def worker(i, through):
        with app.app_context():
            try:
                barrier.wait()
                with unit_of_work():
                    results[i] = settlements.run_settlements(str(through), None, f"racer {i}")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, t)) for i, t in enumerate(throughs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_two_runs_through_the_same_date_at_once_settle_once(app, invoiced, postgresql_only):
    results, errors = _run_at_once(app, [TODAY, TODAY, TODAY])
    assert not errors, errors
    assert sorted(r["created"] for r in results) == [0, 0, 1]
    count, deductions, settled = _state()
    assert count == 1 and deductions == 2 and len({s for _, s in settled}) == 1


def test_runs_through_two_dates_at_once_never_pay_an_invoice_twice(app, invoiced, postgresql_only):
    results, errors = _run_at_once(app, [TODAY - dt.timedelta(days=1), TODAY])
    assert not errors, errors
    db.session.expire_all()
    made = db.session.scalars(select(VendorSettlement)).all()
    invoices = db.session.scalars(select(VendorInvoice)).all()
    assert all(i.settlement_id is not None for i in invoices)
    assert sum(s.invoices_cents for s in made) == sum(i.total_cents for i in invoices) == 180410
    assert sum(s.deductions_cents for s in made) == 3598
    assert all(s.payable_cents == s.invoices_cents - s.deductions_cents for s in made)
