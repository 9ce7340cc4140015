"""Billing over HTTP with hand-computed cents: the close's invoices and service fees,
refusals, finalizing with credits, voids and credit notes, fee schedules, the
membership run, rebates, statements and reports."""
import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from gpo.billing.models import Credit, Invoice, InvoiceLine
from gpo.db import db, utcnow
from gpo.orders.models import Order
from tests.factories import PracticeFactory, ProviderFactory
from tests.helpers import assert_error
from tests.scenarios import TODAY, YEAR, rebate_body


def test_the_close_drafts_one_purchasing_invoice_per_practice_with_its_service_fee(billing):
    billing.buy_and_close()
    a = billing.invoice_of(billing.world.practice, kind="purchasing")
    assert (a["status"], a["number"], a["cycle_id"]) == ("draft", None, billing.cycle.id)
    [line, fee] = a["lines"]
    assert (line["kind"], line["quantity"], line["unit_price"]) == ("product", "60.0000", "17.9910")
    assert (line["list_cents"], line["amount_cents"], line["savings_cents"]) == (119940, 107946, 11994)
    # 2.5% of $1,079.46 = 2698.65 -> 2699, half-up once
    assert (fee["kind"], fee["amount_cents"], a["service_fee_cents"]) == ("service_fee", 2699, 2699)
    assert (a["subtotal_cents"], a["credits_applied_cents"], a["total_cents"]) == (110645, 0, 110645)
    b = billing.invoice_of(billing.world.other_practice, kind="purchasing")
    # the override: 1.75% of $899.55 = 1574.2125 -> 1574
    assert (b["service_fee_percent"], b["service_fee_cents"], b["subtotal_cents"]) == ("1.7500", 1574, 89955 + 1574)
    # the practice sees its own, never the other's
    own = billing.client.get("/api/v1/invoices", headers=billing.world.headers["practice_buyer"]).get_json()
    assert [i["id"] for i in own] == [a["id"]]
    assert_error(billing.client.get(f"/api/v1/invoices/{b['id']}", headers=billing.world.headers["practice_buyer"]), 404)


def test_closing_again_drafts_nothing_twice(billing):
    billing.buy_and_close()
    from gpo.orders.close import close_cycle

    close_cycle(billing.cycle.id)
    assert db.session.scalar(select(func.count(Invoice.id))) == 2
    assert db.session.scalar(select(func.count(InvoiceLine.id)).where(InvoiceLine.kind == "product")) == 2


def test_refused_units_leave_the_draft_invoice_and_its_fee_follows(billing):
    billing.buy_and_close()
    billing.acknowledge(refuse_at_practice_location=10)
    a = billing.invoice_of(billing.world.practice, kind="purchasing")
    line = a["lines"][0]
    # 50 accepted: 50 x 17.991 = 899.55; fee 2.5% = 2248.875 -> 2249
    assert (line["quantity"], line["amount_cents"], line["list_cents"], line["savings_cents"]) == ("50.0000", 89955, 99950, 9995)
    assert (a["service_fee_cents"], a["subtotal_cents"], a["total_cents"]) == (2249, 92204, 92204)
    assert billing.invoice_of(billing.world.other_practice, kind="purchasing")["subtotal_cents"] == 91529


def test_a_line_refused_whole_leaves_the_invoice(billing):
    billing.buy_and_close()
    billing.acknowledge(refuse_at_practice_location=60)
    a = billing.invoice_of(billing.world.practice, kind="purchasing")
    assert (a["lines"], a["subtotal_cents"], a["service_fee_cents"]) == ([], 0, 0)


def test_units_refused_after_finalizing_become_a_credit_note(billing):
    billing.buy_and_close()
    a = billing.invoice_of(billing.world.practice, kind="purchasing")
    issued = billing.finalize(a["id"])
    billing.acknowledge(refuse_at_practice_location=10)
    after = billing.client.get(f"/api/v1/invoices/{a['id']}", headers=billing.finance).get_json()
    assert after["subtotal_cents"] == issued["subtotal_cents"] == 110645  # an open invoice never changes
    note = billing.invoice_of(billing.world.practice, kind="credit")
    # 10 gloves = 179.91; the fee on them: 2699 - 2249 = 450
    assert [(line["kind"], line["amount_cents"]) for line in note["lines"]] == [("adjustment", -17991), ("service_fee", -450)]
    assert (note["status"], note["corrects_invoice_id"], note["total_cents"]) == ("open", a["id"], -18441)
    credits = billing.client.get(f"/api/v1/practices/{billing.world.practice.id}/credits",
                                 headers=billing.world.headers["practice_admin"]).get_json()
    assert credits["balance_cents"] == 18441 and credits["credits"][0]["source"] == "credit_note"


