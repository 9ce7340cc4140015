"""The storefront's billing pages without a browser: invoices (filters, tenancy, the
role that may see but not pay, Pay now refused and accepted), the billing page (read
only on GET; the card form's SetupIntent by POST; saving the card from a succeeded
SetupIntent of the practice's own customer; credits; Stripe unreachable) and the
savings dashboard with its CSV, on real services and localstripe."""
from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import stripe
from sqlalchemy import func, select

from gpo.billing import payment_methods, payments
from gpo.billing.models import INVOICE_KINDS, Invoice, PaymentAttempt, PaymentProfile
from gpo.db import db, utcnow
from tests.pages import text_of
from tests.scenarios import YEAR, Billing, rebate_body


@pytest.fixture
def billing(client, world, run_jobs):
    return Billing(client, world, run_jobs)


@pytest.fixture
def closed(billing):
    """After the close, Lakeside's purchasing invoice finalized (open): 60 gloves at
    17.9910 = $1,079.46 plus the 2.5% fee $26.99 = $1,106.45."""
    billing.buy_and_close()
    invoice = billing.finalize(billing.invoice_of(billing.world.practice, kind="purchasing")["id"])
    other = billing.invoice_of(billing.world.other_practice, kind="purchasing")
    return {"invoice": invoice, "other": other}


def _card(number: str = "4242424242424242") -> str:
    return payments.stripe_client().v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id


def _post_json(page, path: str):
    """What billing-card.js sends: a POST with the page's CSRF token in X-CSRFToken."""
    if page.token is None:
        page.get("/billing")
    return page._open("post", path, json={}, headers={"X-CSRFToken": page.token, "Accept": "application/json"})


def _setup_intent(page) -> str:
    """A SetupIntent the card form asked for (its id, from the client secret)."""
    response = _post_json(page, "/billing/setup-intent")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["client_secret"].split("_secret_")[0]


def _confirmed(page, number: str = "4242424242424242") -> str:
    """What Stripe.js does on "Save card": the SetupIntent confirmed with the card."""
    setup_intent_id = _setup_intent(page)
    payments.stripe_client().v1.setup_intents.confirm(setup_intent_id, {"payment_method": _card(number)})
    return setup_intent_id


def _save_card(page, number: str = "4242424242424242"):
    page.get("/billing")
    return page.post("/billing/payment-method", {"setup_intent_id": _confirmed(page, number)})


def _rows() -> dict[str, int]:
    """Every table's row count (a GET that writes nothing leaves them all as they were)."""
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


def _setup_intents() -> int:
    return sum(1 for _ in payments.stripe_client().v1.setup_intents.list({"limit": 100}).auto_paging_iter())


def _stripe_unreachable(monkeypatch) -> None:
    """Stripe down: every call of gpo.billing.payment_methods fails to connect, at once."""
    monkeypatch.setattr(payment_methods, "stripe_client", lambda: stripe.StripeClient(
        "sk_test_unreachable", base_addresses={"api": "http://127.0.0.1:9"}, max_network_retries=0))


def _attempts() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(PaymentAttempt.id)))


def _html(response) -> str:
    return response.get_data(as_text=True)


# --- invoices ------------------------------------------------------------------------------


def test_the_invoice_list_shows_status_in_words_and_filters(pages, closed):
    page = pages.as_("practice_buyer")
    response = page.get("/invoices")
    text = text_of(_html(response))
    assert response.status_code == 200
    assert closed["invoice"]["number"] in text and "open: awaiting payment" in text and "$1,106.45" in text
    assert f'href="/invoices/{closed["other"]["id"]}"' not in _html(response)
    assert "No invoices match these filters" in text_of(_html(page.get("/invoices?status=paid")))
    assert closed["invoice"]["number"] in text_of(_html(page.get("/invoices?kind=purchasing&status=open")))
    refused = page.get("/invoices?status=sent")
    assert refused.status_code == 422 and 'aria-invalid="true"' in _html(refused)


