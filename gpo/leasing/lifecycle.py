"""The life of a signed lease (DOMAIN.md "Equipment and space leasing"): each month's
rent billed by the monthly run, the payoff quote at any date, buying out early (an
invoice; the lease ends; no later rents) and the end of the term (purchase at the
residual, return, or renewal as a new offered lease on the same asset).

A schedule row is billed once: its `invoice_id` names the invoice that billed it, and
a void invoice releases it (as `invoices.void` releases the invoice's source key), so
the next run (of any month from its due date on) bills it again. The lease's row lock
orders the run against a buyout or an end of term: a rent is never billed by both."""
from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict

from sqlalchemy import func, or_, select

from gpo import audit
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.billing.inputs import InvoiceLineInput
from gpo.billing.invoices import draft_invoice, issue, today
from gpo.billing.models import Invoice
from gpo.db import db, lock_row
from gpo.errors import Conflict, Invalid
from gpo.leasing import rules, terms
from gpo.leasing.leases import term_ends_on
from gpo.leasing.models import Lease, LeaseScheduleRow
from gpo.money import format_dollars

ENDED_AS = {"purchase": "purchased", "return": "returned", "renew": "renewed"}
ENDING_SOON_DAYS = 60


class EndInput(TypedDict):
    """POST /leasing/leases/{id}/end (EndInSchema)."""

    outcome: str  # purchase, return, renew
    reason: NotRequired[str | None]
    renewal: NotRequired[dict | None]  # terms.LeaseTermsInput, plus fair_value_cents


def _unbilled(what=LeaseScheduleRow):
    """Schedule rows with a rent that no live invoice bills (none yet, or a void one):
    `what` of them (the rows, or a column)."""
    return (select(what).select_from(LeaseScheduleRow).outerjoin(Invoice, Invoice.id == LeaseScheduleRow.invoice_id)
            .where(LeaseScheduleRow.rent_cents > 0, or_(LeaseScheduleRow.invoice_id.is_(None), Invoice.status == "void")))


def unbilled_rows(lease_id: int, through: dt.date) -> list[LeaseScheduleRow]:
    return list(db.session.scalars(_unbilled().where(
        LeaseScheduleRow.lease_id == lease_id, LeaseScheduleRow.due_on <= through)
        .order_by(LeaseScheduleRow.month).execution_options(populate_existing=True)))


def _billed_through(lease_id: int) -> int:
    """The highest schedule month whose rent a live (not void) invoice bills; 0: none."""
    return db.session.scalar(
        select(func.coalesce(func.max(LeaseScheduleRow.month), 0))
        .join(Invoice, Invoice.id == LeaseScheduleRow.invoice_id)
        .where(LeaseScheduleRow.lease_id == lease_id, Invoice.status != "void"))


def payment_number(lease: Lease, month: int) -> int:
    """Which of the n rents schedule month t's rent is. With k > 0 advance payments
    the commencement invoice bills rent 1 (and the last k - 1: leases.py), so month
    t's is rent t + 1; in arrears (k = 0) it is rent t. No two invoices name one rent."""
    return month + 1 if lease.advance_payments > 0 else month


def rent_line(lease: Lease, row: LeaseScheduleRow) -> InvoiceLineInput:
    return {"kind": "rent", "amount_cents": row.rent_cents,
            "description": f"Rent {payment_number(lease, row.month)} of {lease.term_months}: "
                           f"{lease.asset.description} (lease {lease.id})"[:300]}


# --- the monthly run -------------------------------------------------------------------


