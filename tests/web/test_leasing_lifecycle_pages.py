"""A signed lease's pages without a browser: the storefront's payoff quote as of a date
(a bad date at its field) and "Buy out now" (who may; twice: the API's 409); the
console's payoff quote and end of term (not before the term is over, refusals at their
fields, purchase and renewal), the lease billing run's kind on Billing runs, the
console's waiting item; another practice and other faces 404, roles that may not 403."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from gpo.billing.models import Invoice
from gpo.db import db, utcnow
from gpo.leasing import rules
from gpo.leasing.models import Lease
from tests.factories import AssetFactory, signed_lease
from tests.pages import text_of

BALANCE_12 = 1700738  # the HP 12C copier lease's balance after month 12
RENT = 48729


def _today() -> dt.date:
    return utcnow().date()


def copier(practice_id: int, months_ago: int, days_ago: int = 3) -> Lease:
    start = rules.add_months(_today(), -months_ago) - dt.timedelta(days=days_ago)
    return signed_lease(practice_id=practice_id, cost_cents=2200000, term_months=48, advance_payments=4,
                        residual_cents=660000, annual_rate_percent=Decimal("15"), commences_on=start,
                        asset=AssetFactory(cost_cents=2200000, clinical=False, description="HP copier"))


def _lease(lease_id: int) -> Lease:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Lease, lease_id)


# --- the storefront's buyout page ----------------------------------------------------


def test_the_practice_sees_the_payoff_as_of_a_date_it_chooses(pages, world):
    lease = copier(world.practice.id, months_ago=12)
    page = pages.as_("practice_admin")
    response = page.get(f"/leasing/leases/{lease.id}/buyout")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Payoff as of" in text and "12 of 48 months ended" in text
    assert "Balance after month 12 $17,007.38" in text and "Total to pay $22,854.86" in text  # + 12 rents $5,847.48
    assert "Buy out now" in text
    earlier = rules.add_months(lease.commences_on, 1)
    text = text_of(page.get(f"/leasing/leases/{lease.id}/buyout?as_of={earlier.isoformat()}").get_data(as_text=True))
    assert "1 of 48 months ended" in text and "Balance after month 1 $19,814.19" in text


def test_a_bad_date_is_shown_at_its_field(pages, world):
    lease = copier(world.practice.id, months_ago=12)
    response = pages.as_("practice_admin").get(f"/leasing/leases/{lease.id}/buyout?as_of=2027-02-30")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="f-as_of-error"' in html and 'aria-invalid="true"' in html
    assert "Balance after month" not in text_of(html)


def test_buying_out_from_the_storefront_ends_the_lease_once(pages, world):
    lease = copier(world.practice.id, months_ago=12)
    page = pages.as_("practice_physician")
    page.get(f"/leasing/leases/{lease.id}/buyout")
    response = page.post(f"/leasing/leases/{lease.id}/buyout")
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:400]
    ended = _lease(lease.id)
    assert (ended.status, ended.end_outcome) == ("ended", "bought_out")
    invoice = db.session.get(Invoice, ended.end_invoice_id)
    assert invoice.subtotal_cents == BALANCE_12 + 12 * RENT
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "is bought out" in text and "no further rent is billed" in text and "Buy out now" not in text
    # twice: the API's 409, shown on the page
    again = page.post(f"/leasing/leases/{lease.id}/buyout")
    assert again.status_code == 409 and "ended" in text_of(again.get_data(as_text=True))
    assert db.session.scalar(select(func.count(Invoice.id))) == 1


def test_once_the_term_is_over_the_page_offers_no_buyout_but_says_why(pages, world):
    lease = copier(world.practice.id, months_ago=48)
    page = pages.as_("practice_admin")
    html = page.get(f"/leasing/leases/{lease.id}/buyout").get_data(as_text=True)
    ends = rules.add_months(lease.commences_on, 48)
    assert f"term ended on {ends.isoformat()}" in text_of(html) and "purchase at the residual $6,600.00" in text_of(html)
    assert "Early termination fee (0%) $0.00" in text_of(html) or "$0.00" in text_of(html)
    assert '<button type="submit">Buy out now</button>' not in html
    response = page.post(f"/leasing/leases/{lease.id}/buyout")
    assert response.status_code == 409 and "purchase at the residual" in text_of(response.get_data(as_text=True))
    assert _lease(lease.id).status == "active"
    assert db.session.scalar(select(func.count(Invoice.id))) == 0


def test_a_buyer_sees_the_quote_but_may_not_buy_out(pages, world):
    lease = copier(world.practice.id, months_ago=12)
    page = pages.as_("practice_buyer")
    text = text_of(page.get(f"/leasing/leases/{lease.id}/buyout").get_data(as_text=True))
    assert "Total to pay" in text and "Only the practice's admins and physicians buy out a lease." in text
    assert page.post(f"/leasing/leases/{lease.id}/buyout").status_code == 403
    assert _lease(lease.id).status == "active"


def test_another_practice_and_other_faces_get_404(pages, world):
    lease = copier(world.practice.id, months_ago=12)
    other = pages.as_("other_practice_admin")
    assert other.get(f"/leasing/leases/{lease.id}/buyout").status_code == 404
    assert other.post(f"/leasing/leases/{lease.id}/buyout").status_code == 404
    assert pages.as_("mso_finance").get(f"/leasing/leases/{lease.id}/buyout").status_code == 404  # the console's
    practice = pages.as_("practice_admin")
    for path in (f"/console/leasing/leases/{lease.id}/buyout", f"/console/leasing/leases/{lease.id}/end"):
        assert practice.get(path).status_code == 404
        assert pages.as_("vendor_admin").get(path).status_code == 404
    assert pages.as_("mso_finance").get("/console/leasing/leases/999999/end").status_code == 404
    assert pages.as_("mso_finance").get("/console/leasing/leases/999999/buyout").status_code == 404
    assert _lease(lease.id).status == "active"


# --- the console ---------------------------------------------------------------------


def test_finance_sees_the_payoff_quote(pages, world):
    lease = copier(world.practice.id, months_ago=12)
    response = pages.as_("mso_finance").get(f"/console/leasing/leases/{lease.id}/buyout")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Payoff $17,007.38" in text and "Total to pay $22,854.86" in text
    bad = pages.as_("mso_finance").get(f"/console/leasing/leases/{lease.id}/buyout?as_of=soon")
    assert bad.status_code == 422 and 'id="f-as_of-error"' in bad.get_data(as_text=True)


def test_the_end_page_says_why_not_before_the_term_is_over(pages, world):
    lease = copier(world.practice.id, months_ago=12)
    page = pages.as_("mso_finance")
    text = text_of(page.get(f"/console/leasing/leases/{lease.id}/end").get_data(as_text=True))
    ends = rules.add_months(lease.commences_on, 48)
    assert "Not yet:" in text and f"{ends:%b} {ends.day}, {ends.year}" in text and "buy it out" in text
    assert "End lease" not in text
    refused = page.post(f"/console/leasing/leases/{lease.id}/end", {"outcome": "purchase"})
    assert refused.status_code == 409
    assert _lease(lease.id).status == "active"


def test_purchase_at_the_end_of_term_from_the_console(pages, world):
    lease = copier(world.practice.id, months_ago=48)
    page = pages.as_("mso_finance")
    text = text_of(page.get(f"/console/leasing/leases/{lease.id}/end").get_data(as_text=True))
    assert "44 rents not yet billed go on the end invoice first." in text and "End lease" in text
    response = page.post(f"/console/leasing/leases/{lease.id}/end", {"outcome": "purchase", "reason": "keeps it"})
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:400]
    ended = _lease(lease.id)
    assert (ended.end_outcome, ended.end_reason) == ("purchased", "keeps it")
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "Ended: purchased" in text and "$28,040.76" in text  # 44 x $487.29 + $6,600.00


def test_renewal_terms_refused_at_their_fields_and_nothing_ends(pages, world):
    lease = copier(world.practice.id, months_ago=48)
    page = pages.as_("mso_finance")
    page.get(f"/console/leasing/leases/{lease.id}/end")
    response = page.post(f"/console/leasing/leases/{lease.id}/end", {
        "outcome": "renew", "renewal.term_months": "0", "renewal.annual_rate_percent": "12",
        "renewal.residual": "12.345", "renewal.commences_on": _today().isoformat()})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="f-renewal-residual-error"' in html and "at most 2 decimal places" in html
    response = page.post(f"/console/leasing/leases/{lease.id}/end", {
        "outcome": "renew", "renewal.term_months": "24", "renewal.annual_rate_percent": "12",
        "renewal.residual": "7000", "renewal.commences_on": _today().isoformat()})
    assert response.status_code == 422
    assert 'id="f-renewal-residual-error"' in response.get_data(as_text=True)
    assert _lease(lease.id).status == "active"
    assert db.session.scalar(select(func.count(Lease.id))) == 1


def test_renewing_from_the_console_offers_a_new_lease(pages, world):
    lease = copier(world.practice.id, months_ago=48)
    page = pages.as_("mso_finance")
    page.get(f"/console/leasing/leases/{lease.id}/end")
    response = page.post(f"/console/leasing/leases/{lease.id}/end", {
        "outcome": "renew", "renewal.term_months": "24", "renewal.annual_rate_percent": "12",
        "renewal.advance_payments": "0", "renewal.commences_on": _today().isoformat()})
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:600]
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "Ended: renewed" in text and "offered at $310.68 a month" in text
    renewal = db.session.scalars(select(Lease).where(Lease.renews_lease_id == lease.id)).one()
    assert (renewal.status, renewal.cost_cents, renewal.rent_cents) == ("offered", 660000, 31068)


def test_roles_that_may_not_end_see_why_and_get_403(pages, world):
    lease = copier(world.practice.id, months_ago=48)
    page = pages.as_("mso_procurement")
    text = text_of(page.get(f"/console/leasing/leases/{lease.id}/end").get_data(as_text=True))
    assert "Only MSO finance and MSO admins end a lease's term." in text and "End lease" not in text
    assert page.post(f"/console/leasing/leases/{lease.id}/end", {"outcome": "return"}).status_code == 403
    assert _lease(lease.id).status == "active"


def test_the_lease_run_is_a_kind_of_billing_run_and_ending_terms_wait_for_finance(pages, world):
    copier(world.practice.id, months_ago=47)  # its term ends within a month
    page = pages.as_("mso_finance")
    html = page.get("/console/billing-runs").get_data(as_text=True)
    assert '<option value="lease">Leases: rents due and shares of shared space</option>' in html
    text = text_of(page.get("/console").get_data(as_text=True))
    assert "1 lease reaches the end of its term within 60 days" in text
    assert "reaches the end of its term" not in text_of(pages.as_("mso_procurement").get("/console").get_data(as_text=True))


def test_a_payoff_date_before_the_lease_commences_is_refused_at_the_field(pages, world):
    lease = signed_lease(practice_id=world.practice.id, commences_on=utcnow().date() + dt.timedelta(days=10),
                         asset=AssetFactory(clinical=False, description="Exam table"))
    before = (lease.commences_on - dt.timedelta(days=1)).isoformat()
    response = pages.as_("practice_admin").get(f"/leasing/leases/{lease.id}/buyout?as_of={before}")
    assert response.status_code == 422
    assert "a payoff is quoted from then on" in text_of(response.get_data(as_text=True))