def test_finalizing_numbers_without_gaps_sets_net_30_and_freezes_the_invoice(billing):
    billing.buy_and_close()
    a = billing.finalize(billing.invoice_of(billing.world.practice, kind="purchasing")["id"])
    b = billing.finalize(billing.invoice_of(billing.world.other_practice, kind="purchasing")["id"])
    assert (a["number"], b["number"]) == (f"INV-{YEAR}-000001", f"INV-{YEAR}-000002")
    assert (a["status"], a["issued_on"], a["due_on"]) == ("open", TODAY.isoformat(), (TODAY + dt.timedelta(days=30)).isoformat())
    assert_error(billing.client.post(f"/api/v1/invoices/{a['id']}/finalize", headers=billing.finance), 409,
                 contains="only a draft")
    # the practice's orders are invoiced now
    assert set(db.session.scalars(select(Order.status).where(Order.practice_id == billing.world.practice.id))) == {"invoiced"}


def test_a_failed_finalization_gives_its_number_back(billing, monkeypatch):
    billing.buy_and_close()
    from gpo.billing import invoices

    a = billing.invoice_of(billing.world.practice, kind="purchasing")
    original = invoices.audit.record

    def crash(*args, **kwargs):
        raise RuntimeError("crash after numbering")

    monkeypatch.setattr(invoices.audit, "record", crash)
    monkeypatch.setitem(billing.client.application.config, "PROPAGATE_EXCEPTIONS", False)
    response = billing.client.post(f"/api/v1/invoices/{a['id']}/finalize", headers=billing.finance)
    assert response.status_code == 500
    monkeypatch.setattr(invoices.audit, "record", original)
    assert billing.finalize(a["id"])["number"] == f"INV-{YEAR}-000001"


def _credit(practice, cents, days_ago, source="adjustment"):
    credit = Credit(practice_id=practice.id, source=source, description=f"credit {cents}", amount_cents=cents,
                    remaining_cents=cents, created_at=utcnow() - dt.timedelta(days=days_ago))
    db.session.add(credit)
    db.session.commit()
    return credit


def _membership_invoice(practice, cents, key):
    from gpo.billing.invoices import draft_invoice

    invoice = draft_invoice(practice.id, "membership", key, "Membership", [
        {"kind": "membership", "description": "Membership", "amount_cents": cents}])
    db.session.commit()
    return invoice.id


def test_credits_apply_oldest_first_across_two_invoices_never_below_zero(billing):
    practice = billing.world.practice
    _credit(practice, 5000, days_ago=10)
    _credit(practice, 43636, days_ago=2)
    first = billing.finalize(_membership_invoice(practice, 30000, "m1"))
    assert (first["credits_applied_cents"], first["total_cents"], first["status"]) == (30000, 0, "paid")
    second = billing.finalize(_membership_invoice(practice, 20000, "m2"))
    assert (second["credits_applied_cents"], second["total_cents"], second["status"]) == (18636, 1364, "open")
    credits = billing.client.get(f"/api/v1/practices/{practice.id}/credits",
                                 headers=billing.world.headers["practice_admin"]).get_json()
    assert credits["balance_cents"] == 0
    assert [[(a["invoice_number"], a["amount_cents"]) for a in c["applications"]] for c in credits["credits"]] == [
        [(first["number"], 5000)], [(first["number"], 25000), (second["number"], 18636)]]


