"""What the console's invoice and billing-run pages read and do beyond the API's use cases
(WEB.md "Console pages"): the invoice list with practice names and totals, an invoice
with what may still be done to it, finalizing several drafts at once, a credit note
checked against the form it was typed in, billing runs with the invoices they drafted,
and what waits for finance. Each read is a fixed number of queries, however many rows."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import raiseload

from gpo.accounts.models import Organization, Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing import invoices, membership, rules
from gpo.billing.inputs import InvoiceFilters
from gpo.billing.models import BillingRun, Credit, CreditApplication, Invoice
from gpo.db import Paged, db, paged
from gpo.errors import Conflict, DomainError
from gpo.jobs import Job
from gpo.money import format_dollars

# A list shows no lines, payments or credit applications: loading them for a page of
# invoices would be three more queries for nothing, and one per row if touched lazily.
_LIST_ONLY = (raiseload(Invoice.lines), raiseload(Invoice.payments), raiseload(Invoice.credit_applications))


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    practice_name: str
    past_due: bool


@dataclass(frozen=True)
class Totals:
    """Sums over every invoice a list or a run covers (not only the page shown)."""

    count: int = 0
    subtotal_cents: int = 0
    credits_applied_cents: int = 0
    total_cents: int = 0


def _totals(stmt) -> Totals:
    count, subtotal, credits, total = db.session.execute(stmt.with_only_columns(
        func.count(Invoice.id), func.coalesce(func.sum(Invoice.subtotal_cents), 0),
        func.coalesce(func.sum(Invoice.credits_applied_cents), 0), func.coalesce(func.sum(Invoice.total_cents), 0),
    ).order_by(None)).one()
    return Totals(int(count), int(subtotal), int(credits), int(total))


def _rows(stmt, page: int, page_size: int, count: int) -> list[InvoiceRow]:
    """A page of `stmt` (select(Invoice, practice name)), past due as of today."""
    if (page - 1) * page_size >= count:
        return []
    today = invoices.today()
    found = db.session.execute(stmt.options(*_LIST_ONLY).limit(page_size).offset((page - 1) * page_size)).all()
    return [InvoiceRow(invoice, name, rules.past_due(invoice.status, invoice.due_on, today)) for invoice, name in found]


def _with_practice_names():
    return select(Invoice, Organization.name).join(Organization, Organization.id == Invoice.practice_id)


# --- the invoice list --------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceDesk:
    rows: list[InvoiceRow]
    totals: Totals
    practices: list[tuple[int, str]]  # the filter's choices
    cycles: list[tuple[int, str]]


def invoice_desk(principal: Principal, filters: InvoiceFilters | None, page: int, page_size: int) -> InvoiceDesk:
    """The invoices the filters pick (as GET /invoices picks them), newest first, each
    with its practice's name; their totals; the practices and cycles to filter by.
    `filters` None (filters that did not parse): the choices only, no invoices."""
    from gpo.orders.models import Cycle

    stmt = invoices.invoice_query(principal, filters or {}, _with_practice_names())
    totals = _totals(stmt) if filters is not None else Totals()
    rows = _rows(stmt.order_by(Invoice.id.desc()), page, page_size, totals.count)
    practices = db.session.execute(policy.scope(principal, select(Practice.id, Practice.name), Practice.id)
                                   .order_by(Practice.name, Practice.id)).all()
    cycles = db.session.execute(select(Cycle.id, Cycle.name).order_by(Cycle.id.desc()).limit(60)).all()
    return InvoiceDesk(rows, totals, [tuple(p) for p in practices], [tuple(c) for c in cycles])


def finance_counts(principal: Principal) -> tuple[int, int]:
    """Draft invoices waiting to be finalized and open invoices past their due date (one query)."""
    policy.authorize(principal, "invoice.read")
    drafts, late = db.session.execute(select(
        func.count(Invoice.id).filter(Invoice.status == "draft"),
        func.count(Invoice.id).filter(Invoice.status == "open", Invoice.due_on < invoices.today()))).one()
    return int(drafts), int(late)


# --- finalizing several ------------------------------------------------------------------


@dataclass(frozen=True)
class Finalized:
    """What finalizing one selected invoice did: the invoice, or why it was refused."""

    invoice_id: int
    invoice: Invoice | None = None
    refusal: str | None = None


def finalize_each(principal: Principal, invoice_ids: list[int]) -> list[Finalized]:
    """Finalize each invoice as POST /invoices/{id}/finalize does (`invoices.finalize`).

    Each invoice is its own unit of work, not the batch: the invoices are independent
    bills (one's number, credits and orders have nothing to do with another's), and a
    colleague who finalized or voided one of them meanwhile must not stop finance from
    finalizing the rest. So each runs in a savepoint: a refused one is rolled back to
    its savepoint, entirely (a number taken from the counter is given back, credits it
    took return, nothing of it is audited), and the others stand; the request commits
    what was finalized. Ids go in ascending order, so two batches that overlap lock their
    invoices (and a purchasing invoice's orders) in the same order and never deadlock.
    A role that may not finalize is refused (403) before anything is touched."""
    policy.authorize(principal, "invoice.finalize")
    outcomes: list[Finalized] = []
    for invoice_id in sorted(set(invoice_ids)):
        try:
            with db.session.begin_nested():
                invoice = invoices.finalize(principal, invoice_id)
        except DomainError as exc:
            outcomes.append(Finalized(invoice_id, refusal=exc.message))
        else:
            outcomes.append(Finalized(invoice_id, invoice=invoice))
    return outcomes


# --- one invoice ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFile:
    """An invoice as finance sees it: its practice, the credits applied to it (with
    where each came from), its credit notes, and what may still be done to it."""

    invoice: Invoice
    practice_name: str
    applied: list[tuple[CreditApplication, str]]  # each application and its credit's description
    credit_notes: list[Invoice]  # the notes correcting it
    corrects: Invoice | None  # a credit note's invoice
    credit_given: Credit | None  # the credit a credit note became
    left_to_credit_cents: int | None  # None: not an invoice credit notes apply to
    why_not_void: str | None
    why_not_credit: str | None


def invoice_file(principal: Principal, invoice_id: int) -> InvoiceFile:
    invoice = invoices.get_invoice(principal, invoice_id)
    name = db.session.scalar(select(Organization.name).where(Organization.id == invoice.practice_id))
    credit_ids = {a.credit_id for a in invoice.credit_applications}
    descriptions = dict(db.session.execute(select(Credit.id, Credit.description).where(
        Credit.id.in_(credit_ids))).all()) if credit_ids else {}
    notes = db.session.scalars(select(Invoice).where(Invoice.corrects_invoice_id == invoice.id)
                               .order_by(Invoice.id)).all()
    why_not_credit = invoices.why_not_credited(invoice)
    is_note = invoice.kind == "credit"
    return InvoiceFile(
        invoice=invoice, practice_name=name or "",
        applied=[(a, descriptions.get(a.credit_id, "")) for a in invoice.credit_applications],
        credit_notes=list(notes),
        corrects=db.session.get(Invoice, invoice.corrects_invoice_id) if invoice.corrects_invoice_id else None,
        credit_given=db.session.scalars(select(Credit).where(Credit.invoice_id == invoice.id)).first()
        if is_note else None,
        left_to_credit_cents=None if why_not_credit else invoices.left_to_credit(invoice),
        why_not_void=invoices.why_not_voided(invoice), why_not_credit=why_not_credit)


def credit_invoice_as_seen(principal: Principal, invoice_id: int, amount_cents: int, reason: str,
                           seen_left_cents: int | None) -> Invoice:
    """`invoices.credit_invoice` (POST /invoices/{id}/credit-notes), refused (409) when
    what is left to credit is no longer what the form showed: a form sent twice (a
    double click, the browser's back and resend) or a colleague's credit note meanwhile
    would otherwise credit the practice twice. The page has no Idempotency-Key; this is
    its If-Match."""
    invoice = policy.load(principal, Invoice, invoice_id, "invoice.credit", for_update=True)
    if seen_left_cents is not None and invoices.why_not_credited(invoice) is None:
        left = invoices.left_to_credit(invoice)
        if left != seen_left_cents:
            raise Conflict(f"invoice {invoice.number} was credited meanwhile: {format_dollars(left)} is left to "
                           f"credit now, not {format_dollars(seen_left_cents)}. Check its credit notes below "
                           "before crediting again.")
    return invoices.credit_invoice(principal, invoice_id, amount_cents, reason)


# --- billing runs --------------------------------------------------------------------------


def billing_runs(principal: Principal, page: int, page_size: int) -> Paged:
    """Every billing run, the latest month first."""
    policy.authorize(principal, "billing_run.read")
    return paged(select(BillingRun).order_by(BillingRun.month.desc(), BillingRun.id.desc()), page, page_size)


@dataclass(frozen=True)
class RunFile:
    """A billing run, its job (progress and result) and the invoices of its month."""

    run: BillingRun
    job: Job | None
    rows: list[InvoiceRow]
    totals: Totals
    by_status: dict[str, int]
    created: int | None  # what the run's latest job drafted anew (0 when asked again: nothing)


def billing_run_file(principal: Principal, run_id: int, page: int, page_size: int) -> RunFile:
    run = membership.get_billing_run(principal, run_id)
    job = db.session.get(Job, run.job_id) if run.job_id is not None else None
    start = rules.month_bounds(run.month)[0]
    stmt = _with_practice_names().where(Invoice.kind == run.kind, Invoice.period_start == start)
    totals = _totals(stmt)
    by_status = dict(db.session.execute(stmt.with_only_columns(Invoice.status, func.count(Invoice.id))
                                        .group_by(Invoice.status)).all())
    rows = _rows(stmt.order_by(Organization.name, Invoice.id), page, page_size, totals.count)
    result = job.result if job is not None and job.status == "finished" and isinstance(job.result, dict) else {}
    return RunFile(run, job, rows, totals, by_status, result.get("created"))
