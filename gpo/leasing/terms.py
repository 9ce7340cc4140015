"""A lease's terms and what they give, shared by quotes, offers, signing, renewals and
pages: the terms checked whole (every rule at once, at its field), the figures
(rent, what is due at signing, the schedule with due dates, the ASC 842
classification), and the lease row built from them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NotRequired, TypedDict

from flask import current_app

from gpo.errors import Invalid
from gpo.leasing import rules
from gpo.leasing.models import Asset, Lease, LeaseScheduleRow


class LeaseTermsInput(TypedDict):
    """The terms a quote, an offer or a renewal takes (LeaseQuoteInSchema, LeaseOfferInSchema)."""

    term_months: int
    annual_rate_percent: Decimal
    residual_cents: int
    advance_payments: int
    down_payment_cents: int
    commences_on: dt.date
    early_termination_fee_percent: NotRequired[Decimal]
    residual_guarantee: NotRequired[str]  # none, practice, third_party
    transfers_ownership: NotRequired[bool]
    purchase_option_reasonably_certain: NotRequired[bool]


def lease_terms(cost_cents: int, data: LeaseTermsInput | Lease) -> rules.LeaseTerms:
    get = data.get if isinstance(data, dict) else lambda name, default=None: getattr(data, name)
    return rules.LeaseTerms(
        cost_cents=cost_cents, term_months=get("term_months"), annual_rate_percent=Decimal(get("annual_rate_percent")),
        residual_cents=get("residual_cents", 0), advance_payments=get("advance_payments", 0),
        down_payment_cents=get("down_payment_cents", 0),
        early_termination_fee_percent=Decimal(get("early_termination_fee_percent", Decimal(0)) or 0))


def terms_of(lease: Lease) -> rules.LeaseTerms:
    return lease_terms(lease.cost_cents, lease)


def check(cost_cents: int, data: LeaseTermsInput, today: dt.date) -> rules.LeaseTerms:
    """The terms, or 422 naming every field at fault (a commencement in the past too)."""
    terms = lease_terms(cost_cents, data)
    problems = rules.check_terms(terms)
    if data["commences_on"] < today:
        problems["commences_on"] = f"a new lease commences today ({today}) or later"
    if problems:
        raise Invalid("; ".join(problems.values()), {"json": {k: [v] for k, v in problems.items()}})
    return terms


def remaining_life_months(asset: Asset, on: dt.date) -> int:
    """The asset's economic life (from when the MSO acquired it) left on `on`."""
    months = (on.year - asset.acquired_on.year) * 12 + on.month - asset.acquired_on.month
    if on.day < asset.acquired_on.day:
        months -= 1
    return max(asset.economic_life_months - max(months, 0), 0)


def classification(asset: Asset, terms: rules.LeaseTerms, rent: int, data: LeaseTermsInput | Lease,
                   fair_value_cents: int, commences_on: dt.date) -> rules.Classification:
    get = data.get if isinstance(data, dict) else lambda name, default=None: getattr(data, name)
    return rules.classify(
        terms, rent, fair_value_cents=fair_value_cents,
        remaining_life_months=remaining_life_months(asset, commences_on),
        economic_life_months=asset.economic_life_months,
        transfers_ownership=bool(get("transfers_ownership", False)),
        purchase_option_reasonably_certain=bool(get("purchase_option_reasonably_certain", False)),
        specialized=asset.specialized, residual_guarantee=get("residual_guarantee", "none") or "none",
        sale_leaseback=asset.sold_by_practice_id is not None,
        term_test_percent=Decimal(current_app.config["LEASE_TERM_TEST_PERCENT"]),
        present_value_test_percent=Decimal(current_app.config["LEASE_PRESENT_VALUE_TEST_PERCENT"]))


def classification_json(c: rules.Classification) -> dict:
    return {"kind": c.kind, "implicit_rate_percent": str(c.implicit_rate_percent),
            "present_value_cents": c.present_value_cents, "present_value_percent": str(c.present_value_percent),
            "sale_leaseback_financing": c.sale_leaseback_financing,
            "tests": [{"name": t.name, "passed": t.passed, "explanation": t.explanation, "figures": t.figures}
                      for t in c.tests]}


