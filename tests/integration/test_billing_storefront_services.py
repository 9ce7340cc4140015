"""The billing services the storefront's pages call, directly: the savings report per
month and the savings dashboard (exact cents), the SetupIntent for Stripe Elements and
saving the card from it (only a succeeded one of the practice's own customer), the
saved card as Stripe describes it, and the billing page's read-only overview by role."""
from __future__ import annotations

import datetime as dt

import pytest

from gpo.auth.services import principal_for_user
from gpo.billing import payment_methods, payments, reports
from gpo.billing.models import PaymentProfile
from gpo.db import db
from gpo.errors import Forbidden, Invalid, NotFound
from gpo.orders.models import Cycle
from tests.factories import CycleFactory
from tests.scenarios import YEAR, Billing, rebate_body


@pytest.fixture
def billing(client, world, run_jobs):
    return Billing(client, world, run_jobs)


def _as(world, name):
    return principal_for_user(world.users[name])


def _two_cycles_in_two_months(billing) -> None:
    """Cycle 1 (Lakeside 60 gloves, Riverbend 50: the 10% tier) closed on March 15th;
    cycle 2 (Lakeside 40 gloves alone: no tier) closed now."""
    billing.buy_and_close()
    db.session.get(Cycle, billing.cycle.id).closed_at = dt.datetime(YEAR, 3, 15, 12, tzinfo=dt.timezone.utc)
    billing.cycle = CycleFactory()
    db.session.commit()
    assert billing.order([(billing.gloves, 40)], key="second-cycle").status_code == 201
    billing.close()


def test_the_savings_report_sums_per_month_to_the_cent(billing, world):
    _two_cycles_in_two_months(billing)
    report = reports.savings_report(_as(world, "practice_buyer"), None, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    db.session.expire_all()
    this_month = f"{db.session.get(Cycle, billing.cycle.id).closed_at:%Y-%m}"
    assert report["months"] == [
        # 60 x 19.99 = 1199.40 listed, 60 x 17.9910 = 1079.46 paid
        {"month": f"{YEAR}-03", "list_cents": 119940, "paid_cents": 107946, "savings_cents": 11994},
        # 40 x 19.99 = 799.60, at list
        {"month": this_month, "list_cents": 79960, "paid_cents": 79960, "savings_cents": 0},
    ]
    assert (report["list_cents"], report["paid_cents"], report["savings_cents"]) == (199900, 187906, 11994)
    # MSO staff, every practice: March holds Riverbend's 50 gloves too (999.50 listed, 899.55 paid)
    everyone = reports.savings_report(_as(world, "mso_finance"), None, dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 31))
    assert everyone["months"] == [{"month": f"{YEAR}-03", "list_cents": 219890, "paid_cents": 197901,
                                   "savings_cents": 21989}]


