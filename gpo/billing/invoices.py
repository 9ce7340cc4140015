"""Invoices: drafting, gap-free numbering, finalizing with credits, voiding, credit notes
(DOMAIN.md "Billing"). Other features (membership, insurance, staffing) draft their
invoices through `draft_invoice()` and issue them through `issue()`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gpo import audit
from gpo.accounts.models import Location, Organization, Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.inputs import FeeScheduleInput, InvoiceFilters, InvoiceLineInput
from gpo.billing.models import (
    Credit,
    CreditApplication,
    FeeSchedule,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
)
from gpo.db import Paged, db, flush_or_conflict, is_postgresql, lock_row, paged, utcnow
from gpo.errors import Conflict, Invalid
from gpo.money import format_dollars
from gpo.notifications import outbox

ZERO = Decimal(0)


def today() -> dt.date:
    return utcnow().date()


# --- fee schedules -------------------------------------------------------------------


@dataclass(frozen=True)
class Fees:
    service_fee_percent: Decimal
    monthly_membership_cents: int
    pmpm_cents: int


FEE_FIELDS = ("service_fee_percent", "monthly_membership_cents", "pmpm_cents")


def default_schedule() -> FeeSchedule | None:
    return db.session.scalars(select(FeeSchedule).where(FeeSchedule.is_default.is_(True))).one_or_none()


def effective_fees(practice_ids: list[int]) -> dict[int, Fees]:
    """Each practice's fees: its overrides where set, else the MSO default, else zero."""
    default = default_schedule()
    overrides = {s.practice_id: s for s in db.session.scalars(
        select(FeeSchedule).where(FeeSchedule.practice_id.in_(practice_ids)))} if practice_ids else {}
    fallback = {f: (getattr(default, f) if default is not None else None) for f in FEE_FIELDS}
    out = {}
    for pid in practice_ids:
        own = overrides.get(pid)
        values = {}
        for f in FEE_FIELDS:
            value = getattr(own, f) if own is not None else None
            values[f] = value if value is not None else fallback[f]
        out[pid] = Fees(values["service_fee_percent"] or ZERO, values["monthly_membership_cents"] or 0,
                        values["pmpm_cents"] or 0)
    return out


def fee_schedule_view(practice_id: int | None) -> dict:
    default = default_schedule()
    if practice_id is None:
        fees = {f: (getattr(default, f) if default else None) for f in FEE_FIELDS}
        return {"practice_id": None, **{f: v if v is not None else (ZERO if f == "service_fee_percent" else 0)
                                        for f, v in fees.items()},
                "overridden": []}
    own = db.session.scalars(select(FeeSchedule).where(FeeSchedule.practice_id == practice_id)).one_or_none()
    fees = effective_fees([practice_id])[practice_id]
    return {"practice_id": practice_id, **fees.__dict__,
            "overridden": [f for f in FEE_FIELDS if own is not None and getattr(own, f) is not None]}


def get_fee_schedule(principal: Principal, practice_id: int | None) -> dict:
    if practice_id is None:
        policy.authorize(principal, "fee_schedule.read_default")
    else:
        policy.load(principal, Practice, practice_id, "fee_schedule.read")
    return fee_schedule_view(practice_id)


def put_fee_schedule(principal: Principal, practice_id: int | None, data: FeeScheduleInput) -> dict:
    """Set the MSO default (every field), or a practice's overrides (a null field
    inherits the default). Later invoices use it; drafted ones keep theirs."""
    if practice_id is None:
        policy.authorize(principal, "fee_schedule.update")
        row = db.session.scalars(select(FeeSchedule).where(FeeSchedule.is_default.is_(True))
                                 .with_for_update(key_share=True)).one_or_none()
        missing = [f for f in FEE_FIELDS if data.get(f) is None]
        if missing:
            raise Invalid("the default fee schedule needs every field",
                          {"json": {f: ["required for the default schedule"] for f in missing}})
        if row is None:
            row = FeeSchedule(is_default=True)
            db.session.add(row)
    else:
        policy.load(principal, Practice, practice_id, "fee_schedule.update")
        row = db.session.scalars(select(FeeSchedule).where(FeeSchedule.practice_id == practice_id)
                                 .with_for_update(key_share=True)).one_or_none()
        if row is None:
            row = FeeSchedule(is_default=False, practice_id=practice_id)
            db.session.add(row)
    for f in FEE_FIELDS:
        setattr(row, f, data.get(f))
    row.updated_at = utcnow()
    flush_or_conflict("the fee schedule was created at the same moment; read it and try again")
    audit.record(principal, "fee_schedule.update", row, organization_id=practice_id,
                 details={f: (str(data[f]) if data.get(f) is not None else None) for f in FEE_FIELDS})
    db.session.flush()
    return fee_schedule_view(practice_id)


