"""A practice's Stripe customer and saved payment method (DOMAIN.md "Billing", payments).

We keep only Stripe ids (cus_, pm_), never card data: the storefront collects the card
with Stripe Elements, confirms a SetupIntent of the practice's customer with it and
hands us the SetupIntent's id; we check it with Stripe and attach its payment method
(the API takes a payment method's id directly); later payments
(gpo/billing/payments.py) charge it.
"""
from __future__ import annotations

import re

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


def _card_details(payment_method_id: str) -> tuple[dict, bool]:
    """The card's brand, last four digits and expiry as Stripe tells them (nothing is
    stored: Stripe ids only), empty when Stripe cannot say; and whether Stripe could be
    asked at all (False: unreachable or failing, as opposed to not knowing the card)."""
    try:
        method = stripe_client().v1.payment_methods.retrieve(payment_method_id)
    except stripe.InvalidRequestError:
        return {}, True
    except stripe.StripeError:
        return {}, False
    card = getattr(method, "card", None)
    if card is None:
        return {}, True
    card = card.to_dict() if hasattr(card, "to_dict") else dict(card)
    return {key: card.get(key) for key in ("brand", "last4", "exp_month", "exp_year") if card.get(key) is not None}, True


def card_on_file(principal: Principal, practice_id: int) -> dict:
    """The saved payment method with what Stripe says of its card (brand, last4) when
    it can; the storefront's billing page shows it. Reads only (no row, no Stripe
    object is made); `stripe_unavailable` tells that Stripe could not be asked."""
    view = get_payment_method(principal, practice_id)
    view["card"], view["stripe_unavailable"] = {}, False
    if view["stripe_payment_method_id"]:
        view["card"], reachable = _card_details(view["stripe_payment_method_id"])
        view["stripe_unavailable"] = not reachable
    return view


def create_setup_intent(principal: Principal, practice_id: int) -> dict:
    """A SetupIntent for the practice's Stripe customer (practice admin), asked for by
    the storefront's card form (a POST, when the admin starts entering a card): Stripe
    Elements confirms it with the card (the card goes from the browser to Stripe, never
    to us) and the form then posts the SetupIntent's id (`save_card_from_setup_intent`).
    The profile row is locked (until the request ends) only when the customer is first
    created; later SetupIntents read the customer's id without a lock."""
    practice = policy.load(principal, Practice, practice_id, "payment_method.update")
    profile = db.session.get(PaymentProfile, practice.id)
    if profile is None or profile.stripe_customer_id is None:
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


SETUP_INTENT_ID = re.compile(r"^seti_[A-Za-z0-9_]{1,80}$")


def _refused_setup(message: str, field_message: str | None = None) -> Invalid:
    return Invalid(message, {"json": {"setup_intent_id": [field_message or message]}})


def save_card_from_setup_intent(principal: Principal, practice_id: int, setup_intent_id: str) -> dict:
    """The storefront's card form confirmed a SetupIntent with Stripe Elements and posts
    its id: Stripe is asked for it, it must be of this practice's customer and have
    succeeded, and its payment method is saved (`save_payment_method`). Anything else
    is refused (422) and changes nothing; a failed confirmation says Stripe's reason."""
    practice = policy.load(principal, Practice, practice_id, "payment_method.update")
    if not isinstance(setup_intent_id, str) or not SETUP_INTENT_ID.match(setup_intent_id):
        raise _refused_setup("The card was not confirmed with Stripe: enter the card and save it again.",
                             "Not a Stripe SetupIntent id (seti_...).")
    profile = db.session.get(PaymentProfile, practice.id)
    customer_id = profile.stripe_customer_id if profile is not None else None
    try:
        intent = stripe_client().v1.setup_intents.retrieve(setup_intent_id)
    except stripe.InvalidRequestError as exc:
        raise _refused_setup(f"Stripe knows no card setup {setup_intent_id}: enter the card again.",
                             exc.user_message or "unknown to Stripe") from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe could not be asked about the card: {exc.user_message or exc}") from exc
    intent_customer = intent.customer if isinstance(intent.customer, str) or intent.customer is None \
        else intent.customer.id
    if customer_id is None or intent_customer != customer_id:
        raise _refused_setup(f"Card setup {setup_intent_id} is not your practice's: nothing was saved.")
    if intent.status != "succeeded":
        error = getattr(intent, "last_setup_error", None)
        reason = getattr(error, "message", None) if error is not None else None
        raise _refused_setup(f"Your card was not saved: {reason or f'Stripe has not confirmed it ({intent.status})'}.")
    method = intent.payment_method
    method_id = method if isinstance(method, str) or method is None else method.id
    if not method_id:
        raise _refused_setup("Your card was not saved: Stripe's card setup has no payment method.")
    return save_payment_method(principal, practice.id, method_id)


def billing_overview(principal: Principal, practice_id: int) -> dict:
    """What the storefront's billing page shows, read only (GET makes no row and no
    Stripe object): the practice's credits and their history (every practice role),
    the saved card (roles that may read it; as stored when Stripe cannot be reached),
    whether the role may enter a new one, and whether Stripe is known to be unreachable
    now (card entry then waits). The card form asks for its SetupIntent by a POST
    (`create_setup_intent`)."""
    from gpo.billing.invoices import credits_of

    overview = {"credits": credits_of(principal, practice_id), "card": None, "stripe_unavailable": False,
                "may_read_card": policy.may(principal, "payment_method.read"),
                "may_update_card": policy.may(principal, "payment_method.update")}
    if overview["may_read_card"]:
        overview["card"] = card_on_file(principal, practice_id)
        overview["stripe_unavailable"] = overview["card"]["stripe_unavailable"]
    return overview
