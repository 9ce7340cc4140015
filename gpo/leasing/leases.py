"""Leases offered, signed and withdrawn (DOMAIN.md "Equipment and space leasing"): MSO
finance offers a lease of an asset to a practice on terms (`terms.build_lease` fixes
its rent and classification); the practice signs it (a physician of the practice when
the asset is clinical: CPOM), which makes it active, fixes its schedule, withdraws the
asset's other open offers and issues the commencement invoice (the down payment and
the advance rents); an offer not signed yet may be withdrawn.

An asset is on at most one active lease. Signings of one asset queue on the asset's
row lock (so the winner's withdrawal of the other offers never waits on a loser that
waits on it), and the partial unique index `uq_leases_one_active_per_asset` refuses a
second active lease whatever path led to it: the loser answers 409 and writes nothing."""
from __future__ import annotations

import datetime as dt
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from gpo import audit
from gpo.accounts.models import Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.inputs import InvoiceLineInput
from gpo.billing.invoices import draft_invoice, issue, today
from gpo.billing.models import Invoice
from gpo.db import Paged, db, flush_or_conflict, paged, utcnow
from gpo.errors import Conflict, Forbidden, Invalid
from gpo.leasing import assets, rules, terms
from gpo.leasing.models import Asset, Lease

CPOM_RULE = "A physician of the practice signs leases of clinical equipment"
OPEN_STATUSES = ("offered",)


class LeaseFilters(TypedDict, total=False):
    """The leases' list filters (LeaseQuerySchema)."""

    practice_id: int
    asset_id: int
    status: str


class LeaseOfferInput(terms.LeaseTermsInput):
    """POST /leasing/leases (LeaseOfferInSchema): the asset, the practice and the terms."""

    asset_id: int
    practice_id: int


def term_ends_on(lease: Lease) -> dt.date:
    """The end of the term: the end of month n."""
    return rules.add_months(lease.commences_on, lease.term_months)


def _active_lease_of(asset_id: int) -> Lease | None:
    return db.session.scalars(select(Lease).where(Lease.asset_id == asset_id, Lease.status == "active")).first()


def _leased_until(lease: Lease) -> str:
    practice = db.session.get(Practice, lease.practice_id)
    return (f"asset {lease.asset_id} is leased to {practice.name if practice else f'practice {lease.practice_id}'} "
            f"under lease {lease.id} until {term_ends_on(lease).isoformat()}")


def _lock_asset(asset_id: int) -> Asset | None:
    # FOR NO KEY UPDATE: signings and offers of one asset queue here, while a renewal's
    # new lease row (which only references the asset) is not held up.
    return db.session.scalars(select(Asset).where(Asset.id == asset_id).with_for_update(key_share=True)
                              .execution_options(populate_existing=True)).one_or_none()


def _lock_lease(lease_id: int) -> Lease:
    return db.session.scalars(select(Lease).where(Lease.id == lease_id).with_for_update(key_share=True)
                              .execution_options(populate_existing=True)).one()


# --- reading ---------------------------------------------------------------------------


def lease_query(principal: Principal, filters: LeaseFilters):
    policy.authorize(principal, "lease.read")
    stmt = select(Lease)
    for name in ("practice_id", "asset_id", "status"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Lease, name) == filters[name])
    return policy.scope(principal, stmt, Lease.practice_id)


def list_leases(principal: Principal, filters: LeaseFilters, page: int, page_size: int) -> Paged:
    """Leases, newest first (a practice: its own; MSO: all), as `lease_view` without the schedule."""
    # a list shows no schedule: the rows load only if something asks for them
    stmt = lease_query(principal, filters).options(lazyload(Lease.schedule)).order_by(Lease.id.desc())
    result = paged(stmt, page, page_size)
    return Paged(items=[lease_view(lease, with_schedule=False) for lease in result.items], total=result.total)


def get_lease(principal: Principal, lease_id: int) -> Lease:
    return policy.load(principal, Lease, lease_id, "lease.read")


def invoice_numbers(invoice_ids) -> dict[int, str | None]:
    """The numbers of these invoices (None: a draft, not numbered yet), in one statement."""
    ids = sorted({i for i in invoice_ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids))).all())


def sale_leaseback_financing(lease: Lease) -> bool:
    """ASC 842-40: the asset was bought from a practice that leases it back sales-type,
    so for the books no sale occurs and the MSO's purchase is a financing."""
    return lease.asset.sold_by_practice_id is not None and lease.classification == "sales_type"