def test_the_invoice_page_shows_lines_fee_credits_total_and_due_date(pages, closed):
    page = pages.as_("practice_buyer")
    invoice = closed["invoice"]
    text = text_of(_html(page.get(f"/invoices/{invoice['id']}")))
    assert "$1,079.46" in text and "the MSO service fee (2.5%)" in text and "$26.99" in text
    assert "Credits applied $0.00" in text and "Total $1,106.45" in text and "Due" in text
    printable = page.get(f"/invoices/{invoice['id']}/print")
    assert printable.status_code == 200 and "Total $1,106.45" in text_of(_html(printable))


def test_another_practices_invoice_is_not_found_and_paying_it_changes_nothing(pages, closed):
    page = pages.as_("practice_admin")
    other = closed["other"]["id"]
    assert page.get(f"/invoices/{other}").status_code == 404
    assert page.get(f"/invoices/{other}/print").status_code == 404
    assert page.post(f"/invoices/{other}/pay").status_code == 404
    assert _attempts() == 0


def test_a_buyer_sees_why_there_is_no_pay_button_and_posting_anyway_is_403(pages, closed):
    page = pages.as_("practice_buyer")
    invoice_id = closed["invoice"]["id"]
    html = _html(page.get(f"/invoices/{invoice_id}"))
    assert "Pay now" not in text_of(html) and "Only a practice admin pays invoices" in text_of(html)
    assert page.post(f"/invoices/{invoice_id}/pay").status_code == 403
    assert _attempts() == 0
    assert db.session.get(Invoice, invoice_id).status == "open"


def test_pay_now_without_a_saved_card_is_refused_at_the_form(pages, closed):
    page = pages.as_("practice_admin")
    invoice_id = closed["invoice"]["id"]
    assert "No card is saved for the practice yet" in text_of(_html(page.get(f"/invoices/{invoice_id}")))
    response = page.post(f"/invoices/{invoice_id}/pay")  # posted anyway (an old page, say)
    assert response.status_code == 409
    assert "no saved payment method" in text_of(_html(response))
    assert _attempts() == 0


def test_pay_now_with_the_saved_card_pays_the_invoice(pages, closed, run_jobs):
    page = pages.as_("practice_admin")
    assert _save_card(page).status_code == 302
    invoice_id = closed["invoice"]["id"]
    page.get(f"/invoices/{invoice_id}")
    response = page.post(f"/invoices/{invoice_id}/pay")
    assert response.status_code == 302 and response.headers["Location"] == f"/invoices/{invoice_id}"
    db.session.expire_all()
    [attempt] = db.session.scalars(select(PaymentAttempt)).all()
    assert attempt.amount_cents == 110645
    run_jobs(attempt.job_id)
    text = text_of(_html(page.get(f"/invoices/{invoice_id}")))
    assert "This invoice is paid" in text and "Pay now" not in text


def test_a_card_declined_when_charged_shows_why_and_stays_payable(pages, closed, run_jobs):
    page = pages.as_("practice_admin")
    assert _save_card(page, "4000000000000341").status_code == 302
    invoice_id = closed["invoice"]["id"]
    page.get(f"/invoices/{invoice_id}")
    page.post(f"/invoices/{invoice_id}/pay")
    db.session.expire_all()
    run_jobs(db.session.scalars(select(PaymentAttempt)).one().job_id)
    text = text_of(_html(page.get(f"/invoices/{invoice_id}")))
    assert "Declined: Your card was declined" in text and "Pay now" in text
    assert db.session.get(Invoice, invoice_id).status == "open"


# --- the saved card and credits -------------------------------------------------------------


def test_the_billing_page_offers_the_admin_a_card_form_and_writes_nothing(pages, world, stripe_url):
    page = pages.as_("practice_admin")
    before, intents = _rows(), _setup_intents()
    html = _html(page.get("/billing"))
    assert 'data-setup-intent-url="/billing/setup-intent"' in html and f'src="{stripe_url}/js.stripe.com/v3/"' in html
    assert "data-client-secret" not in html and "seti_" not in html
    assert "/static/gpo/billing-card.js" in html and "No card is saved yet" in text_of(html)
    assert _rows() == before and _setup_intents() == intents  # no profile, no customer, no SetupIntent
    assert db.session.get(PaymentProfile, world.practice.id) is None