def test_voiding_returns_the_credits_it_used(billing):
    practice = billing.world.practice
    _credit(practice, 5000, days_ago=1)
    invoice = billing.finalize(_membership_invoice(practice, 8000, "m1"))
    assert invoice["credits_applied_cents"] == 5000
    voided = billing.client.post(f"/api/v1/invoices/{invoice['id']}/void", json={"reason": "wrong month"},
                                 headers=billing.finance)
    assert voided.status_code == 200 and voided.get_json()["status"] == "void"
    assert db.session.scalar(select(Credit.remaining_cents)) == 5000
    assert_error(billing.client.post(f"/api/v1/invoices/{invoice['id']}/void", json={"reason": "again"},
                                     headers=billing.finance), 409)
    assert_error(billing.client.post(f"/api/v1/invoices/{invoice['id']}/pay", headers={
        **billing.world.headers["practice_admin"], "Idempotency-Key": "p1"}), 409)


def test_a_credit_note_corrects_an_issued_invoice_up_to_its_amount(billing):
    practice = billing.world.practice
    invoice = billing.finalize(_membership_invoice(practice, 8000, "m1"))
    url = f"/api/v1/invoices/{invoice['id']}/credit-notes"
    assert_error(billing.client.post(url, json={"amount_cents": 3000, "reason": "pro-rated"}, headers=billing.finance), 428)
    keyed = {**billing.finance, "Idempotency-Key": "cn-1"}
    note = billing.client.post(url, json={"amount_cents": 3000, "reason": "pro-rated"}, headers=keyed)
    assert billing.client.post(url, json={"amount_cents": 3000, "reason": "pro-rated"}, headers=keyed).get_json()["id"] == \
        note.get_json()["id"]  # a retried request replays: one credit note
    assert note.status_code == 201, note.get_data(as_text=True)
    assert (note.get_json()["kind"], note.get_json()["total_cents"], note.get_json()["number"]) == (
        "credit", -3000, f"INV-{YEAR}-000002")
    assert_error(billing.client.post(url, json={"amount_cents": 5001, "reason": "too much"},
                                     headers={**billing.finance, "Idempotency-Key": "cn-2"}), 422, contains="at most 5000")
    assert_error(billing.client.post(f"/api/v1/invoices/{invoice['id']}/void", json={"reason": "x"}, headers=billing.finance),
                 409, contains="has a credit note")
    assert db.session.scalar(select(func.sum(Credit.remaining_cents))) == 3000
    draft = _membership_invoice(practice, 100, "m2")
    assert_error(billing.client.post(f"/api/v1/invoices/{draft}/credit-notes", json={"amount_cents": 1, "reason": "x"},
                                     headers={**billing.finance, "Idempotency-Key": "cn-3"}), 409)


def test_a_purchasing_invoice_is_corrected_with_credit_notes_never_voided(billing):
    billing.buy_and_close()
    a = billing.finalize(billing.invoice_of(billing.world.practice, kind="purchasing")["id"])
    assert_error(billing.client.post(f"/api/v1/invoices/{a['id']}/void", json={"reason": "x"}, headers=billing.finance),
                 409, contains="credit note")
    # a full credit, then refusals: never more than the invoice
    full = billing.client.post(f"/api/v1/invoices/{a['id']}/credit-notes", json={"amount_cents": 110645, "reason": "all"},
                               headers={**billing.finance, "Idempotency-Key": "all"})
    assert full.status_code == 201
    billing.acknowledge(refuse_at_practice_location=10)
    notes = db.session.scalars(select(Invoice).where(Invoice.kind == "credit")).all()
    assert [n.total_cents for n in notes] == [-110645]
    assert db.session.scalar(select(func.sum(Credit.amount_cents))) == 110645


# --- fee schedules -------------------------------------------------------------------


def test_fee_schedules_default_and_overrides(billing):
    url = f"/api/v1/practices/{billing.world.other_practice.id}/fee-schedule"
    fees = billing.client.get(url, headers=billing.finance).get_json()
    assert fees == {"practice_id": billing.world.other_practice.id, "service_fee_percent": "1.7500",
                    "monthly_membership_cents": 15000, "pmpm_cents": 2500, "overridden": ["service_fee_percent"]}
    assert billing.client.put(url, json={"service_fee_percent": None, "pmpm_cents": 0}, headers=billing.finance).get_json()[
        "overridden"] == ["pmpm_cents"]
    assert billing.client.get(url, headers=billing.finance).get_json()["service_fee_percent"] == "2.5000"