def lease_view(lease: Lease, *, with_schedule: bool = True) -> dict:
    """A lease as the API and the pages show it: its terms, what they give, who offered
    and signed it and when, its end, and its schedule (fixed by signing; an offer's as
    signing would fix it). With the schedule, each invoice's number is read too (one
    statement for every row, the commencement's and the end's)."""
    t = terms.terms_of(lease)
    practice = db.session.get(Practice, lease.practice_id)
    view = {
        "id": lease.id, "asset_id": lease.asset_id, "asset_description": lease.asset.description,
        "asset_clinical": lease.asset.clinical, "practice_id": lease.practice_id,
        "practice_name": practice.name if practice else "", "status": lease.status,
        "terms": {
            "term_months": lease.term_months, "annual_rate_percent": lease.annual_rate_percent,
            "residual_cents": lease.residual_cents, "advance_payments": lease.advance_payments,
            "down_payment_cents": lease.down_payment_cents, "commences_on": lease.commences_on,
            "early_termination_fee_percent": lease.early_termination_fee_percent,
            "residual_guarantee": lease.residual_guarantee, "transfers_ownership": lease.transfers_ownership,
            "purchase_option_reasonably_certain": lease.purchase_option_reasonably_certain,
        },
        "commences_on": lease.commences_on, "term_ends_on": term_ends_on(lease),
        "cost_cents": lease.cost_cents, "fair_value_cents": lease.fair_value_cents, "rent_cents": lease.rent_cents,
        "due_at_signing_cents": rules.due_at_signing_cents(t, lease.rent_cents),
        "total_rent_cents": lease.rent_cents * lease.term_months,
        "total_payments_cents": lease.down_payment_cents + lease.rent_cents * lease.term_months,
        "classification": {"kind": lease.classification, "tests": lease.classification_tests,
                           "sale_leaseback_financing": sale_leaseback_financing(lease)},
        "offered_by": lease.offered_by, "offered_at": lease.created_at,
        "signed_by": lease.signed_by, "signed_at": lease.signed_at,
        "commencement_invoice_id": lease.commencement_invoice_id,
        "ended_on": lease.ended_on, "end_outcome": lease.end_outcome, "end_reason": lease.end_reason,
        "end_invoice_id": lease.end_invoice_id, "renews_lease_id": lease.renews_lease_id,
    }
    if with_schedule:
        rows = terms.schedule_rows(lease)
        numbers = invoice_numbers([r["invoice_id"] for r in rows]
                                  + [lease.commencement_invoice_id, lease.end_invoice_id])
        view["schedule"] = [{**r, "invoice_number": numbers.get(r["invoice_id"])} for r in rows]
        view["commencement_invoice_number"] = numbers.get(lease.commencement_invoice_id)
        view["end_invoice_number"] = numbers.get(lease.end_invoice_id)
    return view


def latest_of_practice(principal: Principal, asset_id: int) -> Lease | None:
    """The principal's practice's latest lease of the asset (not a withdrawn offer)."""
    return db.session.scalars(select(Lease).where(
        Lease.asset_id == asset_id, Lease.practice_id == principal.organization_id, Lease.status != "withdrawn")
        .order_by(Lease.id.desc()).limit(1)).first()


def commencement_invoice(lease: Lease) -> Invoice | None:
    return db.session.get(Invoice, lease.commencement_invoice_id) if lease.commencement_invoice_id else None


def standing(lease: Lease, on: dt.date) -> dict:
    """Where an active lease stands on `on`: months passed, the next rent due (if any)
    and the balance the MSO still finances after the months passed."""
    rows = terms.schedule_rows(lease)
    passed = rules.months_passed(lease.commences_on, on, lease.term_months)
    upcoming = next((r for r in rows if r["rent_cents"] > 0 and r["due_on"] > on), None)
    t = terms.terms_of(lease)
    balance = rows[passed - 1]["balance_cents"] if passed else t.financed_cents - t.advance_payments * lease.rent_cents
    return {"months_passed": passed, "next_rent": upcoming, "balance_cents": balance}


def overview(principal: Principal, on: dt.date, limit: int = 200) -> dict:
    """The storefront's leasing page: the offers waiting for signature, the active leases
    with where each stands on `on`, and the ended and withdrawn ones (newest first)."""
    rows = db.session.scalars(lease_query(principal, {}).order_by(Lease.id.desc()).limit(limit)).all()
    views = [(lease, lease_view(lease, with_schedule=False)) for lease in rows]
    return {
        "offered": [v for lease, v in views if lease.status == "offered"],
        "active": [{**v, **standing(lease, on)} for lease, v in views if lease.status == "active"],
        "past": [v for lease, v in views if lease.status in ("ended", "withdrawn")],
    }