def test_the_card_form_asks_for_a_setup_intent_by_post_with_the_csrf_token(pages, world):
    page = pages.as_("practice_admin")
    page.get("/billing")
    intents = _setup_intents()
    refused = page._open("post", "/billing/setup-intent", json={})  # no X-CSRFToken: nothing is made
    assert refused.status_code == 400 and _setup_intents() == intents
    setup_intent_id = _setup_intent(page)
    assert _setup_intents() == intents + 1
    profile = db.session.get(PaymentProfile, world.practice.id)
    assert profile.stripe_customer_id.startswith("cus_") and profile.stripe_payment_method_id is None
    stripe_intent = payments.stripe_client().v1.setup_intents.retrieve(setup_intent_id)
    assert stripe_intent.customer == profile.stripe_customer_id
    assert _setup_intent(page) != setup_intent_id  # another, for the same customer
    db.session.expire_all()
    assert db.session.get(PaymentProfile, world.practice.id).stripe_customer_id == profile.stripe_customer_id


def test_saving_a_card_shows_its_brand_and_last_four(pages, world):
    page = pages.as_("practice_admin")
    response = _save_card(page)
    assert response.status_code == 302
    text = text_of(_html(page.get("/billing")))
    assert "ending in 4242" in text and "Your card is saved" in text
    db.session.expire_all()
    assert db.session.get(PaymentProfile, world.practice.id).stripe_payment_method_id.startswith("pm_")


def _no_card_saved(world) -> None:
    db.session.expire_all()
    profile = db.session.get(PaymentProfile, world.practice.id)
    assert profile is None or profile.stripe_payment_method_id is None


def test_a_refused_setup_intent_changes_nothing(pages, world):
    page = pages.as_("practice_admin")
    page.get("/billing")
    bare = page.post("/billing/payment-method", {"setup_intent_id": _card()})  # a bare pm_ is no longer taken
    assert bare.status_code == 422 and "Not a Stripe SetupIntent id" in text_of(_html(bare))
    unknown = page.post("/billing/payment-method", {"setup_intent_id": "seti_nosuchintent"})
    assert unknown.status_code == 422 and "Stripe knows no card setup" in text_of(_html(unknown))
    not_confirmed, needs_action = _setup_intent(page), _setup_intent(page)
    payments.stripe_client().v1.setup_intents.confirm(needs_action, {"payment_method": _card("4000002500003155")})
    before = _rows()
    unconfirmed = page.post("/billing/payment-method", {"setup_intent_id": not_confirmed})
    assert unconfirmed.status_code == 422
    assert "Your card was not saved: Stripe has not confirmed it (requires_payment_method)" in text_of(_html(unconfirmed))
    refused = page.post("/billing/payment-method", {"setup_intent_id": needs_action})
    assert refused.status_code == 422 and "(requires_action)" in text_of(_html(refused))
    assert _rows() == before
    _no_card_saved(world)


def test_another_practices_setup_intent_is_refused_and_changes_nothing(pages, world):
    other = pages.as_("other_practice_admin")
    other.get("/billing")
    theirs = _confirmed(other)  # succeeded, for Riverbend's customer
    page = pages.as_("practice_admin")
    page.get("/billing")
    before = _rows()
    response = page.post("/billing/payment-method", {"setup_intent_id": theirs})
    assert response.status_code == 422 and "is not your practice's" in text_of(_html(response))
    assert _rows() == before
    _no_card_saved(world)
    _setup_intent(page)  # now Lakeside has a customer too: still not its SetupIntent
    again = page.post("/billing/payment-method", {"setup_intent_id": theirs})
    assert again.status_code == 422 and "is not your practice's" in text_of(_html(again))
    _no_card_saved(world)