def bill_rents(start: dt.date, end: dt.date) -> int:
    """One draft invoice per rent of an active lease due by `end` (the run's month's
    last day) and not billed (or billed by an invoice voided since); how many it
    drafted. Earlier months' rents are billed too: one whose month's run ran before
    the lease was signed, or whose invoice was voided, would otherwise never be. Each
    lease is locked first (a buyout or an end of term may be billing the same rows)
    and read again under the lock; each invoice's source key names the lease and
    schedule month, so no rent is drafted twice."""
    lease_ids = db.session.scalars(
        _unbilled(LeaseScheduleRow.lease_id).distinct()
        .join(Lease, Lease.id == LeaseScheduleRow.lease_id)
        .where(Lease.status == "active", LeaseScheduleRow.due_on <= end)
        .order_by(LeaseScheduleRow.lease_id)).all()
    created = 0
    for lease_id in lease_ids:
        lease = lock_row(Lease, lease_id)
        if lease is None or lease.status != "active":  # bought out or ended since the query
            continue
        for row in unbilled_rows(lease.id, end):
            invoice = draft_invoice(
                lease.practice_id, "lease", f"lease-run:rent:lease:{lease.id}:month:{row.month}",
                f"Lease {lease.id}: rent {payment_number(lease, row.month)} of {lease.term_months}, "
                f"due {row.due_on.isoformat()}",
                [rent_line(lease, row)], period_start=start, period_end=end,
                due_on=row.due_on)  # finalized before its date, it falls due on the rent's own date
            if invoice is None:
                continue  # drafted already (a live invoice holds the key)
            row.invoice_id = invoice.id
            created += 1
            audit.record(SYSTEM, "lease.rent_bill", lease, details={
                "month": row.month, "due_on": row.due_on.isoformat(), "invoice_id": invoice.id,
                "rent_cents": row.rent_cents})
    db.session.flush()
    return created


# --- buyout ----------------------------------------------------------------------------


def _refuse_unless_active(lease: Lease, doing: str) -> None:
    if lease.status == "offered":
        raise Conflict(f"lease {lease.id} is offered, not signed: only an active lease can be {doing}")
    if lease.status == "ended":
        raise Conflict(f"lease {lease.id} ended on {lease.ended_on.isoformat()} ({lease.end_outcome.replace('_', ' ')}): "
                       f"it cannot be {doing}")
    if lease.status != "active":
        raise Conflict(f"lease {lease.id} is {lease.status}: only an active lease can be {doing}")


def _passed(lease: Lease, as_of: dt.date) -> tuple[int, list[LeaseScheduleRow]]:
    """The months t counted as passed for a payoff on `as_of`, and the rows of months
    1..t that no live invoice bills (what a buyout bills with the payoff).

    t is the months ended by `as_of`, or more: the month's run drafts a rent due later
    in its month, and a rent already billed must not be in the balance charged too (it
    would be billed twice), so t is at least the last month a live invoice bills."""
    t = max(rules.months_passed(lease.commences_on, as_of, lease.term_months), _billed_through(lease.id))
    # the rows due by `as_of`, and up to month t's due date when t runs ahead of the date
    return t, unbilled_rows(lease.id, max(as_of, rules.add_months(lease.commences_on, t)))


def quote_of(lease: Lease, as_of: dt.date) -> dict:
    """The payoff as of `as_of`: months passed t, balance_t, the early termination fee,
    the payoff (rules.buyout_cents) and the rents of months 1..t that no invoice bills
    (`_passed`). Once t = n the term is over: the balance is the residual, and there is
    no early termination fee."""
    t, rows_unbilled = _passed(lease, as_of)
    lease_terms = terms.terms_of(lease)
    rows = [rules.ScheduleRow(r.month, r.rent_cents, r.interest_cents, r.principal_cents, r.balance_cents)
            for r in lease.schedule]
    balance = rules.balance_after(lease_terms, rows, t)
    payoff = rules.buyout_cents(lease_terms, rows, t) if t < lease.term_months else balance
    unbilled = [{"month": r.month, "rent_number": payment_number(lease, r.month), "due_on": r.due_on,
                 "rent_cents": r.rent_cents} for r in rows_unbilled]
    owed = sum(r["rent_cents"] for r in unbilled)
    return {"lease_id": lease.id, "as_of": as_of, "months_passed": t, "term_months": lease.term_months,
            "balance_cents": balance, "early_termination_fee_percent": lease.early_termination_fee_percent,
            "fee_cents": payoff - balance, "payoff_cents": payoff, "unbilled_rents": unbilled,
            "unbilled_rent_cents": owed, "total_cents": payoff + owed, "term_ends_on": term_ends_on(lease)}


