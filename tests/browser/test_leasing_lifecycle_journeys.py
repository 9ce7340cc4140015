"""A signed lease's life in a real browser: MSO finance runs the lease billing run for a
month and finds the month's rent drafted on the run's page; a practice admin asks the
payoff as of a date, then buys the lease out (confirming first) and sees it ended.
axe-core on every page."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from gpo.db import db, utcnow
from gpo.leasing import rules
from gpo.leasing.models import Lease
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import AssetFactory, signed_lease


def copier(practice_id: int, commences_on: dt.date) -> Lease:
    """The HP 12C copier lease: $22,000, 48 months, 4 in advance, $6,600 residual, 15%."""
    return signed_lease(practice_id=practice_id, cost_cents=2200000, term_months=48, advance_payments=4,
                        residual_cents=660000, annual_rate_percent=Decimal("15"), commences_on=commences_on,
                        asset=AssetFactory(cost_cents=2200000, clinical=False, description="HP copier"))


def test_finance_runs_the_lease_billing_run_and_sees_the_rent_drafted(web, world):
    today = utcnow().date()
    copier(world.practice.id, rules.add_months(today, -2).replace(day=10))
    month = rules.add_months(today, -1)  # the run bills month 1's rent, due then
    page = web.sign_in("mso_finance@example.test")
    page.goto("/console/billing-runs")
    page.get_by_label("Kind of run").select_option(label="Leases: rents due and shares of shared space")
    page.get_by_label("Month").fill(f"{month:%Y-%m}")
    assert_accessible(page, "billing runs")
    page.get_by_role("button", name="Start billing run").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Lease run for"))
    web.settle()
    page.reload()
    expect(page.locator("#run-result")).to_contain_text("1 invoice for")
    expect(page.locator("#run-result")).to_contain_text("$487.29")
    row = page.get_by_role("region", name="Invoices of this run").get_by_role("row", name=re.compile("Lakeside"))
    expect(row).to_contain_text("$487.29")
    assert_accessible(page, "the lease run")
    screenshot(page, "console-lease-billing-run")


def test_a_practice_admin_gets_a_payoff_quote_and_buys_out(web, world):
    today = utcnow().date()
    lease = copier(world.practice.id, rules.add_months(today, -12) - dt.timedelta(days=3))
    page = web.sign_in("practice_admin@example.test")
    page.goto(f"/leasing/leases/{lease.id}/buyout")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Buy out lease {lease.id}")
    page.get_by_label("Payoff as of", exact=True).fill(rules.add_months(lease.commences_on, 1).isoformat())
    page.get_by_role("button", name="Show payoff").click()
    quote = page.get_by_role("region", name="Payoff quote")
    expect(quote.get_by_role("row", name=re.compile("Balance after month 1"))).to_contain_text("$19,814.19")
    page.get_by_label("Payoff as of", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Show payoff").click()
    expect(quote.get_by_role("row", name=re.compile("Balance after month 12"))).to_contain_text("$17,007.38")
    expect(quote.get_by_role("row", name=re.compile("Total to pay"))).to_contain_text("$22,854.86")
    assert_accessible(page, "the payoff quote")
    screenshot(page, "storefront-lease-buyout", docs=True)
    page.get_by_role("button", name="Buy out now").click()
    expect(page.get_by_text(re.compile(r"is bought out: invoice INV-"))).to_be_visible()
    assert web.dialogs and "Buy out lease" in web.dialogs[-1]
    expect(page.get_by_role("button", name="Buy out now")).to_have_count(0)
    expect(page.get_by_role("link", name="See its invoice")).to_be_visible()
    assert_accessible(page, "the lease bought out")
    ended = web.query(lambda: db.session.get(Lease, lease.id))
    assert (ended.status, ended.end_outcome) == ("ended", "bought_out")


def test_finance_renews_a_lease_at_the_end_of_its_term(web, world):
    today = utcnow().date()
    lease = copier(world.practice.id, rules.add_months(today, -48) - dt.timedelta(days=3))
    page = web.sign_in("mso_finance@example.test")
    page.get_by_role("link", name=re.compile("1 lease reaches the end of its term within 60 days")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"End of term of lease {lease.id}")
    expect(page.get_by_text("44 rents not yet billed go on the end invoice first.")).to_be_visible()
    page.get_by_role("radio", name=re.compile("^Renew")).check()
    page.get_by_label("Term (months)").fill("24")
    page.get_by_label("Annual rate (%)").fill("12")
    page.get_by_label("Purchase option at the end ($)").fill("7,000")
    assert_accessible(page, "the end of term")
    page.get_by_role("button", name="End lease").click()
    # $7,000 is more than the $6,600 left to finance: refused at its field, nothing ended
    expect(page.get_by_role("alert")).to_contain_text("the residual cannot be more than")
    expect(page.get_by_label("Purchase option at the end ($)")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "the end of term refused")
    page.get_by_role("radio", name=re.compile("^Renew")).check()
    page.get_by_label("Purchase option at the end ($)").fill("0")
    page.get_by_role("button", name="End lease").click()
    expect(page.get_by_text(re.compile(r"Renewal lease \d+ is offered at \$310\.68 a month"))).to_be_visible()
    ended = page.get_by_role("status", name="Ended: renewed")
    expect(ended).to_contain_text("$21,440.76")  # the 44 rents left to bill, on the end invoice
    screenshot(page, "console-lease-end")
    renewal = web.query(lambda: db.session.scalars(select(Lease).where(Lease.renews_lease_id == lease.id)).one())
    assert (renewal.status, renewal.cost_cents, renewal.rent_cents) == ("offered", 660000, 31068)