@pytest.mark.parametrize("body, field", [
    ({"service_fee_percent": "-1", "monthly_membership_cents": 0, "pmpm_cents": 0}, "service_fee_percent"),
    ({"service_fee_percent": "100.5", "monthly_membership_cents": 0, "pmpm_cents": 0}, "service_fee_percent"),
    ({"service_fee_percent": "2.12345", "monthly_membership_cents": 0, "pmpm_cents": 0}, "service_fee_percent"),
    ({"service_fee_percent": "2", "monthly_membership_cents": -1, "pmpm_cents": 0}, "monthly_membership_cents"),
    ({"service_fee_percent": "2", "monthly_membership_cents": 1.5, "pmpm_cents": 0}, "monthly_membership_cents"),
    ({"service_fee_percent": "2", "monthly_membership_cents": 0}, "pmpm_cents"),
])
def test_bad_fee_schedules_are_refused_and_change_nothing(billing, body, field):
    response = billing.client.put("/api/v1/fee-schedules/default", json=body, headers=billing.finance)
    assert field in str(assert_error(response, 422)["errors"])
    assert billing.client.get("/api/v1/fee-schedules/default",
                              headers=billing.finance).get_json()["service_fee_percent"] == "2.5000"


# --- the membership run --------------------------------------------------------------


def test_membership_counts_providers_active_on_any_day_of_the_month_and_runs_once(billing, run_jobs):
    w = billing.world  # w.provider: active since 2026-01-01
    ProviderFactory(practice_id=w.practice.id, active_from=dt.date(2026, 12, 15))  # joins mid-month: counts
    ProviderFactory(practice_id=w.practice.id, active_from=dt.date(2025, 1, 1), active_to=dt.date(2026, 12, 1))  # counts
    ProviderFactory(practice_id=w.practice.id, active_from=dt.date(2025, 1, 1), active_to=dt.date(2026, 11, 30))  # gone
    ProviderFactory(practice_id=w.practice.id, active_from=dt.date(2027, 1, 1))  # not yet
    PracticeFactory(status="suspended")
    PracticeFactory(joined_on=dt.date(2027, 1, 1))
    billing.client.put(f"/api/v1/practices/{w.other_practice.id}/fee-schedule", headers=billing.finance,
                       json={"monthly_membership_cents": 10000})
    db.session.commit()
    response = billing.client.post("/api/v1/billing-runs", json={"kind": "membership", "month": "2026-12"},
                                   headers=billing.finance)
    assert response.status_code == 202, response.get_data(as_text=True)
    run = response.get_json()
    assert run_jobs(run["job_id"]).status == "finished"
    a = billing.invoice_of(w.practice, kind="membership")
    assert [(line["kind"], line["amount_cents"]) for line in a["lines"]] == [("membership", 15000), ("pmpm", 7500)]
    assert (a["subtotal_cents"], a["period_start"], a["period_end"]) == (22500, "2026-12-01", "2026-12-31")
    b = billing.invoice_of(w.other_practice, kind="membership")
    assert [(line["kind"], line["amount_cents"]) for line in b["lines"]] == [("membership", 10000)]
    assert db.session.scalar(select(func.count(Invoice.id))) == 2
    again = billing.client.post("/api/v1/billing-runs", json={"kind": "membership", "month": "2026-12"}, headers=billing.finance)
    assert again.status_code == 202 and again.get_json()["id"] == run["id"]
    from gpo.billing.membership import membership_run

    membership_run(run["id"])
    assert db.session.scalar(select(func.count(Invoice.id))) == 2
    got = billing.client.get(f"/api/v1/billing-runs/{run['id']}", headers=billing.finance).get_json()
    assert (got["status"], got["invoice_count"]) == ("finished", 2)
    # a voided month is billed again by running the month again, and only it
    voided = billing.client.post(f"/api/v1/invoices/{b['id']}/void", json={"reason": "wrong fee"}, headers=billing.finance)
    assert voided.status_code == 200, voided.get_data(as_text=True)
    rerun = billing.client.post("/api/v1/billing-runs", json={"kind": "membership", "month": "2026-12"}, headers=billing.finance)
    assert run_jobs(rerun.get_json()["job_id"]).status == "finished"
    assert db.session.scalar(select(func.count(Invoice.id)).where(Invoice.practice_id == w.other_practice.id,
                                                                   Invoice.status == "draft")) == 1
    assert db.session.scalar(select(func.count(Invoice.id))) == 3