def computed_schedule(terms: rules.LeaseTerms, rent: int, commences_on: dt.date) -> list[dict]:
    """The schedule's rows with the date each month's rent is due (the end of the month)."""
    dues = rules.due_dates(commences_on, terms.term_months)
    return [{"month": row.month, "due_on": dues[row.month - 1], "rent_cents": row.rent_cents,
             "interest_cents": row.interest_cents, "principal_cents": row.principal_cents,
             "balance_cents": row.balance_cents}
            for row in rules.schedule(terms, rent)]


def figures(asset: Asset, terms: rules.LeaseTerms, data: LeaseTermsInput, fair_value_cents: int) -> dict:
    """What a quote answers: the rent, what is due at signing, the totals, the schedule
    and the classification, from terms already checked."""
    rent = rules.rent_cents(terms)
    c = classification(asset, terms, rent, data, fair_value_cents, data["commences_on"])
    return {
        "cost_cents": terms.cost_cents, "fair_value_cents": fair_value_cents, "rent_cents": rent,
        "due_at_signing_cents": rules.due_at_signing_cents(terms, rent),
        "total_rent_cents": rent * terms.term_months,
        "total_payments_cents": terms.down_payment_cents + rent * terms.term_months,
        "schedule": computed_schedule(terms, rent, data["commences_on"]),
        "classification": classification_json(c),
    }


def build_lease(asset: Asset, practice_id: int, data: LeaseTermsInput, offered_by: str, today: dt.date, *,
                cost_cents: int | None = None, fair_value_cents: int | None = None,
                renews_lease_id: int | None = None) -> Lease:
    """An offered lease (not yet added to the session) from checked terms, its rent and
    classification fixed. A renewal finances what is left (the old residual) instead
    of the asset's cost."""
    cost = asset.cost_cents if cost_cents is None else cost_cents
    fair = asset.fair_value_cents if fair_value_cents is None else fair_value_cents
    terms = check(cost, data, today)
    rent = rules.rent_cents(terms)
    c = classification(asset, terms, rent, data, fair, data["commences_on"])
    return Lease(
        asset_id=asset.id, practice_id=practice_id, status="offered", cost_cents=cost, fair_value_cents=fair,
        term_months=terms.term_months, annual_rate_percent=terms.annual_rate_percent,
        residual_cents=terms.residual_cents, advance_payments=terms.advance_payments,
        down_payment_cents=terms.down_payment_cents,
        early_termination_fee_percent=terms.early_termination_fee_percent,
        residual_guarantee=data.get("residual_guarantee", "none") or "none",
        transfers_ownership=bool(data.get("transfers_ownership", False)),
        purchase_option_reasonably_certain=bool(data.get("purchase_option_reasonably_certain", False)),
        commences_on=data["commences_on"], rent_cents=rent, classification=c.kind,
        classification_tests=classification_json(c)["tests"], offered_by=offered_by,
        renews_lease_id=renews_lease_id)


def schedule_rows(lease: Lease) -> list[dict]:
    """A signed lease's stored schedule (with the invoice that billed each rent); an
    offer's computed from its terms, as it would be fixed by signing."""
    if lease.schedule:
        return [{"month": r.month, "due_on": r.due_on, "rent_cents": r.rent_cents,
                 "interest_cents": r.interest_cents, "principal_cents": r.principal_cents,
                 "balance_cents": r.balance_cents, "invoice_id": r.invoice_id} for r in lease.schedule]
    return [{**row, "invoice_id": None} for row in computed_schedule(terms_of(lease), lease.rent_cents,
                                                                     lease.commences_on)]


def write_schedule(lease: Lease) -> None:
    """Signing fixes the schedule: its rows are written once and never change."""
    lease.schedule = [LeaseScheduleRow(**{k: v for k, v in row.items() if k != "invoice_id"})
                      for row in computed_schedule(terms_of(lease), lease.rent_cents, lease.commences_on)]