def test_the_savings_dashboard_groups_and_adds_the_rebates_and_the_disclosure(billing, world):
    billing.buy_and_close()
    billing.finalize(billing.invoice_of(world.practice, kind="purchasing")["id"])
    assert billing.client.post("/api/v1/rebates", json=rebate_body(billing), headers=billing.finance).status_code == 201
    dashboard = reports.savings_dashboard(_as(world, "practice_admin"), None, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    assert dashboard["by_category"] == [{"category": "supplies", "list_cents": 119940, "paid_cents": 107946,
                                         "savings_cents": 11994}]
    assert dashboard["by_vendor"] == [{"vendor_name": "Acme", "list_cents": 119940, "paid_cents": 107946,
                                       "savings_cents": 11994}]
    # $1,000 less 20% kept; only Lakeside's invoice is finalized: all $800 to Lakeside
    assert [(r["vendor_name"], r["amount_cents"]) for r in dashboard["rebates"]] == [("Acme", 80000)]
    assert dashboard["rebates_cents"] == 80000
    [disclosure] = dashboard["disclosures"]
    # 2% of 107946 + 89955 = 3958.02 -> 3958, allocated by sales: 2158.90 and 1799.09, the
    # cent left over to the larger remainder: Lakeside 2159
    assert (disclosure["year"], disclosure["admin_fee_cents"], disclosure["purchases_cents"]) == (YEAR, 2159, 107946)
    other = reports.savings_dashboard(_as(world, "other_practice_admin"), None, dt.date(YEAR, 1, 1),
                                      dt.date(YEAR, 12, 31))
    assert other["rebates"] == [] and other["paid_cents"] == 89955
    with pytest.raises(Invalid):
        reports.savings_dashboard(_as(world, "practice_admin"), None, dt.date(YEAR, 2, 1), dt.date(YEAR, 1, 1))


def test_a_setup_intent_is_made_for_the_practices_customer_by_its_admin_only(world):
    intent = payment_methods.create_setup_intent(_as(world, "practice_admin"), world.practice.id)
    assert intent["setup_intent_id"].startswith("seti_") and intent["client_secret"].startswith(intent["setup_intent_id"])
    profile = db.session.get(PaymentProfile, world.practice.id)
    assert profile.stripe_customer_id == intent["stripe_customer_id"]
    stripe_intent = payments.stripe_client().v1.setup_intents.retrieve(intent["setup_intent_id"])
    assert stripe_intent.customer == profile.stripe_customer_id
    again = payment_methods.create_setup_intent(_as(world, "practice_admin"), world.practice.id)
    assert again["stripe_customer_id"] == profile.stripe_customer_id  # one customer
    with pytest.raises(Forbidden):
        payment_methods.create_setup_intent(_as(world, "practice_buyer"), world.practice.id)
    with pytest.raises(NotFound):
        payment_methods.create_setup_intent(_as(world, "practice_admin"), world.other_practice.id)


def test_the_card_on_file_says_brand_and_last_four_and_the_overview_follows_the_role(world):
    admin = _as(world, "practice_admin")
    assert payment_methods.card_on_file(admin, world.practice.id)["card"] == {}
    method = payments.stripe_client().v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    payment_methods.save_payment_method(admin, world.practice.id, method.id)
    card = payment_methods.card_on_file(admin, world.practice.id)
    assert card["stripe_payment_method_id"] == method.id
    assert (card["card"]["last4"], card["card"]["exp_month"], card["card"]["exp_year"]) == ("4242", 12, 2030)
    buyer = payment_methods.billing_overview(_as(world, "practice_buyer"), world.practice.id)
    assert (buyer["card"], buyer["may_read_card"], buyer["may_update_card"]) == (None, False, False)
    assert buyer["credits"]["balance_cents"] == 0
    overview = payment_methods.billing_overview(admin, world.practice.id)
    assert overview["card"]["card"]["last4"] == "4242" and overview["may_update_card"]
    assert "setup_intent" not in overview and overview["stripe_unavailable"] is False


def test_the_overview_reads_only(world):
    """No profile, no Stripe customer, no SetupIntent: the card form asks for one by POST."""
    overview = payment_methods.billing_overview(_as(world, "practice_admin"), world.practice.id)
    assert overview["card"]["stripe_payment_method_id"] is None and overview["may_update_card"]
    db.session.flush()
    assert db.session.get(PaymentProfile, world.practice.id) is None


def _confirmed_setup_intent(principal, practice_id, number="4242424242424242") -> str:
    client = payments.stripe_client()
    intent = payment_methods.create_setup_intent(principal, practice_id)
    method = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    client.v1.setup_intents.confirm(intent["setup_intent_id"], {"payment_method": method.id})
    return intent["setup_intent_id"]


def test_the_card_is_saved_from_a_succeeded_setup_intent_of_the_practices_customer(world):
    admin = _as(world, "practice_admin")
    setup_intent_id = _confirmed_setup_intent(admin, world.practice.id)
    method_id = payments.stripe_client().v1.setup_intents.retrieve(setup_intent_id).payment_method
    saved = payment_methods.save_card_from_setup_intent(admin, world.practice.id, setup_intent_id)
    assert saved["stripe_payment_method_id"] == method_id
    assert db.session.get(PaymentProfile, world.practice.id).stripe_payment_method_id == method_id
    assert payments.stripe_client().v1.payment_methods.retrieve(method_id).customer == saved["stripe_customer_id"]


def test_a_setup_intent_not_succeeded_or_of_another_customer_is_refused(world):
    admin = _as(world, "practice_admin")
    theirs = _confirmed_setup_intent(_as(world, "other_practice_admin"), world.other_practice.id)
    with pytest.raises(Invalid, match="is not your practice's"):  # Lakeside has no customer yet
        payment_methods.save_card_from_setup_intent(admin, world.practice.id, theirs)
    pending = payment_methods.create_setup_intent(admin, world.practice.id)["setup_intent_id"]
    with pytest.raises(Invalid, match="is not your practice's"):
        payment_methods.save_card_from_setup_intent(admin, world.practice.id, theirs)
    with pytest.raises(Invalid, match=r"not confirmed it \(requires_payment_method\)"):
        payment_methods.save_card_from_setup_intent(admin, world.practice.id, pending)
    with pytest.raises(Invalid, match="The card was not confirmed with Stripe") as refused:
        payment_methods.save_card_from_setup_intent(admin, world.practice.id, "pm_123")
    assert refused.value.errors["json"]["setup_intent_id"] == ["Not a Stripe SetupIntent id (seti_...)."]
    with pytest.raises(Invalid, match="Stripe knows no card setup"):
        payment_methods.save_card_from_setup_intent(admin, world.practice.id, "seti_unknown")
    assert db.session.get(PaymentProfile, world.practice.id).stripe_payment_method_id is None
    mine = _confirmed_setup_intent(admin, world.practice.id)
    with pytest.raises(Forbidden):
        payment_methods.save_card_from_setup_intent(_as(world, "practice_buyer"), world.practice.id, mine)
    with pytest.raises(NotFound):
        payment_methods.save_card_from_setup_intent(_as(world, "other_practice_admin"), world.practice.id, mine)
