"""A practice's Stripe customer and saved payment method (DOMAIN.md "Billing", payments).

We keep only Stripe ids (cus_, pm_), never card data: the storefront collects the card
with Stripe Elements and hands us the payment method's id, which we attach to the
practice's customer; later payments (gpo/billing/payments.py) charge it.
"""
from __future__ import annotations

import stripe
from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.models import PaymentProfile
from gpo.billing.payments import PaymentProviderError, stripe_client
from gpo.db import db, flush_unless_duplicate, utcnow
from gpo.errors import Invalid


def _profile_for_update(practice_id: int) -> PaymentProfile:
    profile = db.session.scalars(select(PaymentProfile).where(PaymentProfile.practice_id == practice_id)
                                 .with_for_update().execution_options(populate_existing=True)).one_or_none()
    if profile is None:
        flush_unless_duplicate(PaymentProfile(practice_id=practice_id))  # or created at the same moment: lock it
        profile = db.session.scalars(select(PaymentProfile).where(PaymentProfile.practice_id == practice_id)
                                     .with_for_update().execution_options(populate_existing=True)).one()
    return profile


def ensure_customer(practice: Practice) -> PaymentProfile:
    """The practice's Stripe customer, created when first needed (the profile row is
    locked meanwhile, so two requests cannot create two)."""
    profile = _profile_for_update(practice.id)
    if profile.stripe_customer_id is None:
        try:
            customer = stripe_client().v1.customers.create(
                {"name": practice.name, "metadata": {"gpo_practice_id": str(practice.id)}},
                {"idempotency_key": f"gpo-customer-practice-{practice.id}"})
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"Stripe did not create the customer: {exc.user_message or exc}") from exc
        profile.stripe_customer_id = customer.id
        profile.updated_at = utcnow()
    return profile


def payment_method_view(profile: PaymentProfile) -> dict:
    return {"practice_id": profile.practice_id, "stripe_customer_id": profile.stripe_customer_id,
            "stripe_payment_method_id": profile.stripe_payment_method_id, "updated_at": profile.updated_at}


def save_payment_method(principal: Principal, practice_id: int, payment_method_id: str) -> dict:
    """Attach a payment method collected by the storefront (Stripe Elements) to the
    practice's customer; later payments charge it."""
    practice = policy.load(principal, Practice, practice_id, "payment_method.update")
    profile = ensure_customer(practice)
    try:
        stripe_client().v1.payment_methods.attach(payment_method_id, {"customer": profile.stripe_customer_id})
    except (stripe.CardError, stripe.InvalidRequestError) as exc:
        raise Invalid(f"Stripe refused payment method {payment_method_id}: {exc.user_message or exc}",
                      {"json": {"stripe_payment_method_id": [exc.user_message or "refused by Stripe"]}}) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe could not attach the payment method: {exc.user_message or exc}") from exc
    profile.stripe_payment_method_id = payment_method_id
    profile.updated_at = utcnow()
    audit.record(principal, "payment_method.update", practice, details={"stripe_payment_method_id": payment_method_id})
    db.session.flush()
    return payment_method_view(profile)


def get_payment_method(principal: Principal, practice_id: int) -> dict:
    policy.load(principal, Practice, practice_id, "payment_method.read")
    profile = db.session.get(PaymentProfile, practice_id) or PaymentProfile(practice_id=practice_id)
    return payment_method_view(profile)


def _card_details(payment_method_id: str) -> dict:
    """The card's brand, last four digits and expiry as Stripe tells them (nothing is
    stored: Stripe ids only); empty when Stripe cannot say."""
    try:
        method = stripe_client().v1.payment_methods.retrieve(payment_method_id)
    except stripe.StripeError:
        return {}
    card = getattr(method, "card", None)
    if card is None:
        return {}
    card = card.to_dict() if hasattr(card, "to_dict") else dict(card)
    return {key: card.get(key) for key in ("brand", "last4", "exp_month", "exp_year") if card.get(key) is not None}


def card_on_file(principal: Principal, practice_id: int) -> dict:
    """The saved payment method with what Stripe says of its card (brand, last4) when
    it can; the storefront's billing page shows it."""
    view = get_payment_method(principal, practice_id)
    view["card"] = _card_details(view["stripe_payment_method_id"]) if view["stripe_payment_method_id"] else {}
    return view


def create_setup_intent(principal: Principal, practice_id: int) -> dict:
    """A SetupIntent for the practice's Stripe customer (practice admin): the storefront
    confirms it with Stripe Elements (the card goes from the browser to Stripe, never
    to us) and then saves the resulting payment method (`save_payment_method`)."""
    practice = policy.load(principal, Practice, practice_id, "payment_method.update")
    profile = ensure_customer(practice)
    try:
        intent = stripe_client().v1.setup_intents.create(
            {"customer": profile.stripe_customer_id, "usage": "off_session", "payment_method_types": ["card"],
             "metadata": {"gpo_practice_id": str(practice.id)}})
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe did not create the SetupIntent: {exc.user_message or exc}") from exc
    db.session.flush()
    return {"practice_id": practice.id, "setup_intent_id": intent.id, "client_secret": intent.client_secret,
            "stripe_customer_id": profile.stripe_customer_id}


def billing_overview(principal: Principal, practice_id: int) -> dict:
    """What the storefront's billing page shows: the practice's credits and their history
    (every practice role), the saved card (roles that may read it) and a SetupIntent to
    enter a new one (roles that may change it), with why a role is not offered these."""
    from gpo.billing.invoices import credits_of

    overview = {"credits": credits_of(principal, practice_id), "card": None, "setup_intent": None,
                "may_read_card": policy.may(principal, "payment_method.read"),
                "may_update_card": policy.may(principal, "payment_method.update")}
    if overview["may_read_card"]:
        overview["card"] = card_on_file(principal, practice_id)
    if overview["may_update_card"]:
        overview["setup_intent"] = create_setup_intent(principal, practice_id)
    return overview