def fee_schedules_overview(principal: Principal) -> dict:
    """The console's fee schedules: the MSO default, and every practice (by name) with
    the fees in effect for it and which of them it overrides (three queries)."""
    policy.authorize(principal, "fee_schedule.read_default")
    practices = db.session.execute(select(Practice.id, Practice.name, Practice.status)
                                   .order_by(Practice.name, Practice.id)).all()
    fees = effective_fees([p.id for p in practices])
    overrides = {s.practice_id: s for s in db.session.scalars(select(FeeSchedule).where(FeeSchedule.practice_id.is_not(None)))}
    return {"default": fee_schedule_view(None), "practices": [{
        "practice_id": p.id, "practice_name": p.name, "status": p.status, **fees[p.id].__dict__,
        "overridden": [f for f in FEE_FIELDS if p.id in overrides and getattr(overrides[p.id], f) is not None]}
        for p in practices]}


# --- reading -------------------------------------------------------------------------


def invoice_query(principal: Principal, filters: InvoiceFilters, stmt=None):
    """`stmt` (select(Invoice) by default) narrowed to what the principal may see and
    the filters given (the API's list and the console's)."""
    policy.authorize(principal, "invoice.read")
    stmt = policy.scope(principal, select(Invoice) if stmt is None else stmt, Invoice.practice_id)
    for name in ("practice_id", "kind", "status", "cycle_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Invoice, name) == filters[name])
    return stmt


def list_invoices(principal: Principal, filters: InvoiceFilters, page: int, page_size: int) -> Paged:
    return paged(invoice_query(principal, filters).order_by(Invoice.id.desc()), page, page_size)


def get_invoice(principal: Principal, invoice_id: int) -> Invoice:
    return policy.load(principal, Invoice, invoice_id, "invoice.read")


# --- drafting ------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceParties:
    """Who bills whom, as a printed invoice names them."""

    issuer: Organization | None  # the MSO
    practice: Practice
    address: Location | None  # the practice's first location (its billing address)


def parties_of(principal: Principal, invoice_id: int) -> tuple[Invoice, InvoiceParties]:
    """The invoice (as get_invoice checks it) with its issuer and the practice billed."""
    invoice = get_invoice(principal, invoice_id)
    issuer = db.session.scalars(select(Organization).where(Organization.org_type == "mso")
                                .order_by(Organization.id).limit(1)).first()
    practice = db.session.get(Practice, invoice.practice_id)
    address = db.session.scalars(select(Location).where(Location.practice_id == practice.id)
                                 .order_by(Location.id).limit(1)).first()
    return invoice, InvoiceParties(issuer, practice, address)


def draft_invoice(practice_id: int, kind: str, source_key: str, description: str, lines: list[InvoiceLineInput],
                  **fields) -> Invoice | None:
    """A draft invoice with its lines, unless one for `source_key` exists (then None):
    the unique key makes drafting idempotent even under a race."""
    exists = db.session.scalar(select(Invoice.id).where(Invoice.source_key == source_key))
    if exists is not None:
        return None
    invoice = Invoice(practice_id=practice_id, kind=kind, status="draft", source_key=source_key,
                      description=description, **fields)
    invoice.lines = [InvoiceLine(**line) for line in lines]
    recompute(invoice)
    db.session.add(invoice)
    db.session.flush()
    return invoice


def recompute(invoice: Invoice) -> None:
    """A draft's subtotal and total from its lines (credits apply when it is issued).
    Purchasing invoices' service fees are computed set-based by the close
    (gpo/billing/purchasing.py)."""
    invoice.subtotal_cents = sum(line.amount_cents for line in invoice.lines)
    invoice.credits_applied_cents = 0
    invoice.total_cents = invoice.subtotal_cents



# --- issuing -------------------------------------------------------------------------


def next_number(year: int) -> str:
    """The year's next invoice number. An upsert that increments the counter row and
    holds its lock until commit: concurrent finalizations queue on it, a rollback gives
    the number back. Gap-free and unique."""
    insert = pg_insert if is_postgresql() else sqlite_insert
    table = InvoiceCounter.__table__
    stmt = insert(table).values(year=year, last_number=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.year], set_={"last_number": table.c.last_number + 1}
    ).returning(table.c.last_number)
    number = db.session.execute(stmt).scalar_one()
    return f"INV-{year}-{number:06d}"