def _needs_a_physician(principal: Principal, lease: Lease) -> bool:
    """CPOM: a lease of clinical equipment is signed by a physician of the practice."""
    return lease.asset.clinical and "practice_physician" not in principal.roles


def why_not_signed(principal: Principal, lease: Lease, on: dt.date) -> str | None:
    """Why `sign` would refuse this principal now (None: it may sign); the pages say it
    instead of offering the button."""
    if not policy.may(principal, "lease.sign"):
        return "A practice admin or physician signs the practice's leases."
    if _needs_a_physician(principal, lease):
        return f"{CPOM_RULE}."
    try:
        _refuse_unless_signable(lease, on)
    except Conflict as exc:
        return exc.message
    return None


def offers_waiting(principal: Principal) -> int:
    """Offers still open for signature (their commencement not passed), across the MSO."""
    return db.session.scalar(lease_query(principal, {"status": "offered"})
                             .where(Lease.commences_on >= today()).with_only_columns(func.count(Lease.id)))


# --- offering --------------------------------------------------------------------------


def _offered_asset(principal: Principal, asset_id: int) -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None or not policy.can_see(principal, asset):
        raise Invalid.of_field("asset_id", f"asset {asset_id} does not exist")
    return asset


def _offered_practice(practice_id: int) -> Practice:
    practice = db.session.get(Practice, practice_id)
    if practice is None:
        raise Invalid.of_field("practice_id", f"practice {practice_id} does not exist")
    if practice.status != "active":
        raise Invalid.of_field("practice_id", f"practice {practice.name} is {practice.status}: leases are offered "
                                              "to active practices only")
    return practice


def offer(principal: Principal, data: LeaseOfferInput) -> Lease:
    """MSO finance offers a lease of an asset to an active practice on `data`'s terms.
    An asset on an active lease is not offered again until that lease ends (409); a
    renewal is offered by the end of term (gpo/leasing/lifecycle.py)."""
    policy.authorize(principal, "lease.offer")
    asset = _offered_asset(principal, data["asset_id"])
    practice = _offered_practice(data["practice_id"])
    _lock_asset(asset.id)  # after a signing of the asset commits, so its active lease is seen
    sold = assets.sold_text(asset)
    if sold is not None:
        raise Conflict(f"{sold}: it is no longer the MSO's to lease")
    active = _active_lease_of(asset.id)
    if active is not None:
        raise Conflict(f"{_leased_until(active)}: it can be offered again once that lease ends")
    lease = terms.build_lease(asset, practice.id, data, principal.label, today())
    db.session.add(lease)
    db.session.flush()
    audit.record(principal, "lease.offer", lease, details={
        "asset_id": asset.id, "term_months": lease.term_months, "rent_cents": lease.rent_cents,
        "commences_on": lease.commences_on.isoformat(), "classification": lease.classification})
    return lease


# --- signing ---------------------------------------------------------------------------


def _refuse_unless_signable(lease: Lease, on: dt.date) -> None:
    if lease.status in ("active", "ended"):
        raise Conflict(f"lease {lease.id} was signed by {lease.signed_by} on {lease.signed_at.date().isoformat()}: "
                       "a lease is signed once")
    if lease.status == "withdrawn":
        why = f" ({lease.end_reason})" if lease.end_reason else ""
        raise Conflict(f"lease {lease.id} was withdrawn{why}: ask MSO finance for a new offer")
    if lease.commences_on < on:
        raise Conflict(f"lease {lease.id} was to commence on {lease.commences_on.isoformat()}, which has passed: "
                       "ask MSO finance for a new offer")


def _advance_rents_text(lease: Lease) -> str:
    """Which rents the k advance payments are: the first, then the last k - 1."""
    n, k = lease.term_months, lease.advance_payments
    if k == 1:
        return f"Rent 1 of {n} in advance"
    last = str(n) if k == 2 else f"{n - k + 2} to {n}"
    return f"Rents 1 and {last} of {n} in advance ({k} rents)"


