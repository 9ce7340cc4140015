"""What the console's invoice forms take, beside the API's schemas (gpo/billing/schemas.py)
that they reuse: an amount typed in dollars, parsed exactly to the API's cents, and the
drafts ticked on the invoice list."""
from __future__ import annotations

import copy

from marshmallow import ValidationError, fields, validate

from gpo.api import Id, Schema, WholeNumber
from gpo.billing.schemas import MAX_CENTS, CreditNoteInSchema
from gpo.money import NotDollars, parse_dollars

MAX_SELECTED = 100  # the list's largest page


class Dollars(fields.Field):
    """An amount typed in dollars as integer cents (`gpo.money.parse_dollars`: exact,
    more than two decimal places refused, not rounded)."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        try:
            return parse_dollars(value)
        except NotDollars as exc:
            raise ValidationError(str(exc)) from None


class CreditNoteFormSchema(Schema):
    """The console's credit-note form: the API's `amount_cents` typed in dollars (field
    `amount`), its `reason` as the API takes it, and what was left to credit when the
    form was shown (a second submit of the same form is refused instead of crediting
    twice)."""

    amount_cents = Dollars(required=True, data_key="amount", validate=validate.Range(
        min=1, max=MAX_CENTS, error="at least $0.01 and at most $100,000,000,000.00"))
    reason = copy.deepcopy(CreditNoteInSchema._declared_fields["reason"])  # the API's own rule
    seen_left_cents = WholeNumber(load_default=None, data_key="left_cents")


class FinalizeSelectedSchema(Schema):
    """The drafts ticked on the console's invoice list."""

    invoice_ids = fields.List(Id(), required=True, validate=validate.Length(
        min=1, max=MAX_SELECTED, error=f"select between 1 and {MAX_SELECTED} draft invoices"),
        error_messages={"required": "Select at least one draft invoice to finalize."})
