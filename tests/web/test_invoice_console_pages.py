"""The console's invoice and billing-run pages without a browser: MSO finance filters
invoices and reads their totals, finalizes one or several drafts (each on its own: a
refused one is said and left exactly as it was), voids where the API allows, issues
credit notes (the amount in dollars, exactly; bad input at its field, nothing
written), starts billing runs (a month asked twice bills nothing twice); practice
users and vendors get 404, MSO roles without invoices 403 with the reason; and the
list's query count does not grow with its rows."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gpo.auth import policy
from gpo.billing import invoices
from gpo.billing.models import BillingRun, Credit, CreditApplication, FeeSchedule, Invoice, PaymentAttempt
from gpo.clock import clock_shifted
from gpo.db import db, utcnow
from gpo.errors import Conflict
from tests.factories import InvoiceFactory, PracticeFactory
from tests.pages import Statements, same_count, text_of

MONTH = f"{utcnow():%Y-%m}"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _text(response) -> str:
    return text_of(_html(response))


def _fresh(invoice_id: int) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id)


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def book(world):
    """Lakeside: two drafts ($175.00 and $99.99) and an open invoice ($150.00);
    Riverbend: an open purchasing invoice ($1,079.46), past due."""
    lakeside, riverbend = world.practice.id, world.other_practice.id
    with clock_shifted(-dt.timedelta(days=40)):  # issued 40 days ago: due 10 days ago (net 30)
        purchasing = InvoiceFactory(practice_id=riverbend, kind="purchasing", amounts=[107946], issued=True,
                                    description="Purchasing: a cycle")
    made = {
        "draft": InvoiceFactory(practice_id=lakeside, amounts=[15000, 2500], description="Membership Dec"),
        "draft2": InvoiceFactory(practice_id=lakeside, amounts=[9999], description="Membership extra"),
        "open": InvoiceFactory(practice_id=lakeside, amounts=[15000], issued=True),
        "purchasing": purchasing,
    }
    db.session.commit()
    return {name: invoice.id for name, invoice in made.items()}


# --- who may come in ------------------------------------------------------------------------

PAGES = ["/console/invoices", "/console/invoices/{id}", "/console/invoices/{id}/print", "/console/billing-runs"]
POSTS = ["/console/invoices/finalize", "/console/invoices/{id}/finalize", "/console/invoices/{id}/void",
         "/console/invoices/{id}/credit-notes", "/console/billing-runs"]


@pytest.mark.parametrize("who", ["practice_admin", "practice_buyer", "vendor_admin"])
def test_practice_users_and_vendors_get_404_on_every_page_and_change_nothing(pages, book, who):
    page = pages.as_(who)
    for path in PAGES:
        assert page.get(path.format(id=book["draft"])).status_code == 404, path
    for path in POSTS:
        data = {"invoice_ids": str(book["draft"]), "reason": "x", "amount": "1", "kind": "membership", "month": MONTH}
        assert page.post(path.format(id=book["draft"]), data).status_code == 404, path
    assert _fresh(book["draft"]).status == "draft"
    assert _count(BillingRun) == 0


def test_procurement_sees_why_invoices_are_not_offered_and_a_post_is_403_changing_nothing(pages, book):
    page = pages.as_("mso_procurement")
    start = _html(page.get("/console"))
    assert 'href="/console/invoices"' not in start  # not in its navigation
    for path in PAGES:
        response = page.get(path.format(id=book["draft"]))
        assert response.status_code == 403, path
        assert 'class="not-offered"' in _html(response)
        assert "Only MSO finance and MSO admins work with invoices" in _text(response)
    for path in POSTS:
        data = {"invoice_ids": str(book["draft"]), "reason": "x", "amount": "1", "kind": "membership", "month": MONTH}
        response = page.post(path.format(id=book["draft"]), data)
        assert response.status_code == 403, path
        assert 'class="not-offered"' in _html(response)
    assert _fresh(book["draft"]).status == "draft"
    assert _fresh(book["open"]).status == "open"
    assert _count(BillingRun) == 0 and _count(Credit) == 0


def test_a_role_that_may_see_invoices_but_not_act_sees_not_offered_and_its_post_is_403(pages, book, monkeypatch):
    """No MSO role reads invoices without finalizing them today; the pages ask the
    policy, so one that did (here: finance narrowed to reading) sees why, not a button."""
    for action in ("invoice.finalize", "invoice.void", "invoice.credit", "billing_run.create"):
        monkeypatch.setitem(policy.ACTIONS, action, frozenset({"mso_admin"}))
    page = pages.as_("mso_finance")
    listing = page.get("/console/invoices")
    assert listing.status_code == 200
    assert "Only MSO finance may finalize invoices" in _text(listing)
    assert 'name="invoice_ids"' not in _html(listing) and "Finalize selected" not in _text(listing)
    draft = _text(page.get(f"/console/invoices/{book['draft']}"))
    assert "Finalize invoice" not in draft and "Only MSO finance may finalize invoices" in draft
    assert "Only MSO finance may void invoices" in draft
    opened = _text(page.get(f"/console/invoices/{book['open']}"))
    assert "Only MSO finance may issue credit notes" in opened and "Issue credit note" not in opened
    assert "Only MSO finance may start billing runs" in _text(page.get("/console/billing-runs"))
    assert page.post("/console/invoices/finalize", {"invoice_ids": str(book["draft"])}).status_code == 403
    assert page.post(f"/console/invoices/{book['draft']}/finalize").status_code == 403
    assert page.post(f"/console/invoices/{book['draft']}/void", {"reason": "x"}).status_code == 403
    assert page.post(f"/console/invoices/{book['open']}/credit-notes", {"amount": "1", "reason": "x"}).status_code == 403
    assert page.post("/console/billing-runs", {"kind": "membership", "month": MONTH}).status_code == 403
    assert _fresh(book["draft"]).status == "draft" and _count(Credit) == 0 and _count(BillingRun) == 0


def test_an_invoice_that_does_not_exist_is_404(pages, book):
    page = pages.as_("mso_finance")
    assert page.get("/console/invoices/999999").status_code == 404
    assert page.post("/console/invoices/999999/finalize").status_code == 404
    assert page.get("/console/billing-runs/999999").status_code == 404


# --- the list --------------------------------------------------------------------------------


def test_finance_sees_every_practices_invoices_with_exact_totals(pages, book, world):
    response = pages.as_("mso_admin").get("/console/invoices")
    text = _text(response)
    assert response.status_code == 200
    assert "4 invoices, $1,504.45 in all" in text  # 175.00 + 99.99 + 150.00 + 1,079.46
    assert "Lakeside" in text and "Riverbend" in text and "$1,079.46" in text and "$99.99" in text
    assert "past due" in text
    # each draft has its checkbox; issued invoices have none
    html = _html(response)
    assert f'name="invoice_ids" value="{book["draft"]}"' in html
    assert f'name="invoice_ids" value="{book["open"]}"' not in html


def test_the_list_filters_by_practice_kind_status_and_cycle(pages, book, world):
    page = pages.as_("mso_finance")
    drafts = _text(page.get("/console/invoices?status=draft"))
    assert "2 invoices matching the filters, $274.99 in all" in drafts
    riverbend = _text(page.get(f"/console/invoices?practice_id={world.other_practice.id}"))
    assert "1 invoice matching the filters, $1,079.46 in all" in riverbend and "Draft #" not in riverbend
    purchasing = _text(page.get("/console/invoices?kind=purchasing&status=open"))
    assert "1 invoice matching" in purchasing
    assert "No invoices match these filters" in _text(page.get("/console/invoices?kind=credit"))
    assert "No invoices match these filters" in _text(page.get("/console/invoices?cycle_id=424242"))
    refused = page.get("/console/invoices?status=sent")
    assert refused.status_code == 422
    assert 'id="f-status" name="status" aria-invalid="true"' in _html(refused)


# --- finalizing -----------------------------------------------------------------------------


def test_finalize_invoice_on_its_page(pages, book):
    page = pages.as_("mso_finance")
    assert "Finalize invoice" in _text(page.get(f"/console/invoices/{book['draft']}"))
    response = page.post(f"/console/invoices/{book['draft']}/finalize")
    assert response.status_code == 302
    invoice = _fresh(book["draft"])
    assert invoice.status == "open" and invoice.number and invoice.total_cents == 17500
    shown = _text(page.get(response.headers["Location"]))
    assert f"Invoice {invoice.number} finalized: $175.00, due on" in shown
    again = page.post(f"/console/invoices/{book['draft']}/finalize")  # an old page sent again
    assert again.status_code == 409 and "only a draft can be finalized" in _text(again)


def test_finalize_selected_finalizes_each_and_says_which_was_refused(pages, book):
    page = pages.as_("mso_finance")
    page.get("/console/invoices?status=draft")
    ids = [book["draft"], book["open"], book["draft2"]]  # one of them is not a draft (an old page)
    response = page.post("/console/invoices/finalize", {"invoice_ids": [str(i) for i in ids], "status": "draft"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/invoices?status=draft")
    first, second = _fresh(book["draft"]), _fresh(book["draft2"])
    assert first.status == second.status == "open"
    # gap-free: the refused one took no number
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    open_before = _fresh(book["open"])
    assert open_before.status == "open"
    shown = _text(page.get(response.headers["Location"]))
    assert f"Finalized 2 invoices: {first.number} ($175.00), {second.number} ($99.99)." in shown
    assert f"Invoice #{book['open']} was not finalized, and nothing of it changed: invoice {book['open']} is open" in shown


def test_a_refused_invoice_in_a_batch_leaves_nothing_half_applied(pages, world, monkeypatch):
    """The first draft takes the practice's credit, then numbering refuses it: its
    savepoint rolls back the credit it took; the second draft gets the credit instead."""
    a = InvoiceFactory(practice_id=world.practice.id, amounts=[10000])
    b = InvoiceFactory(practice_id=world.practice.id, amounts=[8000])
    credit = Credit(practice_id=world.practice.id, source="adjustment", description="Goodwill", amount_cents=5000,
                    remaining_cents=5000)
    db.session.add(credit)
    db.session.commit()
    a_id, b_id, credit_id = a.id, b.id, credit.id
    real = invoices.next_number
    calls = []

    def refuse_the_first(year):
        calls.append(year)
        if len(calls) == 1:
            raise Conflict("the invoice counter is busy; try again")
        return real(year)

    monkeypatch.setattr(invoices, "next_number", refuse_the_first)
    response = pages.as_("mso_finance").post("/console/invoices/finalize", {"invoice_ids": [str(a_id), str(b_id)]})
    assert response.status_code == 302
    first, second = _fresh(a_id), _fresh(b_id)
    assert (first.status, first.credits_applied_cents, first.total_cents, first.number) == ("draft", 0, 10000, None)
    assert (second.status, second.credits_applied_cents, second.total_cents) == ("open", 5000, 3000)
    assert db.session.get(Credit, credit_id).remaining_cents == 0
    applied = db.session.execute(select(CreditApplication.invoice_id, CreditApplication.amount_cents)).all()
    assert applied == [(b_id, 5000)]


def test_finalize_selected_with_nothing_ticked_or_nothing_finalizable(pages, book):
    page = pages.as_("mso_finance")
    nothing = page.post("/console/invoices/finalize", {"status": "draft"})
    assert nothing.status_code == 422 and "Select at least one draft invoice to finalize." in _text(nothing)
    refused = page.post("/console/invoices/finalize", {"invoice_ids": str(book["open"])})
    assert refused.status_code == 409
    text = _text(refused)
    assert "None of the selected invoices was finalized; nothing changed." in text
    assert f"Invoice #{book['open']}: invoice {book['open']} is open: only a draft can be finalized" in text
    assert _fresh(book["draft"]).status == "draft"


# --- one invoice --------------------------------------------------------------------------------


def test_the_invoice_page_shows_lines_credits_applied_total_and_payments(pages, world):
    db.session.add(Credit(practice_id=world.practice.id, source="rebate", description="Rebate 1: Q4 gloves",
                          amount_cents=2500, remaining_cents=2500))
    invoice = InvoiceFactory(practice_id=world.practice.id, amounts=[15000, 2500], issued=True)
    db.session.add(PaymentAttempt(invoice_id=invoice.id, attempt_number=1, idempotency_key="k1", amount_cents=15000,
                                  status="failed", failure_code="card_declined", failure_message="Your card was declined.",
                                  requested_by="admin@example.test"))
    db.session.commit()
    page = pages.as_("mso_finance")
    text = _text(page.get(f"/console/invoices/{invoice.id}"))
    assert f"Invoice {invoice.number}" in text and "Billed to Lakeside" in text
    assert "Membership, part 1" in text and "Membership, part 2" in text
    assert "Subtotal $175.00" in text and "Credits applied -$25.00" in text and "Total $150.00" in text
    assert "Rebate 1: Q4 gloves" in text and "$25.00" in text
    assert "declined or failed" in text and "Your card was declined. (card declined)" in text
    printable = page.get(f"/console/invoices/{invoice.id}/print")
    assert printable.status_code == 200
    assert "Total $150.00" in _text(printable) and f'href="/console/invoices/{invoice.id}"' in _html(printable)


def test_void_a_draft_with_a_reason_and_the_reason_is_required(pages, book):
    page = pages.as_("mso_finance")
    assert "Void invoice" in _text(page.get(f"/console/invoices/{book['draft']}"))
    blank = page.post(f"/console/invoices/{book['draft']}/void", {"reason": "  "})
    assert blank.status_code == 422
    assert 'id="void-reason" name="reason"' in _html(blank) and 'aria-invalid="true"' in _html(blank)
    assert _fresh(book["draft"]).status == "draft"
    done = page.post(f"/console/invoices/{book['draft']}/void", {"reason": "billed to the wrong practice"})
    assert done.status_code == 302
    invoice = _fresh(book["draft"])
    assert invoice.status == "void" and invoice.void_reason == "billed to the wrong practice"
    assert "This invoice is void" in _text(page.get(f"/console/invoices/{book['draft']}"))


def test_void_is_not_offered_for_a_purchasing_invoice_and_posting_anyway_is_refused(pages, book):
    page = pages.as_("mso_finance")
    text = _text(page.get(f"/console/invoices/{book['purchasing']}"))
    assert "Void invoice" not in text
    assert "Void is not offered: a purchasing invoice is not voided: correct it with a credit note" in text
    refused = page.post(f"/console/invoices/{book['purchasing']}/void", {"reason": "wrong"})
    assert refused.status_code == 409 and "a purchasing invoice is not voided" in _text(refused)
    assert _fresh(book["purchasing"]).status == "open"


# --- credit notes ------------------------------------------------------------------------------


def test_a_credit_note_in_dollars_is_issued_to_the_cent(pages, book):
    page = pages.as_("mso_finance")
    form = _html(page.get(f"/console/invoices/{book['purchasing']}"))
    assert "At most $1,079.46 is left to credit" in text_of(form)
    assert 'name="left_cents" value="107946"' in form
    response = page.post(f"/console/invoices/{book['purchasing']}/credit-notes",
                         {"amount": "$1,000.05", "reason": "damaged in transit", "left_cents": "107946"})
    assert response.status_code == 302, _text(response)[:400]
    note = db.session.scalars(select(Invoice).where(Invoice.corrects_invoice_id == book["purchasing"])).one()
    assert (note.kind, note.status, note.total_cents) == ("credit", "open", -100005)
    credit = db.session.scalars(select(Credit).where(Credit.invoice_id == note.id)).one()
    assert credit.amount_cents == credit.remaining_cents == 100005
    text = _text(page.get(response.headers["Location"]))
    assert f"Credit note {note.number} issued for $1,000.05" in text
    assert "damaged in transit" in text and "-$1,000.05" in text and "At most $79.41 is left to credit" in text


@pytest.mark.parametrize("amount, reason, field, message", [
    ("12.345", "x", "amount", "at most 2 decimal places (whole cents)"),
    ("twelve", "x", "amount", "an amount in dollars and cents, like 1,250.00"),
    ("-5", "x", "amount", "an amount in dollars and cents, like 1,250.00"),
    ("0.00", "x", "amount", "at least $0.01"),
    ("1,079.47", "x", "amount", "more than the invoice has left to credit"),
    ("10", "", "reason", "Missing data for required field."),
])
def test_a_bad_credit_note_is_refused_at_its_field_and_nothing_is_written(pages, book, amount, reason, field, message):
    page = pages.as_("mso_finance")
    page.get(f"/console/invoices/{book['purchasing']}")
    response = page.post(f"/console/invoices/{book['purchasing']}/credit-notes",
                         {"amount": amount, "reason": reason, "left_cents": "107946"})
    assert response.status_code == 422
    html = _html(response)
    assert f'id="credit-{field}" name="{field}"' in html
    assert f'aria-describedby="credit-{field}-hint credit-{field}-error" aria-invalid="true"' in html
    assert message in text_of(html)
    if field == "amount":
        assert f'value="{amount}"' in html  # what was typed, shown again
    assert _count(Credit) == 0
    assert db.session.scalar(select(func.count(Invoice.id)).where(Invoice.kind == "credit")) == 0


def test_a_credit_note_form_sent_twice_credits_once(pages, book):
    page = pages.as_("mso_finance")
    form = {"amount": "10.00", "reason": "damaged", "left_cents": "107946"}
    assert page.post(f"/console/invoices/{book['purchasing']}/credit-notes", form).status_code == 302
    again = page.post(f"/console/invoices/{book['purchasing']}/credit-notes", form)
    assert again.status_code == 409
    assert "was credited meanwhile: $1,069.46 is left to credit now, not $1,079.46" in _text(again)
    assert _count(Credit) == 1
    # the credit note reads as money owed to the practice, not a bill awaiting payment
    listed = _text(page.get("/console/invoices?kind=credit"))
    # the description tells invoices of one practice apart
    assert "Riverbend Credit for INV-2026-000001: damaged credit note issued: owed to the practice" in listed


def test_a_draft_takes_no_credit_note_and_says_why(pages, book):
    page = pages.as_("mso_finance")
    text = _text(page.get(f"/console/invoices/{book['draft']}"))
    assert "Issue credit note" not in text
    assert f"No credit note: invoice {book['draft']} is draft membership: only an issued invoice is credited." in text
    refused = page.post(f"/console/invoices/{book['draft']}/credit-notes", {"amount": "1", "reason": "x"})
    assert refused.status_code == 409 and _count(Credit) == 0


# --- billing runs ------------------------------------------------------------------------------


@pytest.fixture
def fees(world):
    """$150.00 a month and $25.00 per provider: Lakeside (one provider) $175.00, Riverbend $150.00."""
    db.session.add(FeeSchedule(is_default=True, service_fee_percent=2, monthly_membership_cents=15000, pmpm_cents=2500))
    db.session.commit()


def test_start_a_billing_run_see_its_invoices_and_asking_again_creates_nothing(pages, world, fees, run_jobs):
    page = pages.as_("mso_finance")
    page.get("/console/billing-runs")
    response = page.post("/console/billing-runs", {"kind": "membership", "month": MONTH})
    assert response.status_code == 302
    run = db.session.scalars(select(BillingRun)).one()
    assert run_jobs(run.job_id).status == "finished"
    text = _text(page.get(response.headers["Location"]))
    assert f"The membership run for {dt.date.fromisoformat(MONTH + '-01'):%b %Y} has started (run #{run.id})" in text
    assert "Billing run (job " in text and "finished" in text
    assert "2 invoices for" in text and "$325.00 in all: 2 being prepared (draft)." in text
    assert "Its latest job drafted 2 new invoices." in text
    assert "Lakeside" in text and "$175.00" in text and "Riverbend" in text and "$150.00" in text
    # each invoice's description is a column: rows of one practice read apart
    described = db.session.scalars(select(Invoice.description).order_by(Invoice.id)).all()
    html = page.get(response.headers["Location"]).get_data(as_text=True)
    assert '<th scope="col">Description</th>' in html and all(f"<td>{d}</td>" in html for d in described)
    assert "Finalize the draft membership invoices" in text
    assert f"Run #{run.id}" in _text(page.get("/console/billing-runs"))

    before = _count(Invoice)
    again = page.post("/console/billing-runs", {"kind": "membership", "month": MONTH})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/console/billing-runs/{run.id}")
    db.session.expire_all()
    assert run_jobs(db.session.get(BillingRun, run.id).job_id).status == "finished"
    text = _text(page.get(again.headers["Location"]))
    assert f"already has its membership run (#{run.id}): asked again, it drafts only what is missing" in text
    assert "Its latest job drafted nothing new" in text
    assert _count(Invoice) == before and _count(BillingRun) == 1


def test_a_bad_month_is_refused_at_its_field_and_starts_nothing(pages, world):
    page = pages.as_("mso_finance")
    page.get("/console/billing-runs")
    response = page.post("/console/billing-runs", {"kind": "membership", "month": "2026-13"})
    assert response.status_code == 422
    html = _html(response)
    assert 'id="f-month" name="month" type="month" value="2026-13"' in html and 'aria-invalid="true"' in html
    assert "a month as YYYY-MM, e.g. 2026-12" in text_of(html)
    assert _count(BillingRun) == 0


# --- what waits for finance -----------------------------------------------------------------------


def test_the_console_start_page_tells_finance_what_waits(pages, book):
    html = _html(pages.as_("mso_finance").get("/console"))
    assert '<a href="/console/invoices?status=draft">2 draft invoices to finalize</a>' in html
    assert '<a href="/console/invoices?status=open">1 invoice past due</a>' in html
    assert '<a href="/console/invoices">Invoices</a>' in html  # the navigation
    assert "draft invoices to finalize" not in _html(pages.as_("mso_procurement").get("/console"))


# --- queries -----------------------------------------------------------------------------------


def test_the_invoice_list_sends_as_many_statements_for_many_rows_as_for_few(pages, world):
    for _ in range(2):
        InvoiceFactory(practice_id=world.practice.id, amounts=[15000, 2500], issued=True)
        InvoiceFactory(practice_id=world.other_practice.id, amounts=[9999])

    def grow():
        for _ in range(6):
            practice = PracticeFactory()
            InvoiceFactory(practice_id=practice.id, amounts=[15000, 2500], issued=True)
            InvoiceFactory(practice_id=practice.id, amounts=[100, 200, 300])

    same_count(Statements(pages.as_("mso_finance")), "/console/invoices", grow)
