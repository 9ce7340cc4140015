"""Billing in a real browser, with localstripe's Stripe.js and API: the practice admin
enters a card in the Stripe Elements form on /billing and pays the closed cycle's
invoice with "Pay now"; a card declined when saved, one declined when charged; the
savings dashboard agrees with the API. (Payment outcomes arrive from the collection
job, in-process on SQLite or from a real RQ worker with TEST_REDIS_URL, and from
localstripe's signed webhooks over HTTP.)"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from gpo.billing.models import Invoice, PaymentProfile
from gpo.db import db
from tests.browser.conftest import assert_accessible, screenshot
from tests.scenarios import YEAR, Billing


@pytest.fixture
def closed(client, world, run_jobs):
    """After the close, Lakeside's purchasing invoice finalized: $1,106.45 to pay."""
    billing = Billing(client, world, run_jobs)
    billing.buy_and_close()
    invoice = billing.finalize(billing.invoice_of(world.practice, kind="purchasing")["id"])
    return billing, invoice


def _enter_card(page, number: str) -> None:
    """localstripe's Elements stand-in renders plain inputs named by their placeholders."""
    page.goto("/billing")
    page.get_by_placeholder("number").fill(number)
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("30")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("12345")
    page.get_by_role("button", name="Save card").click()


def _tab_to(page, name: str, tries: int = 40) -> None:
    """Press Tab until the control named `name` (its text or placeholder) has the focus."""
    for _ in range(tries):
        page.keyboard.press("Tab")
        focused = page.evaluate("(e => (e.getAttribute('placeholder') || e.textContent || '').trim())"
                                "(document.activeElement)")
        if focused == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def _reload_until(page, text: str, tries: int = 40) -> None:
    """The outcome is written by a job (maybe in another process): reload until it shows."""
    main = page.get_by_role("main")
    for _ in range(tries):
        page.wait_for_load_state()  # the POST's redirect may still be on its way
        try:
            expect(main).to_contain_text(text, timeout=1000)
            return
        except AssertionError:
            page.goto(page.url)
    expect(main).to_contain_text(text)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_admin_saves_a_card_with_stripe_elements_and_pays_the_invoice(web, world, closed, stripe_webhooks, width):
    _, invoice = closed
    docs = width == 1280
    page = web.sign_in(world.users["practice_admin"].email, width=width)

    page.goto("/invoices")
    row = page.get_by_role("row").filter(has_text=invoice["number"])
    expect(row).to_contain_text("open: awaiting payment")
    expect(row).to_contain_text("$1,106.45")
    assert_accessible(page, "the invoice list")
    screenshot(page, "invoices" if docs else "invoices-390", docs=docs)

    _enter_card(page, "4242 4242 4242 4242".replace(" ", ""))
    expect(page.get_by_role("status")).to_contain_text("Your card is saved")
    expect(page.get_by_role("main")).to_contain_text("ending in 4242")
    assert_accessible(page, "the billing page")
    screenshot(page, "billing" if docs else "billing-390", docs=docs)
    assert web.query(lambda: db.session.get(PaymentProfile, world.practice.id).stripe_payment_method_id).startswith("pm_")

    page.goto("/invoices")
    page.get_by_role("link", name=invoice["number"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice['number']}")
    assert_accessible(page, "the invoice page")
    page.get_by_role("button", name="Pay now").click()
    expect(page.get_by_role("status")).to_contain_text("Payment of $1,106.45 requested")
    _reload_until(page, "This invoice is paid")
    expect(page.get_by_role("button", name="Pay now")).to_have_count(0)
    assert_accessible(page, "the paid invoice")
    screenshot(page, "invoice" if docs else "invoice-390", docs=docs)
    assert web.query(lambda: db.session.get(Invoice, invoice["id"]).status) == "paid"

    page.get_by_role("link", name="Printable view").click()
    expect(page.get_by_role("row", name="Total $1,106.45", exact=True)).to_be_visible()
    assert_accessible(page, "the printable invoice")


def _profile(web, world):
    return web.query(lambda: db.session.get(PaymentProfile, world.practice.id))


def test_a_card_declined_when_saved_tells_the_practice_why(web, world):
    page = web.sign_in(world.users["practice_admin"].email)
    page.goto("/billing")
    expect(page.get_by_role("button", name="Save card")).to_be_enabled()
    assert _profile(web, world) is None  # the page's GET made no customer and no SetupIntent
    _enter_card(page, "4000000000000002")
    expect(page.get_by_role("alert")).to_contain_text("Your card was not saved: Your card was declined.")
    expect(page.get_by_role("main")).to_contain_text("No card is saved yet")
    assert_accessible(page, "the billing page after a declined card")
    expect(page.get_by_role("button", name="Save card")).to_be_enabled()
    profile = _profile(web, world)
    assert profile.stripe_customer_id.startswith("cus_")  # the SetupIntent's, asked for by POST
    assert profile.stripe_payment_method_id is None
    # the same form, a good card: a new SetupIntent (the declined one is over), saved
    page.get_by_placeholder("number").fill("4242424242424242")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_contain_text("Your card is saved")
    assert _profile(web, world).stripe_payment_method_id.startswith("pm_")


def test_card_entry_unavailable_says_so_and_the_button_works_again(web, world):
    """Our server cannot get a SetupIntent from Stripe (502): the form says card entry
    is unavailable right now and the button is enabled again; nothing was saved."""
    page = web.sign_in(world.users["practice_admin"].email)
    page.route("**/billing/setup-intent", lambda route: route.fulfill(
        status=502, content_type="application/json", body='{"message": "Stripe did not create the customer"}'))
    _enter_card(page, "4242424242424242")
    expect(page.get_by_role("alert")).to_contain_text("Card entry is unavailable right now")
    expect(page.get_by_role("button", name="Save card")).to_be_enabled()
    expect(page.get_by_role("main")).to_contain_text("No card is saved yet")
    assert_accessible(page, "the billing page with card entry unavailable")
    assert _profile(web, world) is None


def test_a_card_declined_when_charged_shows_the_decline_and_the_invoice_stays_payable(web, world, closed,
                                                                                       stripe_webhooks):
    """With the keyboard alone: localstripe's inputs move the focus on as each is full."""
    _, invoice = closed
    page = web.sign_in(world.users["practice_admin"].email)
    page.goto("/billing")
    _tab_to(page, "number")
    page.keyboard.type("4000000000000341" "12" "30" "123" "12345")
    _tab_to(page, "Save card")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your card is saved")
    page.goto(f"/invoices/{invoice['id']}")
    _tab_to(page, "Pay now")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("requested")  # the POST answered (redirected)
    _reload_until(page, "Declined: Your card was declined")
    expect(page.get_by_role("button", name="Pay now")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("open: awaiting payment")
    assert_accessible(page, "the invoice after a declined payment")
    assert web.query(lambda: db.session.get(Invoice, invoice["id"]).status) == "open"


def test_a_buyer_sees_why_there_is_no_pay_button(web, world, closed):
    _, invoice = closed
    page = web.sign_in(world.users["practice_buyer"].email)
    page.goto(f"/invoices/{invoice['id']}")
    expect(page.get_by_role("main")).to_contain_text("Only a practice admin pays invoices")
    expect(page.get_by_role("button", name="Pay now")).to_have_count(0)
    page.goto("/billing")
    expect(page.get_by_role("main")).to_contain_text("Only a practice admin sees and changes")
    assert_accessible(page, "the billing page for a buyer")


def test_the_savings_dashboard_shows_the_chart_and_the_apis_totals(web, world, closed):
    billing, _ = closed
    api = billing.client.get(f"/api/v1/reports/savings?from={YEAR}-01-01&to={YEAR}-12-31",
                             headers=world.headers["practice_buyer"]).get_json()
    page = web.sign_in(world.users["practice_buyer"].email)
    page.goto("/savings")
    # the period: From, To, and Enter submits it
    page.get_by_label("From").fill(f"{YEAR}-01-01")
    page.get_by_label("To").fill(f"{YEAR}-12-31")
    page.get_by_label("To").press("Enter")
    expect(page).to_have_url(re.compile(rf"from={YEAR}-01-01&to={YEAR}-12-31"))
    expect(page.get_by_role("img", name=re.compile("Bar chart of list value and paid per month"))).to_be_visible()
    totals = page.get_by_role("main")
    for cents in (api["list_cents"], api["paid_cents"], api["savings_cents"]):
        expect(totals).to_contain_text(f"${cents // 100:,}.{cents % 100:02d}")
    per_month = page.get_by_role("table", name=re.compile("Per month"))
    for month in api["months"]:
        expect(per_month).to_contain_text(dt.date.fromisoformat(month["month"] + "-01").strftime("%b %Y"))
        expect(per_month).to_contain_text(f"${month['paid_cents'] // 100:,}.{month['paid_cents'] % 100:02d}")
    expect(page.get_by_role("heading", name="Admin-fee disclosure")).to_be_visible()
    assert_accessible(page, "the savings dashboard")
    screenshot(page, "savings", docs=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    assert download.value.suggested_filename == f"savings-{YEAR}-01-01-to-{YEAR}-12-31.csv"
