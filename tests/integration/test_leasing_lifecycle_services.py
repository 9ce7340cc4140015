"""The month's rents in the lease billing run, through the job system: drafted once
however often the month is run, a voided rent billed again, nothing after a buyout;
and a rent invoice going the usual way (finalized, a credit applied, paid by card)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from gpo.billing.models import Credit, Invoice
from gpo.db import clock_shifted, db, utcnow
from gpo.leasing import rules
from gpo.leasing.models import Lease
from tests.factories import AssetFactory, signed_lease

RENT = 48729  # the HP 12C copier lease's rent


def copier(practice_id: int, commences_on: dt.date) -> Lease:
    return signed_lease(practice_id=practice_id, cost_cents=2200000, term_months=48, advance_payments=4,
                        residual_cents=660000, annual_rate_percent=Decimal("15"), commences_on=commences_on,
                        asset=AssetFactory(cost_cents=2200000, clinical=False, description="HP copier"))


def _month(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def _run(client, world, run_jobs, month: str) -> dict:
    response = client.post("/api/v1/billing-runs", json={"kind": "lease", "month": month},
                           headers=world.headers["mso_finance"])
    assert response.status_code == 202, response.get_data(as_text=True)
    run = response.get_json()
    assert run_jobs(run["job_id"]).status == "finished"
    return run


def _lease_invoices(**where):
    return db.session.scalars(select(Invoice).filter_by(kind="lease", **where).order_by(Invoice.id)).all()


def test_the_lease_run_drafts_each_rent_due_in_the_month_once(client, world, run_jobs):
    today = utcnow().date()
    lease = copier(world.practice.id, rules.add_months(today, -2).replace(day=10))
    other = copier(world.other_practice.id, rules.add_months(today, -2).replace(day=20))
    month = rules.add_months(today, -1)  # month 1's rents are due then (month 2's after it)
    run = _run(client, world, run_jobs, _month(month))
    a, b = _lease_invoices()
    assert (a.practice_id, b.practice_id) == (world.practice.id, world.other_practice.id)
    assert (a.status, a.source_key, a.total_cents) == ("draft", f"lease-run:rent:lease:{lease.id}:month:1", RENT)
    start = month.replace(day=1)
    assert (a.period_start, a.period_end) == (start, rules.add_months(start, 1) - dt.timedelta(days=1))
    [line] = a.lines
    assert (line.kind, line.amount_cents) == ("rent", RENT)
    # rent 1 of 48 was paid at signing (with 46 to 48): month 1's is rent 2
    assert line.description.startswith(f"Rent 2 of 48: HP copier (lease {lease.id})")
    assert a.description == f"Lease {lease.id}: rent 2 of 48, due {rules.add_months(lease.commences_on, 1).isoformat()}"
    db.session.expire_all()
    assert db.session.get(Lease, lease.id).schedule[0].invoice_id == a.id
    assert db.session.get(Lease, other.id).schedule[0].invoice_id == b.id
    # the month run again (asked again, or its job run again): nothing new
    again = _run(client, world, run_jobs, _month(month))
    assert again["id"] == run["id"]
    from gpo.billing.membership import RUNS

    RUNS["lease"].run_once(run["id"])
    assert len(_lease_invoices()) == 2
    got = client.get(f"/api/v1/billing-runs/{run['id']}", headers=world.headers["mso_finance"]).get_json()
    assert (got["status"], got["invoice_count"]) == ("finished", 2)


def test_a_voided_rent_is_billed_again_by_the_next_run_of_its_month(client, world, run_jobs):
    today = utcnow().date()
    lease = copier(world.practice.id, rules.add_months(today, -2).replace(day=10))
    month = _month(rules.add_months(today, -1))
    _run(client, world, run_jobs, month)
    [first] = _lease_invoices()
    voided = client.post(f"/api/v1/invoices/{first.id}/void", json={"reason": "wrong asset"},
                         headers=world.headers["mso_finance"])
    assert voided.status_code == 200, voided.get_data(as_text=True)
    _run(client, world, run_jobs, month)
    void, redrafted = _lease_invoices()
    assert (void.id, void.status, redrafted.status) == (first.id, "void", "draft")
    assert redrafted.source_key == f"lease-run:rent:lease:{lease.id}:month:1"
    db.session.expire_all()
    assert db.session.get(Lease, lease.id).schedule[0].invoice_id == redrafted.id
    _run(client, world, run_jobs, month)
    assert len(_lease_invoices()) == 2


def test_no_rent_is_billed_after_a_buyout(client, world, run_jobs):
    today = utcnow().date()
    lease = copier(world.practice.id, rules.add_months(today, -3) - dt.timedelta(days=2))
    response = client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_admin"])
    assert response.status_code == 200, response.get_data(as_text=True)
    [buyout] = _lease_invoices()
    assert [line.kind for line in buyout.lines] == ["buyout", "rent", "rent", "rent"]
    next_month = rules.add_months(today, 1)
    with clock_shifted(next_month.replace(day=1) - today):  # a lease run bills a month that has begun
        run = _run(client, world, run_jobs, _month(next_month))
    assert len(_lease_invoices()) == 1
    assert client.get(f"/api/v1/billing-runs/{run['id']}", headers=world.headers["mso_finance"]).get_json()[
        "invoice_count"] == 0
    # this month's (and earlier months') rents went on the buyout invoice: none again
    _run(client, world, run_jobs, _month(today))
    _run(client, world, run_jobs, _month(rules.add_months(today, -1)))
    assert len(_lease_invoices()) == 1


def test_a_rent_invoice_is_finalized_with_a_credit_and_paid_by_card(client, world, run_jobs):
    from gpo.billing import payments

    today = utcnow().date()
    copier(world.practice.id, rules.add_months(today, -2).replace(day=5))
    db.session.add(Credit(practice_id=world.practice.id, source="adjustment", description="goodwill",
                          amount_cents=10000, remaining_cents=10000))
    db.session.commit()
    _run(client, world, run_jobs, _month(rules.add_months(today, -1)))
    [invoice] = _lease_invoices()
    finalized = client.post(f"/api/v1/invoices/{invoice.id}/finalize", headers=world.headers["mso_finance"])
    assert finalized.status_code == 200, finalized.get_data(as_text=True)
    body = finalized.get_json()
    assert (body["status"], body["subtotal_cents"], body["credits_applied_cents"], body["total_cents"]) == (
        "open", RENT, 10000, RENT - 10000)
    assert db.session.scalar(select(func.sum(Credit.remaining_cents))) == 0
    # and paid with the practice's saved card, as any invoice
    card = payments.stripe_client().v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    saved = client.put(f"/api/v1/practices/{world.practice.id}/payment-method",
                       json={"stripe_payment_method_id": card.id}, headers=world.headers["practice_admin"])
    assert saved.status_code == 200, saved.get_data(as_text=True)
    paying = client.post(f"/api/v1/invoices/{invoice.id}/pay",
                         headers={**world.headers["practice_admin"], "Idempotency-Key": "rent-1"})
    assert paying.status_code == 202, paying.get_data(as_text=True)
    attempt = paying.get_json()
    assert attempt["amount_cents"] == RENT - 10000
    assert run_jobs(attempt["job_id"]).status == "finished"
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "paid"
