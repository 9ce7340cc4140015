"""The console's invoice forms: an amount typed in dollars becomes the API's cents
exactly (never through float, never rounded), and when an invoice is past due."""
import datetime as dt

import pytest
from marshmallow import ValidationError

from gpo.billing.console_forms import CreditNoteFormSchema, FinalizeSelectedSchema
from gpo.billing.rules import past_due


@pytest.mark.parametrize("typed, cents", [
    ("25", 2500), ("25.5", 2550), ("25.50", 2550), ("0.01", 1), ("0.1", 10), ("$1,079.46", 107946),
    ("1079.46", 107946), ("1,000,000.05", 100000005), ("0.29", 29), ("1.13", 113),
])
def test_dollars_become_exact_cents(typed, cents):
    assert CreditNoteFormSchema().load({"amount": typed, "reason": "x"})["amount_cents"] == cents


@pytest.mark.parametrize("typed, message", [
    ("12.345", "at most 2 decimal places (whole cents)"), ("1,0", "an amount in dollars and cents, like 1,250.00"),
    ("-5", "an amount in dollars and cents, like 1,250.00"), ("1e3", "an amount in dollars and cents, like 1,250.00"),
    ("\u0661\u0662", "an amount in dollars and cents, like 1,250.00"), ("1.", "an amount in dollars and cents, like 1,250.00"),
    ("0", "at least $0.01 and at most $100,000,000,000.00"),
    ("100000000000.01", "at least $0.01 and at most $100,000,000,000.00"),
])
def test_amounts_that_are_not_dollars_and_cents_are_refused_with_the_reason(typed, message):
    with pytest.raises(ValidationError) as refused:
        CreditNoteFormSchema().load({"amount": typed, "reason": "x"})
    assert refused.value.messages == {"amount": [message]}


def test_the_reason_is_the_apis_and_the_seen_amount_is_optional():
    loaded = CreditNoteFormSchema().load({"amount": "1", "reason": "damaged", "left_cents": "107946"})
    assert loaded == {"amount_cents": 100, "reason": "damaged", "seen_left_cents": 107946}
    with pytest.raises(ValidationError) as refused:
        CreditNoteFormSchema().load({"amount": "1", "reason": "x" * 251})
    assert "reason" in refused.value.messages


def test_finalize_selected_needs_one_to_a_hundred_ids():
    assert FinalizeSelectedSchema().load({"invoice_ids": ["3", "5"]}) == {"invoice_ids": [3, 5]}
    with pytest.raises(ValidationError) as refused:
        FinalizeSelectedSchema().load({})
    assert refused.value.messages == {"invoice_ids": ["Select at least one draft invoice to finalize."]}
    with pytest.raises(ValidationError):
        FinalizeSelectedSchema().load({"invoice_ids": [str(i) for i in range(1, 102)]})


def test_past_due_is_open_after_the_due_date():
    today = dt.date(2026, 12, 1)
    assert past_due("open", dt.date(2026, 11, 30), today)
    assert not past_due("open", today, today)
    assert not past_due("paid", dt.date(2026, 11, 30), today)
    assert not past_due("draft", None, today)