def test_a_buyer_sees_credits_but_not_the_card_and_may_not_save_one(pages, world):
    page = pages.as_("practice_buyer")
    html = _html(page.get("/billing"))
    assert "data-setup-intent-url" not in html and "Only a practice admin sees and changes" in text_of(html)
    assert "Credit balance: $0.00" in text_of(html)
    asked = _post_json(page, "/billing/setup-intent")
    assert asked.status_code == 403 and "client_secret" not in asked.get_json()
    admin = pages.as_("practice_admin")
    admin.get("/billing")
    setup_intent_id = _confirmed(admin)
    assert page.post("/billing/payment-method", {"setup_intent_id": setup_intent_id}).status_code == 403
    _no_card_saved(world)


def test_with_stripe_unreachable_the_page_shows_the_card_as_stored_and_the_credits(pages, world, monkeypatch):
    page = pages.as_("practice_admin")
    assert _save_card(page).status_code == 302
    method_id = db.session.get(PaymentProfile, world.practice.id).stripe_payment_method_id
    _stripe_unreachable(monkeypatch)
    response = page.get("/billing")
    text = text_of(_html(response))
    assert response.status_code == 200
    assert f"Payment method {method_id}" in text and "Credit balance: $0.00" in text
    assert "Card entry is unavailable right now" in text and 'id="card-form"' not in _html(response)
    before = _rows()
    asked = _post_json(page, "/billing/setup-intent")
    assert asked.status_code == 502 and "Stripe" in asked.get_json()["message"]
    assert _rows() == before


def test_without_a_saved_card_stripe_unreachable_refuses_only_the_setup_intent(pages, world, monkeypatch):
    _stripe_unreachable(monkeypatch)
    page = pages.as_("practice_admin")
    response = page.get("/billing")
    assert response.status_code == 200 and "No card is saved yet" in text_of(_html(response))
    before = _rows()
    asked = _post_json(page, "/billing/setup-intent")
    assert asked.status_code == 502 and "Stripe did not create the customer" in asked.get_json()["message"]
    assert _rows() == before
    assert db.session.get(PaymentProfile, world.practice.id) is None


def test_credits_show_their_balance_and_history(pages, billing, closed):
    response = billing.client.post("/api/v1/rebates", json=rebate_body(billing), headers=billing.finance)
    assert response.status_code == 201, response.get_data(as_text=True)
    # $1,000 less 20% kept = $800, by finalized invoiced spend: only Lakeside's invoice is finalized
    text = text_of(_html(pages.as_("practice_buyer").get("/billing")))
    assert "Credit balance: $800.00" in text and "rebate" in text and "not yet" in text


# --- savings -------------------------------------------------------------------------------


PERIOD = f"from={YEAR}-01-01&to={YEAR}-12-31"


def test_the_savings_dashboard_shows_the_reports_totals_chart_and_disclosure(pages, billing, closed):
    page = pages.as_("practice_buyer")
    html = _html(page.get(f"/savings?{PERIOD}"))
    text = text_of(html)
    api = billing.client.get(f"/api/v1/reports/savings?{PERIOD}", headers=billing.world.headers["practice_buyer"]).get_json()
    assert (api["list_cents"], api["paid_cents"], api["savings_cents"]) == (119940, 107946, 11994)
    assert api["months"] == [{"month": f"{utcnow():%Y-%m}", "list_cents": 119940, "paid_cents": 107946,
                              "savings_cents": 11994}]
    assert "List value $1,199.40 Paid $1,079.46 Saved $119.94" in text
    [chart] = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="Bar chart of list value and paid per month', html)
    assert "<svg" in base64.b64decode(chart).decode() and "<svg" not in html
    assert f"{utcnow():%b %Y}" in text and "supplies $1,199.40 $1,079.46 $119.94" in text and "Acme $1,199.40" in text
    # the admin fee: 2% of all sales 107946 + 89955 = 3958.02 -> 3958, Lakeside's share 2158
    assert "42 CFR 1001.952(j)" in text and "Acme Exam" not in text
    disclosure = billing.client.get(f"/api/v1/reports/admin-fee-disclosure?year={YEAR}",
                                    headers=billing.world.headers["practice_admin"]).get_json()
    assert f"{disclosure['rows'][0]['admin_fee_cents'] / 100:,.2f}" in text