@pytest.mark.parametrize("body", [{"kind": "membership", "month": "2026-13"}, {"kind": "membership", "month": "12-2026"},
                                  {"kind": "rent", "month": "2026-12"}, {"kind": "membership"}])
def test_bad_billing_runs_are_refused(billing, body):
    assert_error(billing.client.post("/api/v1/billing-runs", json=body, headers=billing.finance), 422)
    assert_error(billing.client.post("/api/v1/billing-runs", json={"kind": "membership", "month": "2026-12"},
                                     headers=billing.world.headers["practice_admin"]), 403)


# --- rebates -------------------------------------------------------------------------





def test_a_rebate_keeps_the_retained_share_and_credits_practices_by_invoiced_spend(billing):
    billing.buy_and_close()
    for practice in (billing.world.practice, billing.world.other_practice):
        billing.finalize(billing.invoice_of(practice, kind="purchasing")["id"])
    response = billing.client.post("/api/v1/rebates", json=rebate_body(billing),
                                   headers={**billing.finance, "Idempotency-Key": "r1"})
    assert response.status_code == 201, response.get_data(as_text=True)
    rebate = response.get_json()
    # 20% of $1,000 kept; $800 split 107946 : 89955 -> 43636.36 and 36363.64: the cent to the larger remainder
    assert (rebate["retained_cents"], rebate["distributed_cents"]) == (20000, 80000)
    assert [(a["practice_id"], a["spend_cents"], a["amount_cents"]) for a in rebate["allocations"]] == sorted([
        (billing.world.practice.id, 107946, 43636), (billing.world.other_practice.id, 89955, 36364)])
    replay = billing.client.post("/api/v1/rebates", json=rebate_body(billing),
                                 headers={**billing.finance, "Idempotency-Key": "r1"})
    assert replay.get_json()["id"] == rebate["id"]
    assert_error(billing.client.post("/api/v1/rebates", json=rebate_body(billing), headers=billing.finance), 409,
                 contains="already recorded")
    credits = billing.client.get(f"/api/v1/practices/{billing.world.practice.id}/credits",
                                 headers=billing.world.headers["practice_buyer"]).get_json()
    assert (credits["balance_cents"], credits["credits"][0]["rebate_id"]) == (43636, rebate["id"])
    assert billing.client.get(f"/api/v1/rebates/{rebate['id']}",
                              headers=billing.finance).get_json()["allocations"] == rebate["allocations"]


@pytest.mark.parametrize("overrides, status, text", [
    ({}, 422, "no practice has invoiced spend"),  # drafts are not invoiced spend
    ({"retained_percent": "100.01"}, 422, "retained_percent"),
    ({"amount_cents": 0}, 422, "amount_cents"),
    ({"period_end": "2000-01-01"}, 422, "ends before"),
    ({"vendor_id": "other"}, 422, "not a contract of vendor"),
])
def test_bad_rebates_are_refused_and_create_nothing(billing, overrides, status, text):
    billing.buy_and_close()
    if overrides.get("vendor_id") == "other":
        overrides = {"vendor_id": billing.world.other_vendor.id}
    response = billing.client.post("/api/v1/rebates", json=rebate_body(billing, **overrides), headers=billing.finance)
    assert_error(response, status, contains=text)
    assert db.session.scalar(select(func.count(Credit.id))) == 0


# --- statements and reports ----------------------------------------------------------