def apply_credits(invoice: Invoice) -> None:
    """The practice's credits, oldest first, up to the invoice's subtotal: never below
    zero. The credit rows are locked, so two invoices finalized at once cannot spend
    the same cent."""
    left = invoice.subtotal_cents
    credits = db.session.scalars(
        select(Credit).where(Credit.practice_id == invoice.practice_id, Credit.remaining_cents > 0)
        .order_by(Credit.created_at, Credit.id).with_for_update().execution_options(populate_existing=True)
    ).all()
    for credit in credits:
        if left <= 0:
            break
        take = min(credit.remaining_cents, left)
        credit.remaining_cents -= take
        db.session.add(CreditApplication(credit_id=credit.id, invoice_id=invoice.id, amount_cents=take))
        left -= take
    invoice.credits_applied_cents = invoice.subtotal_cents - left
    invoice.total_cents = left


def issue(invoice: Invoice, principal: Principal, due_on: dt.date | None = None) -> Invoice:
    """draft -> open: credits applied, a number, issue and due dates. From here the
    invoice never changes (corrections are credit notes or a void). An invoice the
    credits cover entirely is paid at once. A date the draft carries (a lease's rent)
    is kept unless it has passed; `due_on` (an insurance installment's date) is
    honoured when it is later than the usual net terms."""
    if invoice.status != "draft":
        raise Conflict(f"invoice {invoice.id} is {invoice.status}: only a draft can be finalized")
    if invoice.kind != "credit":
        apply_credits(invoice)
    issued = today()
    invoice.number = next_number(issued.year)
    invoice.status = "open"
    invoice.issued_on = issued
    # A draft may say when it falls due (a lease's rent on its date, the commencement
    # invoice on the commencement date): kept unless it has passed; otherwise net terms.
    preset = invoice.due_on if invoice.due_on is not None and invoice.due_on >= issued else None
    invoice.due_on = preset or issued + dt.timedelta(days=current_app.config["INVOICE_NET_DAYS"])
    if due_on is not None and due_on > invoice.due_on:
        invoice.due_on = due_on
    invoice.finalized_at = utcnow()
    if invoice.kind != "credit" and invoice.total_cents == 0:
        invoice.status, invoice.paid_at = "paid", invoice.finalized_at
    if invoice.kind == "purchasing":
        from gpo.orders.models import Order

        db.session.execute(update(Order).where(
            Order.cycle_id == invoice.cycle_id, Order.practice_id == invoice.practice_id, Order.status == "priced"
        ).values(status="invoiced", updated_at=utcnow(), version=Order.version + 1))
    audit.record(principal, "invoice.finalize", invoice, details={
        "number": invoice.number, "total_cents": invoice.total_cents,
        "credits_applied_cents": invoice.credits_applied_cents})
    if invoice.kind != "credit":  # a credit note asks nothing of the practice: it lowers its next invoice
        _tell_practice(invoice)
    return invoice


