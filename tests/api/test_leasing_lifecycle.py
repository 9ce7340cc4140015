"""A signed lease's life over HTTP, in exact cents: the payoff quote at month 12 of the
HP 12C copier lease ($22,000, 48 months, 4 in advance, $6,600 purchase option, 15%:
rent $487.29), buying out, and the end of term (purchase, return, renewal)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.billing.models import Invoice
from gpo.db import clock_shifted, db, utcnow
from gpo.leasing import rules
from gpo.leasing.models import Lease
from tests.factories import AssetFactory, signed_lease
from tests.helpers import assert_error

RENT = 48729
# balance_0 = 2,200,000 - 4 x 48,729 = 2,005,084; month 1's interest is
# round_half_up(2,005,084 x 0.0125) = 25,064 (25,063.55), the balance 2,005,084 + 25,064
# - 48,729 = 1,981,419; ... month 12 leaves 1,700,738 (the schedule's row 12).
BALANCE_12 = 1700738


def _today() -> dt.date:
    return utcnow().date()


def copier(practice_id: int, *, months_ago: int = 0, days_ago: int = 3, fee: str = "0") -> Lease:
    """The HP 12C copier lease, signed, commenced `months_ago` months and `days_ago`
    days before today."""
    start = rules.add_months(_today(), -months_ago) - dt.timedelta(days=days_ago)
    return signed_lease(practice_id=practice_id, cost_cents=2200000, term_months=48, advance_payments=4,
                        residual_cents=660000, annual_rate_percent=Decimal("15"), commences_on=start,
                        early_termination_fee_percent=Decimal(fee),
                        asset=AssetFactory(cost_cents=2200000, clinical=False, description="HP copier"))


def _quote(client, world, lease, as_of=None, who="practice_admin"):
    query = f"?as_of={as_of.isoformat()}" if as_of else ""
    return client.get(f"/api/v1/leasing/leases/{lease.id}/buyout{query}", headers=world.headers[who])


def test_the_buyout_quote_at_month_12_is_the_schedules_balance_and_the_unbilled_rents(client, world):
    lease = copier(world.practice.id, days_ago=0)
    assert lease.rent_cents == RENT and lease.schedule[11].balance_cents == BALANCE_12
    as_of = rules.add_months(lease.commences_on, 12)  # month 12's rent is due that day
    response = _quote(client, world, lease, as_of)
    assert response.status_code == 200, response.get_data(as_text=True)
    q = response.get_json()
    assert (q["months_passed"], q["balance_cents"], q["fee_cents"], q["payoff_cents"]) == (12, BALANCE_12, 0, BALANCE_12)
    # none of the 12 rents due by then has been billed: they are owed too
    assert [r["month"] for r in q["unbilled_rents"]] == list(range(1, 13))
    assert (q["unbilled_rent_cents"], q["total_cents"]) == (12 * RENT, BALANCE_12 + 584748)
    # a day earlier, month 12 has not ended: balance_11
    q11 = _quote(client, world, lease, as_of - dt.timedelta(days=1)).get_json()
    assert (q11["months_passed"], q11["payoff_cents"], len(q11["unbilled_rents"])) == (11, 1727869, 11)
    # MSO staff see it too, and physicians of the practice
    assert _quote(client, world, lease, as_of, who="mso_procurement").status_code == 200
    assert _quote(client, world, lease, as_of, who="practice_buyer").status_code == 200


def test_the_early_termination_fee_is_added_to_the_balance_half_up_once(client, world):
    lease = copier(world.practice.id, days_ago=0, fee="2")
    q = _quote(client, world, lease, rules.add_months(lease.commences_on, 12)).get_json()
    # 1,700,738 x 1.02 = 1,734,752.76 -> 1,734,753
    assert (q["balance_cents"], q["fee_cents"], q["payoff_cents"]) == (BALANCE_12, 34015, 1734753)
    assert q["early_termination_fee_percent"] == "2.0000"


def test_the_quote_defaults_to_today_and_refuses_a_bad_date(client, world):
    lease = copier(world.practice.id, months_ago=12)
    q = _quote(client, world, lease).get_json()
    assert (q["as_of"], q["months_passed"], q["payoff_cents"]) == (_today().isoformat(), 12, BALANCE_12)
    bad = client.get(f"/api/v1/leasing/leases/{lease.id}/buyout?as_of=2027-02-30", headers=world.headers["practice_admin"])
    assert "as_of" in assert_error(bad, 422)["errors"]["query"]


def test_another_practice_sees_no_such_lease(client, world):
    lease = copier(world.practice.id, months_ago=12)
    assert_error(_quote(client, world, lease, who="other_practice_admin"), 404)
    assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["other_practice_admin"]), 404)
    assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={"outcome": "return"},
                             headers=world.headers["other_practice_admin"]), 404)
    assert_error(_quote(client, world, lease, who="vendor_admin"), 404)


def test_buying_out_issues_the_payoff_and_the_unbilled_rents_and_ends_the_lease(client, world):
    lease = copier(world.practice.id, months_ago=12)  # 12 rents due by today, none billed
    assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_buyer"]), 403)
    response = client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_admin"])
    assert response.status_code == 200, response.get_data(as_text=True)
    ended = response.get_json()
    assert (ended["status"], ended["end_outcome"], ended["ended_on"]) == ("ended", "bought_out", _today().isoformat())
    invoice = ended["end_invoice"]
    assert (invoice["kind"], invoice["status"], invoice["number"] is not None) == ("lease", "open", True)
    assert [(line["kind"], line["amount_cents"]) for line in invoice["lines"]] == (
        [("buyout", BALANCE_12)] + [("rent", RENT)] * 12)
    # rent 1 (and 46 to 48) of 48 were paid at signing: month 1's rent is rent 2
    assert invoice["lines"][1]["description"].startswith("Rent 2 of 48: HP copier (lease ")
    assert invoice["subtotal_cents"] == BALANCE_12 + 12 * RENT
    db.session.expire_all()
    rows = db.session.get(Lease, lease.id).schedule
    assert {r.invoice_id for r in rows[:12]} == {invoice["id"]} and {r.invoice_id for r in rows[12:]} == {None}
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "lease.buyout")) == 1
    # bought out once: again is 409, and so is a quote
    assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_admin"]),
                 409, contains="ended")
    assert_error(_quote(client, world, lease), 409)
    assert db.session.scalar(select(func.count(Invoice.id))) == 1


def test_mso_finance_buys_out_and_an_offered_lease_cannot_be(client, world):
    lease = copier(world.practice.id, months_ago=2)
    assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["mso_procurement"]), 403)
    assert client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["mso_finance"]).status_code == 200
    offered = copier(world.practice.id)
    offered.status, offered.signed_at = "offered", None
    db.session.commit()
    assert_error(client.post(f"/api/v1/leasing/leases/{offered.id}/buyout", headers=world.headers["practice_admin"]),
                 409, contains="offered")


def test_the_term_must_be_over_to_end_it(client, world):
    lease = copier(world.practice.id, months_ago=47)
    body = {"outcome": "purchase"}
    assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/end", json=body, headers=world.headers["practice_admin"]), 403)
    refused = assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/end", json=body,
                                       headers=world.headers["mso_finance"]), 409)
    ends = rules.add_months(lease.commences_on, 48)
    assert f"{ends:%b} {ends.day}, {ends.year}" in refused["message"] and "buy it out" in refused["message"]
    # a month later (the clock moved) the term is over
    with clock_shifted(dt.timedelta(days=31)):
        response = client.post(f"/api/v1/leasing/leases/{lease.id}/end", json=body, headers=world.headers["mso_finance"])
        assert response.status_code == 200, response.get_data(as_text=True)


def test_purchase_at_the_end_invoices_the_residual_and_the_last_unbilled_rents(client, world):
    lease = copier(world.practice.id, months_ago=48)
    response = client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={"outcome": "purchase", "reason": "keeps it"},
                           headers=world.headers["mso_finance"])
    assert response.status_code == 200, response.get_data(as_text=True)
    ended = response.get_json()
    assert (ended["end_outcome"], ended["end_reason"], ended["renewal"]) == ("purchased", "keeps it", None)
    lines = [(line["kind"], line["amount_cents"]) for line in ended["end_invoice"]["lines"]]
    # 44 rents in arrears (the last 4 were paid at signing), then the $6,600 purchase
    assert lines == [("rent", RENT)] * 44 + [("purchase_option", 660000)]
    assert ended["end_invoice"]["subtotal_cents"] == 44 * RENT + 660000
    # ending twice is 409
    assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={"outcome": "return"},
                             headers=world.headers["mso_finance"]), 409, contains="ended")


def test_return_with_every_rent_billed_issues_nothing(client, world):
    lease = copier(world.practice.id, months_ago=48)
    from gpo.leasing.lifecycle import bill_rents

    assert bill_rents(lease.commences_on, _today()) == 44  # each month's run billed its rent
    db.session.commit()
    response = client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={"outcome": "return"},
                           headers=world.headers["mso_finance"])
    assert response.status_code == 200, response.get_data(as_text=True)
    ended = response.get_json()
    assert (ended["end_outcome"], ended["end_invoice_id"], ended["end_invoice"]) == ("returned", None, None)
    assert db.session.scalar(select(func.count(Invoice.id))) == 44


def test_renewal_offers_a_new_lease_financing_the_residual(client, world):
    lease = copier(world.practice.id, months_ago=48)
    renewal = {"term_months": 24, "annual_rate_percent": "12", "residual_cents": 0, "advance_payments": 0,
               "commences_on": _today().isoformat()}
    response = client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={"outcome": "renew", "renewal": renewal},
                           headers=world.headers["mso_finance"])
    assert response.status_code == 200, response.get_data(as_text=True)
    ended = response.get_json()
    new = ended["renewal"]
    # $6,600 over 24 months at 1% a month: 660,000 / a(24) = 31,068.41... -> 31,068
    expected = rules.rent_cents(rules.LeaseTerms(660000, 24, Decimal("12")))
    assert expected == 31068
    assert (new["status"], new["cost_cents"], new["rent_cents"], new["renews_lease_id"]) == ("offered", 660000, 31068, lease.id)
    assert ended["end_outcome"] == "renewed"
    offer = db.session.get(Lease, new["id"])
    assert (offer.asset_id, offer.practice_id, offer.fair_value_cents) == (lease.asset_id, lease.practice_id, 660000)


@pytest.mark.parametrize("renewal, field", [
    ({"term_months": 24, "annual_rate_percent": "12", "residual_cents": 700000, "commences_on": "2020-01-01"},
     {"residual_cents", "commences_on"}),
    ({"term_months": 0, "annual_rate_percent": "12", "commences_on": "2030-01-01"}, {"term_months"}),
])
def test_bad_renewal_terms_are_refused_at_their_field_and_nothing_ends(client, world, renewal, field):
    lease = copier(world.practice.id, months_ago=48)
    response = client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={"outcome": "renew", "renewal": renewal},
                           headers=world.headers["mso_finance"])
    assert set(assert_error(response, 422)["errors"]["json"]["renewal"]) == field
    db.session.expire_all()
    assert db.session.get(Lease, lease.id).status == "active"
    assert db.session.scalar(select(func.count(Lease.id))) == 1


def test_a_renewal_needs_a_residual_and_terms(client, world):
    lease = copier(world.practice.id, months_ago=48)
    assert "renewal" in assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={"outcome": "renew"},
                                                 headers=world.headers["mso_finance"]), 422)["errors"]["json"]
    lease.residual_cents = 0  # as if none was agreed: nothing left to finance
    db.session.commit()
    refused = assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={
        "outcome": "renew", "renewal": {"term_months": 12, "annual_rate_percent": "5", "commences_on": _today().isoformat()}},
        headers=world.headers["mso_finance"]), 422)
    assert "buy or return" in refused["errors"]["json"]["outcome"][0]
    assert_error(client.post(f"/api/v1/leasing/leases/{lease.id}/end", json={"outcome": "keep"},
                             headers=world.headers["mso_finance"]), 422)