def test_statements_disclosures_and_savings_add_up_exactly(billing):
    billing.buy_and_close()
    billing.acknowledge(refuse_at_practice_location=10)
    period = f"from={YEAR}-01-01&to={YEAR}-12-31"
    statement = billing.client.get(f"/api/v1/vendors/{billing.world.vendor.id}/statements?{period}",
                                   headers=billing.world.headers["vendor_key"]).get_json()
    [row] = statement["rows"]
    # sales after the refusal: 89955 + 89955; 2% admin fee = 3598.2 -> 3598
    assert (row["sales_cents"], row["admin_fee_percent"], row["admin_fee_cents"]) == (179910, "2.0000", 3598)
    everyone = billing.client.get(f"/api/v1/reports/admin-fee-disclosure?year={YEAR}", headers=billing.finance).get_json()
    assert sum(r["admin_fee_cents"] for r in everyone["rows"]) == statement["admin_fee_cents"] == 3598
    # equal sales: 1799 each
    mine = billing.client.get(f"/api/v1/reports/admin-fee-disclosure?year={YEAR}",
                              headers=billing.world.headers["practice_admin"]).get_json()
    [disclosed] = mine["rows"]
    assert (disclosed["vendor_id"], disclosed["purchases_cents"], disclosed["admin_fee_cents"]) == (
        billing.world.vendor.id, 89955, 1799)
    assert disclosed["contracts"][0]["admin_fee_percent"] == "2.0000"
    savings = billing.client.get(f"/api/v1/reports/savings?{period}", headers=billing.world.headers["practice_buyer"]).get_json()
    assert (savings["list_cents"], savings["paid_cents"], savings["savings_cents"]) == (99950, 89955, 9995)
    assert [(r["category"], r["vendor_name"]) for r in savings["rows"]] == [("supplies", "Acme")]
    assert_error(billing.client.get(f"/api/v1/reports/savings?{period}&practice_id={billing.world.other_practice.id}",
                                    headers=billing.world.headers["practice_buyer"]), 404)
    assert_error(billing.client.get(f"/api/v1/reports/savings?from={YEAR}-12-31&to={YEAR}-01-01",
                                    headers=billing.world.headers["practice_buyer"]), 422)


def test_reports_export_as_csv(billing):
    billing.buy_and_close()
    period = f"from={YEAR}-01-01&to={YEAR}-12-31"
    response = billing.client.get(f"/api/v1/vendors/{billing.world.vendor.id}/statements?{period}",
                                  headers={**billing.finance, "Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["contract_id"], r["sales_cents"], r["admin_fee_cents"]) for r in rows] == [
        (str(billing.contract.id), "197901", "3958")]
    savings = billing.client.get(f"/api/v1/reports/savings?{period}", headers={**billing.finance, "Accept": "text/csv"})
    assert savings.get_data(as_text=True).splitlines()[0] == "category,vendor_id,vendor_name,list_cents,paid_cents,savings_cents"
    disclosure = billing.client.get(f"/api/v1/reports/admin-fee-disclosure?year={YEAR}",
                                    headers={**billing.finance, "Accept": "text/csv"})
    assert sum(int(r["admin_fee_cents"]) for r in csv.DictReader(io.StringIO(disclosure.get_data(as_text=True)))) == 3958


def test_postgresql_refuses_changing_an_issued_invoice_in_the_database_too(billing):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the immutability triggers are PostgreSQL's (runs when TEST_DATABASE_URL is set)")
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    invoice_id = _membership_invoice(billing.world.practice, 8000, "m1")
    db.session.execute(text("UPDATE invoice_lines SET amount_cents = 9000 WHERE invoice_id = :i"), {"i": invoice_id})
    db.session.rollback()  # a draft may change
    billing.finalize(invoice_id)
    for statement in ("UPDATE invoices SET total_cents = 1 WHERE id = :i", "UPDATE invoices SET status = 'draft' WHERE id = :i",
                      "UPDATE invoice_lines SET amount_cents = 1 WHERE invoice_id = :i", "DELETE FROM invoices WHERE id = :i",
                      "INSERT INTO invoice_lines (invoice_id, kind, description, amount_cents) "
                      "VALUES (:i, 'adjustment', 'x', 1)"):
        with pytest.raises(DBAPIError, match="never change"):
            db.session.execute(text(statement), {"i": invoice_id})
        db.session.rollback()
    db.session.execute(text("UPDATE invoices SET status = 'paid', paid_at = now() WHERE id = :i"), {"i": invoice_id})
    db.session.rollback()
