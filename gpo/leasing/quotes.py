"""A lease quote (POST /leasing/quotes): every figure of a set of terms for one asset and
one practice (the rent, what is due at signing, the totals, the schedule with its due
dates, the ASC 842 classification with each test), computed by gpo/leasing/terms.py
exactly as an offer would fix them, and stored nowhere: the pages compare up to three
sets side by side."""
from __future__ import annotations

from gpo.accounts.models import Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.invoices import today
from gpo.db import db
from gpo.errors import Conflict, NotFound
from gpo.leasing import assets, terms
from gpo.leasing.terms import LeaseTermsInput

QUOTED_TERMS = ("term_months", "annual_rate_percent", "residual_cents", "advance_payments", "down_payment_cents",
               "commences_on", "early_termination_fee_percent", "residual_guarantee", "transfers_ownership",
               "purchase_option_reasonably_certain")


class QuoteInput(LeaseTermsInput):
    """A quote's request (LeaseQuoteInSchema): the asset, the practice and the terms."""

    asset_id: int
    practice_id: int


def practice_for(principal: Principal, practice_id: int) -> Practice:
    """The practice a quote is for: MSO staff name any; a practice only itself (another: 404)."""
    practice = db.session.get(Practice, practice_id)
    if practice is None or not policy.can_see(principal, practice):
        raise NotFound(f"practice {practice_id} not found")
    return practice


def quote(principal: Principal, data: QuoteInput) -> dict:
    """The figures of the terms (MSO finance; a practice admin for its own practice and
    an asset it sees). An asset not seen, or another practice, is 404; a role that may
    not quote 403; terms at fault 422 at each field; an asset a practice has bought 409."""
    asset = assets.load_asset(principal, data["asset_id"], "lease_quote.create")
    practice = practice_for(principal, data["practice_id"])
    if assets.is_sold(asset.id):
        raise Conflict(f"asset {asset.id} was sold to a practice: it is no longer the MSO's to lease")
    checked = terms.check(asset.cost_cents, data, today())
    return {"asset_id": asset.id, "practice_id": practice.id,
            "terms": {**{name: data.get(name) for name in QUOTED_TERMS},
                      "early_termination_fee_percent": checked.early_termination_fee_percent},
            **terms.figures(asset, checked, data, asset.fair_value_cents)}