def why_not_bought_out(lease: Lease, on: dt.date) -> str | None:
    """Why buying out is refused on `on` (None: it may be); the storefront says it.
    Once the term is over there is nothing early to terminate: MSO finance ends the
    term, and the practice buys the asset at the residual there."""
    if lease.status != "active":
        try:
            _refuse_unless_active(lease, "bought out")
        except Conflict as exc:
            return exc.message
    ends = term_ends_on(lease)
    if on >= ends:
        return (f"lease {lease.id}'s term ended on {ends.isoformat()}: it is not bought out but ended, "
                f"with purchase at the residual {format_dollars(lease.residual_cents)} "
                f"(POST /api/v1/leasing/leases/{lease.id}/end, outcome purchase)")
    return None


def buyout_quote(principal: Principal, lease_id: int, as_of: dt.date | None = None) -> dict:
    """GET /leasing/leases/{id}/buyout?as_of=: the payoff quote, nothing stored."""
    lease = policy.load(principal, Lease, lease_id, "lease.read")
    _refuse_unless_active(lease, "bought out")
    if as_of is not None and as_of < lease.commences_on:
        message = f"lease {lease.id} commences on {_day(lease.commences_on)}: a payoff is quoted from then on"
        raise Invalid(message, {"query": {"as_of": [message]}})  # a query argument, where the parser puts its own
    return quote_of(lease, as_of or max(today(), lease.commences_on))


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _end(lease: Lease, outcome: str, invoice: Invoice | None, reason: str | None) -> None:
    lease.status, lease.end_outcome, lease.ended_on = "ended", outcome, today()
    lease.end_reason = reason
    lease.end_invoice_id = invoice.id if invoice is not None else None


def _issue(principal: Principal, lease: Lease, key: str, description: str, lines: list[InvoiceLineInput],
           rows: list[LeaseScheduleRow]) -> Invoice:
    invoice = draft_invoice(lease.practice_id, "lease", key, description[:200], lines)
    if invoice is None:  # only a lease that ended holds the key, and it is refused above
        raise Conflict(f"lease {lease.id} already has its invoice ({key})")
    for row in rows:
        row.invoice_id = invoice.id
    return issue(invoice, principal)


def buy_out(principal: Principal, lease_id: int) -> Lease:
    """POST /leasing/leases/{id}/buyout: as of today, the payoff and every rent due
    and unbilled on one issued invoice; the lease ends (bought out) and bills no more."""
    lease = policy.load(principal, Lease, lease_id, "lease.buyout", for_update=True)
    on = today()
    refused = why_not_bought_out(lease, on)
    if refused is not None:
        raise Conflict(refused)
    quote = quote_of(lease, on)
    _t, rows = _passed(lease, on)  # the rows the quote counts as unbilled
    fee = f", early termination fee {lease.early_termination_fee_percent.normalize():f}%" if quote["fee_cents"] else ""
    lines: list[InvoiceLineInput] = [{
        "kind": "buyout", "amount_cents": quote["payoff_cents"],
        "description": f"Buyout after month {quote['months_passed']} of {lease.term_months}: "
                       f"{lease.asset.description} (lease {lease.id}){fee}"[:300]}]
    lines += [rent_line(lease, row) for row in rows]
    invoice = _issue(principal, lease, f"lease:{lease.id}:buyout", f"Lease {lease.id}: buyout on {on.isoformat()}",
                     lines, rows)
    _end(lease, "bought_out", invoice, None)
    audit.record(principal, "lease.buyout", lease, details={
        "months_passed": quote["months_passed"], "payoff_cents": quote["payoff_cents"],
        "unbilled_rent_cents": quote["unbilled_rent_cents"], "invoice_id": invoice.id})
    db.session.flush()
    return lease


# --- end of term -----------------------------------------------------------------------


def why_not_ended(lease: Lease, on: dt.date) -> str | None:
    """Why the end of term is refused on `on` (None: it may end); the console says it."""
    if lease.status != "active":
        try:
            _refuse_unless_active(lease, "ended")
        except Conflict as exc:
            return exc.message
    ends = term_ends_on(lease)
    if ends > on:
        return (f"Lease {lease.id}'s term ends on {_day(ends)}: it is ended then (purchase, return or renewal); "
                "before then the practice may buy it out at the payoff quoted")
    return None


