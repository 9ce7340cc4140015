"""A signed lease's money billed exactly once, over HTTP and in exact cents (the HP 12C
copier lease: $22,000, 48 months, 4 in advance, $6,600 purchase option, 15%: rent
$487.29): a buyout after the month's run drafted a rent due later that month, a lease
run of a month not begun (refused), earlier rents billed by a later run, the lease's
own invoices not voided (credit notes instead), no early termination fee once the term
is over, and which of the n rents each invoice line names."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.billing.models import BillingRun, Invoice
from gpo.db import clock_shifted, db, utcnow
from gpo.leasing import rules
from gpo.leasing.models import Lease
from tests.factories import AssetFactory, LeaseFactory, signed_lease
from tests.helpers import assert_error

RENT = 48729
BALANCE_11, BALANCE_12 = 1727869, 1700738  # the schedule's balance after months 11 and 12


def _today() -> dt.date:
    return utcnow().date()


def _on(day: dt.date):
    """The clock at `day` (call it outside any other shift)."""
    return clock_shifted(day - _today())


def _next_month(day: dt.date) -> dt.date:
    return rules.add_months(day.replace(day=1), 1)


def copier(practice_id: int, commences_on: dt.date, fee: str = "0") -> Lease:
    return signed_lease(practice_id=practice_id, cost_cents=2200000, term_months=48, advance_payments=4,
                        residual_cents=660000, annual_rate_percent=Decimal("15"), commences_on=commences_on,
                        early_termination_fee_percent=Decimal(fee),
                        asset=AssetFactory(cost_cents=2200000, clinical=False, description="HP copier"))


def run(client, world, run_jobs, month: dt.date) -> dict:
    response = client.post("/api/v1/billing-runs", json={"kind": "lease", "month": f"{month:%Y-%m}"},
                           headers=world.headers["mso_finance"])
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert run_jobs(body["job_id"]).status == "finished"
    return client.get(f"/api/v1/billing-runs/{body['id']}", headers=world.headers["mso_finance"]).get_json()


def invoices(**where) -> list[Invoice]:
    db.session.expire_all()
    return db.session.scalars(select(Invoice).filter_by(kind="lease", **where).order_by(Invoice.id)).all()


def billed_cents() -> int:
    return sum(i.subtotal_cents for i in invoices() if i.status != "void")


def void(client, world, invoice_id: int):
    return client.post(f"/api/v1/invoices/{invoice_id}/void", json={"reason": "wrong amount"},
                       headers=world.headers["mso_finance"])


# --- 1. a buyout after the month's run ----------------------------------------------------


def test_a_buyout_after_the_run_drafted_a_rent_due_later_this_month_bills_it_once(client, world, run_jobs):
    month = _next_month(_today())
    lease = copier(world.practice.id, rules.add_months(month, -12).replace(day=20))
    with _on(month.replace(day=3)):  # 11 months ended; month 12's rent falls due on the 20th
        drafted = run(client, world, run_jobs, month)  # drafts rents 2 to 13 of 48 (months 1 to 12)
        assert (drafted["invoice_count"], billed_cents()) == (12, 12 * RENT)
        quote = client.get(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_admin"]).get_json()
        # month 12's rent is billed: it is not in the balance charged (balance_11 = 1,727,869 holds it)
        assert (quote["months_passed"], quote["balance_cents"], quote["payoff_cents"]) == (12, BALANCE_12, BALANCE_12)
        assert (quote["unbilled_rents"], quote["total_cents"]) == ([], BALANCE_12)
        response = client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_admin"])
    assert response.status_code == 200, response.get_data(as_text=True)
    lines = [(line["kind"], line["amount_cents"]) for line in response.get_json()["end_invoice"]["lines"]]
    assert lines == [("buyout", BALANCE_12)]
    assert billed_cents() == 12 * RENT + BALANCE_12  # not 12 x 48,729 + 1,727,869


def test_a_lease_run_of_a_month_not_begun_is_refused_and_a_membership_run_is_not(client, world):
    later = f"{_next_month(_today()):%Y-%m}"
    refused = assert_error(client.post("/api/v1/billing-runs", json={"kind": "lease", "month": later},
                                       headers=world.headers["mso_finance"]), 422)
    assert refused["errors"]["json"]["month"][0].startswith("a lease run bills a month that has begun")
    assert db.session.scalar(select(func.count(BillingRun.id))) == 0
    membership = client.post("/api/v1/billing-runs", json={"kind": "membership", "month": later},
                             headers=world.headers["mso_finance"])
    assert membership.status_code == 202, membership.get_data(as_text=True)
    this_month = client.post("/api/v1/billing-runs", json={"kind": "lease", "month": f"{_today():%Y-%m}"},
                             headers=world.headers["mso_finance"])
    assert this_month.status_code == 202, this_month.get_data(as_text=True)


# --- 2. earlier rents billed by a later run -----------------------------------------------


def test_a_rent_due_in_a_month_already_run_is_billed_by_the_next_months_run(client, world, run_jobs):
    month = _next_month(_today())
    with _on(month.replace(day=15)):
        assert run(client, world, run_jobs, month)["invoice_count"] == 0  # the lease is not there yet
    # signed since: month 1's rent is due on the 10th of that month, its run is over
    lease = copier(world.practice.id, rules.add_months(month, -1).replace(day=10))
    following = _next_month(month)
    with _on(following.replace(day=2)):
        assert run(client, world, run_jobs, following)["invoice_count"] == 2
    keys = [i.source_key for i in invoices()]
    assert keys == [f"lease-run:rent:lease:{lease.id}:month:1", f"lease-run:rent:lease:{lease.id}:month:2"]
    assert billed_cents() == 2 * RENT
    assert {i.period_start for i in invoices()} == {following}


def test_a_voided_rent_is_billed_by_the_next_run_and_the_run_counts_no_void_invoice(client, world, run_jobs):
    month = _next_month(_today())
    lease = copier(world.practice.id, rules.add_months(month, -1).replace(day=10))
    with _on(month.replace(day=15)):
        first = run(client, world, run_jobs, month)
        [rent] = invoices()
        voided = void(client, world, rent.id)  # a rent of the run stays voidable: a run bills it again
        assert voided.status_code == 200, voided.get_data(as_text=True)
        # the month asked again redrafts it, and counts it once (not the void one too)
        assert run(client, world, run_jobs, month)["invoice_count"] == 1
        redrafted = invoices()[-1]
        assert void(client, world, redrafted.id).status_code == 200
    following = _next_month(month)
    with _on(following.replace(day=2)):
        assert run(client, world, run_jobs, following)["invoice_count"] == 2  # month 1 again, and month 2
    assert first["invoice_count"] == 1
    live = [i for i in invoices() if i.status != "void"]
    assert [(i.source_key, i.total_cents) for i in live] == [
        (f"lease-run:rent:lease:{lease.id}:month:1", RENT), (f"lease-run:rent:lease:{lease.id}:month:2", RENT)]
    db.session.expire_all()
    assert db.session.get(Lease, lease.id).schedule[0].invoice_id == live[0].id


# --- 3. the lease's own invoices are corrected, not voided --------------------------------


def test_a_buyout_purchase_or_commencement_invoice_is_not_voided(client, world):
    bought = copier(world.practice.id, rules.add_months(_today(), -12) - dt.timedelta(days=3))
    ended = copier(world.other_practice.id, rules.add_months(_today(), -48) - dt.timedelta(days=3))
    offer = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(clinical=False))
    assert client.post(f"/api/v1/leasing/leases/{bought.id}/buyout", headers=world.headers["practice_admin"]).status_code == 200
    assert client.post(f"/api/v1/leasing/leases/{ended.id}/end", json={"outcome": "purchase"},
                       headers=world.headers["mso_finance"]).status_code == 200
    assert client.post(f"/api/v1/leasing/leases/{offer.id}/sign", headers=world.headers["practice_admin"]).status_code == 200
    for invoice in invoices():
        assert invoice.source_key.startswith("lease:")
        refused = assert_error(void(client, world, invoice.id), 409, contains="credit note")
        assert f"/api/v1/invoices/{invoice.id}/credit-notes" in refused["message"]
    assert [i.status for i in invoices()] == ["open", "open", "open"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "invoice.void")) == 0
    # the rows the buyout billed stay billed by it
    db.session.expire_all()
    assert {r.invoice_id for r in db.session.get(Lease, bought.id).schedule[:12]} == {invoices()[0].id}


# --- 4. no early termination once the term is over ----------------------------------------


def test_once_the_term_is_over_there_is_no_fee_and_no_buyout(client, world):
    lease = copier(world.practice.id, rules.add_months(_today(), -48) - dt.timedelta(days=3), fee="2")
    quote = client.get(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_admin"]).get_json()
    # balance_48 is the residual; 2% of it (13,200) would be a fee for ending early
    assert (quote["months_passed"], quote["balance_cents"], quote["fee_cents"], quote["payoff_cents"]) == (
        48, 660000, 0, 660000)
    assert (len(quote["unbilled_rents"]), quote["total_cents"]) == (44, 660000 + 44 * RENT)
    # rents 1 and 46 to 48 were paid at signing: months 1 to 44 bill rents 2 to 45
    assert [r["rent_number"] for r in quote["unbilled_rents"]] == list(range(2, 46))
    ends = rules.add_months(lease.commences_on, 48)
    refused = assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/buyout",
                                       headers=world.headers["practice_admin"]), 409)
    assert ends.isoformat() in refused["message"] and "purchase at the residual $6,600.00" in refused["message"]
    assert f"/api/v1/leasing/leases/{lease.id}/end" in refused["message"]
    db.session.expire_all()
    assert db.session.get(Lease, lease.id).status == "active" and invoices() == []
    # the day before the term ends it is still early: the fee applies (on balance_47)
    quote = client.get(f"/api/v1/leasing/leases/{lease.id}/buyout?as_of={(ends - dt.timedelta(days=1)).isoformat()}",
                       headers=world.headers["practice_admin"]).get_json()
    balance_47 = lease.schedule[46].balance_cents
    assert (quote["months_passed"], quote["balance_cents"]) == (47, balance_47)
    assert quote["fee_cents"] == rules.cents_half_up(balance_47 * Fraction(2, 100)) > 0


# --- 5. which rent each line names --------------------------------------------------------


def test_with_one_rent_in_advance_the_first_monthly_rent_is_rent_2(client, world, run_jobs):
    offer = LeaseFactory(practice_id=world.practice.id, term_months=12, advance_payments=1,
                         asset=AssetFactory(clinical=False, description="Server"))
    signed = client.post(f"/api/v1/leasing/leases/{offer.id}/sign", headers=world.headers["practice_admin"])
    assert signed.status_code == 200, signed.get_data(as_text=True)
    [commencement] = invoices()
    assert [line.description for line in commencement.lines] == [f"Rent 1 of 12 in advance: Server (lease {offer.id})"]
    first_due = rules.add_months(offer.commences_on, 1)
    with _on(first_due):
        run(client, world, run_jobs, first_due)
    rent = invoices()[-1]
    assert [(line.description, line.amount_cents) for line in rent.lines] == [
        (f"Rent 2 of 12: Server (lease {offer.id})", offer.rent_cents)]
    assert rent.description.startswith(f"Lease {offer.id}: rent 2 of 12, due {first_due.isoformat()}")


def test_in_arrears_the_first_monthly_rent_is_rent_1(client, world, run_jobs):
    month = _next_month(_today())
    lease = signed_lease(practice_id=world.practice.id, term_months=12, advance_payments=0,
                         commences_on=rules.add_months(month, -1).replace(day=10),
                         asset=AssetFactory(clinical=False, description="Server"))
    with _on(month.replace(day=15)):
        run(client, world, run_jobs, month)
    [rent] = invoices()
    assert [(line.description, line.amount_cents) for line in rent.lines] == [
        (f"Rent 1 of 12: Server (lease {lease.id})", lease.rent_cents)]


# --- when a rent falls due, and from when a payoff is quoted --------------------------------


def test_a_rent_invoice_finalized_before_its_date_falls_due_on_the_rents_date(client, world, run_jobs):
    # commenced on the 25th two months back: this month's rent (month 2) is due on the 25th
    today = _today()
    commenced = rules.add_months(today.replace(day=25), -2)
    lease = copier(world.practice.id, commenced)
    with _on(today.replace(day=1)):
        run(client, world, run_jobs, today.replace(day=1))
        rents = [i for i in invoices() if i.period_start == today.replace(day=1)]
        due = rules.add_months(commenced, 2)
        this_months = next(i for i in rents if f"due {due.isoformat()}" in i.description)
        finalized = client.post(f"/api/v1/invoices/{this_months.id}/finalize", headers=world.headers["mso_finance"])
    assert finalized.status_code == 200, finalized.get_data(as_text=True)
    # the rent's own date, not the 30 days' net terms (a back rent, due before it is finalized, takes net terms)
    assert finalized.get_json()["due_on"] == due.isoformat() and lease.schedule[1].invoice_id == this_months.id


def test_a_payoff_is_not_quoted_before_the_lease_commences(client, world):
    lease = copier(world.practice.id, _today() + dt.timedelta(days=10))
    before = (_today() + dt.timedelta(days=9)).isoformat()
    refused = assert_error(client.get(f"/api/v1/leasing/leases/{lease.id}/buyout?as_of={before}",
                                      headers=world.headers["practice_admin"]), 422)
    assert refused["errors"]["query"]["as_of"][0].endswith("a payoff is quoted from then on")
    # without a date, the quote is as of the commencement: nothing passed yet, balance_0 = C - 4 x rent
    quote = client.get(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_admin"]).get_json()
    assert (quote["as_of"], quote["months_passed"], quote["balance_cents"]) == (
        lease.commences_on.isoformat(), 0, 2200000 - 4 * RENT)