def _tell_practice(invoice: Invoice) -> None:
    """invoice.issued: the practice's admins are told of every invoice it is to pay (or
    that its credits paid at once), whichever feature drafted it."""
    db.session.flush()  # the number and dates, written
    practice = db.session.get(Organization, invoice.practice_id).name
    owed = ("paid by credits" if invoice.status == "paid"
            else f"{format_dollars(invoice.total_cents)} due {invoice.due_on.isoformat()}")
    outbox.emit(
        "invoice.issued", invoice, practice_id=invoice.practice_id,
        summary=f"Invoice {invoice.number} for {practice} ({invoice.description}): {owed}",
        data={"invoice_id": invoice.id, "number": invoice.number, "kind": invoice.kind,
              "total_cents": invoice.total_cents, "due_on": invoice.due_on.isoformat(), "status": invoice.status})


def finalize(principal: Principal, invoice_id: int) -> Invoice:
    invoice = policy.load(principal, Invoice, invoice_id, "invoice.finalize")
    if invoice.kind == "purchasing":
        # Orders first, then the invoice: the order a vendor's acknowledgement takes
        # them in, so the two never wait on each other in a circle.
        from gpo.orders.models import Order

        db.session.execute(select(Order.id).where(
            Order.cycle_id == invoice.cycle_id, Order.practice_id == invoice.practice_id)
            .order_by(Order.id).with_for_update(key_share=True))
    invoice = policy.load(principal, Invoice, invoice_id, "invoice.finalize", for_update=True)
    issue(invoice, principal)
    db.session.flush()
    return invoice


def void(principal: Principal, invoice_id: int, reason: str) -> Invoice:
    """open (or draft) -> void. Credits it used go back to the practice, and what it
    billed may be billed again (its source key is released: a membership month run
    again drafts it anew). A purchasing invoice bills goods that were bought, and a
    lease's commencement, buyout, purchase or end invoice what nothing bills again: they
    are corrected with credit notes instead. A payment in flight must finish first."""
    invoice = policy.load(principal, Invoice, invoice_id, "invoice.void", for_update=True)
    refused = why_not_voided(invoice)
    if refused is not None:
        raise Conflict(refused)
    for application in invoice.credit_applications:
        if application.reversed_at is None:
            credit = lock_row(Credit, application.credit_id)
            credit.remaining_cents += application.amount_cents
            application.reversed_at = utcnow()
    invoice.status, invoice.voided_at, invoice.void_reason = "void", utcnow(), reason
    invoice.source_key = f"{invoice.source_key}:void:{invoice.id}"[:120]
    audit.record(principal, "invoice.void", invoice, details={"reason": reason})
    db.session.flush()
    return invoice


def why_not_voided(invoice: Invoice) -> str | None:
    """Why `void` would refuse the invoice now (None: it may be voided); the console
    says it where it offers no "Void invoice"."""
    from gpo.billing.models import PaymentAttempt

    if invoice.status not in ("draft", "open"):
        return f"invoice {invoice.id} is {invoice.status}: only a draft or open invoice can be voided"
    if invoice.kind in ("credit", "purchasing"):
        return (f"a {invoice.kind} invoice is not voided: correct it with a credit note "
                f"(POST /api/v1/invoices/{invoice.id}/credit-notes)")
    if invoice.kind == "lease" and invoice.source_key.startswith("lease:"):
        # A lease's commencement, buyout, purchase or end invoice: nothing drafts it
        # again once voided (the lease has moved on), so the money would be lost. The
        # monthly run's rent and space invoices ("lease-run:") stay voidable: it bills them anew.
        return ("a lease's commencement, buyout, purchase or end invoice is not voided: correct it with a "
                f"credit note (POST /api/v1/invoices/{invoice.id}/credit-notes)")
    credited = db.session.scalar(select(Invoice.id).where(Invoice.corrects_invoice_id == invoice.id))
    if credited is not None:
        return f"invoice {invoice.id} has a credit note ({credited}): credit the rest instead of voiding"
    in_flight = db.session.scalar(select(PaymentAttempt.id).where(
        PaymentAttempt.invoice_id == invoice.id, PaymentAttempt.status.in_(("pending", "processing"))))
    if in_flight is not None:
        return f"payment attempt {in_flight} for invoice {invoice.id} is in flight; void it once it ends"
    return None