def test_the_savings_csv_is_exact(pages, closed, world):
    response = pages.as_("practice_buyer").get(f"/savings.csv?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True) == (
        "category,vendor_id,vendor_name,list_cents,paid_cents,savings_cents\r\n"
        f"supplies,{world.vendor.id},Acme,119940,107946,11994\r\n")


def test_a_period_ending_before_it_starts_is_refused_at_the_field(pages, world):
    page = pages.as_("practice_buyer")
    response = page.get(f"/savings?from={YEAR}-12-31&to={YEAR}-01-01")
    assert response.status_code == 422 and "the period ends before it starts" in text_of(_html(response))
    bad = page.get("/savings?from=yesterday&to=2026-01-01")
    assert bad.status_code == 422 and 'id="f-from-error"' in _html(bad)


def test_the_savings_period_defaults_to_this_year_in_the_practices_time_zone(pages, world, monkeypatch):
    """At 03:00 UTC on January 1st it is still December 31st in Lakeside's zone."""
    from gpo.billing import pages as billing_pages

    world.practice.time_zone = "America/Chicago"
    db.session.commit()
    new_year = dt.datetime(YEAR + 1, 1, 1, 3, 0, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(billing_pages, "utcnow", lambda: new_year)
    html = _html(pages.as_("practice_buyer").get("/savings"))
    assert f'value="{YEAR}-01-01"' in html and f'value="{YEAR}-12-31"' in html
    assert f"{YEAR + 1}-01-01" not in html


def test_the_kind_filter_offers_only_invoice_kinds(pages, world):
    page = pages.as_("practice_buyer")
    html = _html(page.get("/invoices"))
    select_html = re.search(r'(?s)<select[^>]*name="kind".*?</select>', html).group(0)
    offered = [v for v in re.findall(r'<option value="([^"]*)"', select_html) if v]
    assert offered == list(INVOICE_KINDS) and "lease" in offered  # leasing's rents and space shares
    for kind in offered:
        assert page.get(f"/invoices?kind={kind}").status_code == 200


def test_the_billing_pages_are_for_practices_only(pages, world):
    for path in ("/invoices", "/billing", "/savings"):
        assert pages.as_("mso_finance").get(path).status_code == 404


def test_the_invoice_list_pages(pages, world):
    from gpo.auth.principal import SYSTEM
    from gpo.billing.invoices import draft_invoice, issue
    from gpo.db import unit_of_work

    with unit_of_work():  # as an edge: issuing tells the practice (an outbox event)
        for month in (1, 2, 3):
            invoice = draft_invoice(world.practice.id, "membership", f"membership:test:{month}", f"Membership {month}",
                                    [{"kind": "membership", "description": "Membership", "amount_cents": 15000}])
            issue(invoice, SYSTEM)
    page = pages.as_("practice_buyer")
    first = text_of(_html(page.get("/invoices?kind=membership&page_size=2")))
    assert "Page 1 of 2 (3 in all)" in first and "Membership 3" in first and "Membership 1" not in first
    second = page.get("/invoices?kind=membership&page_size=2&page=2")
    assert "Membership 1" in text_of(_html(second)) and 'rel="prev"' in _html(second)


def test_without_a_saved_card_pay_now_is_not_offered_and_the_print_view_names_both_parties(pages, closed, world):
    """The admin of a practice with no card sees where to save one, not a button that
    fails; the printable invoice says who bills whom."""
    invoice = closed["invoice"]
    page = pages.as_("practice_admin")
    text = text_of(page.get(f"/invoices/{invoice['id']}").get_data(as_text=True))
    assert "No card is saved for the practice yet" in text and "Pay now" not in text
    printed = text_of(page.get(f"/invoices/{invoice['id']}/print").get_data(as_text=True))
    assert f"Bill to {world.practice.name}" in printed and f"From {world.mso.name}" in printed
    assert world.practice.tax_id in printed