def _renewal(principal: Principal, lease: Lease, data: dict | None, on: dt.date) -> Lease:
    """A new offered lease on the same asset for the same practice, financing what is
    left: the old residual. Refused terms answer 422 at renewal.<field>."""
    if lease.residual_cents == 0:
        raise Invalid.of_field("outcome", f"lease {lease.id} leaves nothing to finance (no residual): "
                                          "buy or return the asset instead")
    if not data:
        raise Invalid("a renewal needs its terms", {"json": {"renewal": ["the renewal's terms are required"]}})
    fair = data.get("fair_value_cents") or lease.residual_cents
    try:
        new = terms.build_lease(lease.asset, lease.practice_id, data, principal.label, on,
                                cost_cents=lease.residual_cents, fair_value_cents=fair, renews_lease_id=lease.id)
    except Invalid as exc:
        fields = (exc.errors or {}).get("json", {})
        raise Invalid(exc.message, {"json": {"renewal": fields}}) from None
    db.session.add(new)
    db.session.flush()
    audit.record(principal, "lease.offer", new, details={"renews_lease_id": lease.id, "cost_cents": new.cost_cents,
                                                          "rent_cents": new.rent_cents})
    return new


def end_lease(principal: Principal, lease_id: int, data: EndInput) -> tuple[Lease, Lease | None]:
    """POST /leasing/leases/{id}/end: once the term is over, purchase (an invoice for
    the residual), return or renew (a new offer). Rents still unbilled go on the end
    invoice first. Returns the ended lease and the renewal offer, if any."""
    lease = policy.load(principal, Lease, lease_id, "lease.end", for_update=True)
    on = today()
    refused = why_not_ended(lease, on)
    if refused is not None:
        raise Conflict(refused)
    outcome = data["outcome"]
    renewal = _renewal(principal, lease, data.get("renewal"), on) if outcome == "renew" else None
    rows = unbilled_rows(lease.id, on)
    lines = [rent_line(lease, row) for row in rows]
    invoice = None
    if outcome == "purchase":
        lines.append({"kind": "purchase_option", "amount_cents": lease.residual_cents,
                      "description": f"Purchase at the end of the term: {lease.asset.description} "
                                     f"(lease {lease.id})"[:300]})
        invoice = _issue(principal, lease, f"lease:{lease.id}:purchase", f"Lease {lease.id}: purchase", lines, rows)
    elif lines:
        invoice = _issue(principal, lease, f"lease:{lease.id}:end", f"Lease {lease.id}: the last rents", lines, rows)
    _end(lease, ENDED_AS[outcome], invoice, data.get("reason"))
    audit.record(principal, "lease.end", lease, details={
        "outcome": lease.end_outcome, "invoice_id": lease.end_invoice_id,
        "renewal_lease_id": renewal.id if renewal is not None else None, "reason": data.get("reason")})
    db.session.flush()
    return lease, renewal


def end_result(lease: Lease, renewal: Lease | None = None) -> dict:
    """What buying out or ending answers: the lease's end and its invoice."""
    invoice = db.session.get(Invoice, lease.end_invoice_id) if lease.end_invoice_id else None
    if renewal is None:
        renewal = db.session.scalars(select(Lease).where(Lease.renews_lease_id == lease.id)
                                     .order_by(Lease.id.desc()).limit(1)).first()
    return {"id": lease.id, "status": lease.status, "end_outcome": lease.end_outcome, "ended_on": lease.ended_on,
            "end_reason": lease.end_reason, "end_invoice_id": lease.end_invoice_id, "end_invoice": invoice,
            "renewal": renewal}


def ending_soon(principal: Principal, within_days: int = ENDING_SOON_DAYS) -> list[Lease]:
    """Active leases whose term ends within `within_days` (or is already over), the
    soonest first: MSO finance ends them (the console's waiting item)."""
    if not principal.is_mso:
        return []
    last = (select(LeaseScheduleRow.lease_id, func.max(LeaseScheduleRow.due_on).label("ends"))
            .group_by(LeaseScheduleRow.lease_id).subquery())
    return list(db.session.scalars(
        select(Lease).join(last, last.c.lease_id == Lease.id)
        .where(Lease.status == "active", last.c.ends <= today() + dt.timedelta(days=within_days))
        .order_by(last.c.ends, Lease.id)))