def issue_credit_note(principal: Principal, invoice: Invoice, lines: list[InvoiceLineInput], description: str) -> Invoice:
    """A credit note correcting an issued invoice: an invoice of kind `credit`, negative
    lines, numbered at once; its amount becomes a credit applied to the practice's next
    invoices. Lines: {description, amount_cents (negative), ...}."""
    # The caller holds the invoice's row lock: credit notes of one invoice are numbered one at a time.
    seq = db.session.scalar(select(func.count(Invoice.id)).where(Invoice.corrects_invoice_id == invoice.id)) + 1
    note = draft_invoice(invoice.practice_id, "credit", f"credit:{invoice.id}:{seq}", description, lines,
                         corrects_invoice_id=invoice.id, cycle_id=invoice.cycle_id)
    issue(note, principal)
    db.session.add(Credit(practice_id=invoice.practice_id, source="credit_note", invoice_id=note.id,
                          description=f"{note.number}: {description}", amount_cents=-note.total_cents,
                          remaining_cents=-note.total_cents))
    return note


def left_to_credit(invoice: Invoice) -> int:
    """What credit notes may still take back from an issued invoice: its subtotal less
    what they took already."""
    credited = -int(db.session.scalar(select(func.coalesce(func.sum(Invoice.subtotal_cents), 0)).where(
        Invoice.corrects_invoice_id == invoice.id)) or 0)
    return invoice.subtotal_cents - credited


def why_not_credited(invoice: Invoice) -> str | None:
    """Why `credit_invoice` would refuse the invoice whatever the amount (None: it
    takes credit notes up to `left_to_credit`)."""
    if invoice.status not in ("open", "paid") or invoice.kind == "credit":
        return f"invoice {invoice.id} is {invoice.status} {invoice.kind}: only an issued invoice is credited"
    return None


def credit_invoice(principal: Principal, invoice_id: int, amount_cents: int, reason: str) -> Invoice:
    """MSO finance corrects an issued invoice by crediting part or all of it."""
    invoice = policy.load(principal, Invoice, invoice_id, "invoice.credit", for_update=True)
    refused = why_not_credited(invoice)
    if refused is not None:
        raise Conflict(refused)
    left = left_to_credit(invoice)
    if amount_cents > left:
        raise Invalid(f"at most {left} cents of invoice {invoice.number} are left to credit",
                      {"json": {"amount_cents": ["more than the invoice has left to credit"]}})
    note = issue_credit_note(principal, invoice, [
        {"kind": "adjustment", "description": reason, "amount_cents": -amount_cents}], f"Credit for {invoice.number}: {reason}")
    db.session.flush()
    return note


# --- credits -------------------------------------------------------------------------


def credits_of(principal: Principal, practice_id: int) -> dict:
    policy.load(principal, Practice, practice_id, "credit.read")
    credits = db.session.scalars(select(Credit).where(Credit.practice_id == practice_id)
                                 .order_by(Credit.created_at, Credit.id)).all()
    numbers = dict(db.session.execute(select(Invoice.id, Invoice.number).where(
        Invoice.id.in_({a.invoice_id for c in credits for a in c.applications}))).all())
    return {
        "practice_id": practice_id,
        "balance_cents": sum(c.remaining_cents for c in credits),
        "credits": [{
            "id": c.id, "source": c.source, "description": c.description, "amount_cents": c.amount_cents,
            "remaining_cents": c.remaining_cents, "rebate_id": c.rebate_id, "credit_note_invoice_id": c.invoice_id,
            "created_at": c.created_at,
            "applications": [{"invoice_id": a.invoice_id, "invoice_number": numbers.get(a.invoice_id),
                              "amount_cents": a.amount_cents, "applied_at": a.created_at,
                              "reversed_at": a.reversed_at} for a in c.applications],
        } for c in credits],
    }