def commencement_lines(lease: Lease) -> list[InvoiceLineInput]:
    """The down payment D (if any) and the k advance rents (if any)."""
    what = f"{lease.asset.description} (lease {lease.id})"
    lines: list[InvoiceLineInput] = []
    if lease.down_payment_cents > 0:
        lines.append({"kind": "down_payment", "amount_cents": lease.down_payment_cents,
                      "description": f"Down payment: {what}"[:300]})
    if lease.advance_payments > 0:
        lines.append({"kind": "rent", "amount_cents": lease.advance_payments * lease.rent_cents,
                      "description": f"{_advance_rents_text(lease)}: {what}"[:300]})
    return lines


def _issue_commencement_invoice(principal: Principal, lease: Lease) -> Invoice | None:
    lines = commencement_lines(lease)
    if not lines:
        return None
    invoice = draft_invoice(lease.practice_id, "lease", f"lease:{lease.id}:commencement",
                            f"Lease {lease.id}: due at commencement, {lease.commences_on.isoformat()}"[:200], lines,
                            period_start=lease.commences_on, period_end=lease.commences_on,
                            due_on=lease.commences_on)  # the down payment and advance rents are due then
    if invoice is None:  # cannot happen: a lease is signed once, under its row lock
        raise Conflict(f"lease {lease.id}'s commencement invoice exists already")
    return issue(invoice, principal)


def _withdraw_other_offers(principal: Principal, lease: Lease) -> list[int]:
    others = db.session.scalars(
        select(Lease).where(Lease.asset_id == lease.asset_id, Lease.status == "offered", Lease.id != lease.id)
        .order_by(Lease.id).with_for_update(key_share=True).execution_options(populate_existing=True)).all()
    for other in others:
        other.status = "withdrawn"
        other.end_reason = f"the asset was leased under lease {lease.id}"
        audit.record(principal, "lease.withdraw", other, details={"reason": other.end_reason, "signed_lease_id": lease.id})
    return [other.id for other in others]


def sign(principal: Principal, lease_id: int) -> Lease:
    """The practice signs an offer: active from its commencement, the schedule fixed,
    the asset's other offers withdrawn, the commencement invoice issued (none when
    nothing is due at signing). Clinical equipment: a physician of the practice (CPOM)."""
    lease = policy.load(principal, Lease, lease_id, "lease.sign")  # another practice's: 404; a role that may not: 403
    _lock_asset(lease.asset_id)
    lease = _lock_lease(lease_id)
    sold = assets.sold_text(lease.asset)  # a bought-out lease is ended, so the active-lease check misses it
    if sold is not None:
        raise Conflict(f"{sold}: lease {lease.id} cannot start")
    if _needs_a_physician(principal, lease):
        raise Forbidden(f"{CPOM_RULE} (CPOM): {lease.asset.description} is clinical equipment, so only a "
                        "physician of the practice may sign lease " + str(lease.id))
    on = today()
    _refuse_unless_signable(lease, on)
    active = _active_lease_of(lease.asset_id)
    if active is not None:
        raise Conflict(f"{_leased_until(active)}: lease {lease.id} cannot start while it runs")
    lease.status, lease.signed_by, lease.signed_at = "active", principal.label, utcnow()
    # The database decides: a second active lease of the asset breaks the partial unique index.
    flush_or_conflict(f"asset {lease.asset_id} was leased under another lease at the same moment: "
                      f"lease {lease.id} is not signed")
    terms.write_schedule(lease)
    withdrawn = _withdraw_other_offers(principal, lease)
    invoice = _issue_commencement_invoice(principal, lease)
    lease.commencement_invoice_id = invoice.id if invoice is not None else None
    db.session.flush()
    audit.record(principal, "lease.sign", lease, details={
        "asset_id": lease.asset_id, "commences_on": lease.commences_on.isoformat(), "rent_cents": lease.rent_cents,
        "commencement_invoice_id": lease.commencement_invoice_id,
        "due_at_signing_cents": invoice.subtotal_cents if invoice is not None else 0,
        "withdrawn_offer_ids": withdrawn})
    return lease


# --- withdrawing -----------------------------------------------------------------------


def withdraw(principal: Principal, lease_id: int, reason: str) -> Lease:
    """MSO finance takes back an offer not signed yet; any other lease answers 409."""
    policy.load(principal, Lease, lease_id, "lease.withdraw")
    lease = _lock_lease(lease_id)
    if lease.status != "offered":
        raise Conflict(f"lease {lease.id} is {lease.status}: only an offer not signed yet can be withdrawn")
    lease.status, lease.end_reason = "withdrawn", reason
    db.session.flush()
    audit.record(principal, "lease.withdraw", lease, details={"reason": reason})
    return lease
