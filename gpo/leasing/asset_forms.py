"""What the asset and quote pages' forms take, parsed by the API's own schemas: money
typed in dollars (`gpo.money.parse_dollars`, exact) for the API's cents, and the
comparison's up to three sets of terms side by side (columns a, b, c), each quoted by
`quotes.quote` and refused at its own fields ("a-term_months")."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gpo.api import MAX_ID
from gpo.auth.principal import Principal
from gpo.errors import DomainError, Invalid
from gpo.leasing import quotes, rules
from gpo.leasing.asset_schemas import AssetInSchema
from gpo.leasing.models import Lease
from gpo.leasing.schemas import LeaseQuoteInSchema
from gpo.money import NotDollars, dollars_typed, parse_dollars
from gpo.web.forms import FormErrors, errors_of, load, undo_refused

FIX_FIELDS = "Please correct the fields marked below."
ASSET_MONEY = {"cost": "cost_cents", "fair_value": "fair_value_cents"}
TERMS_MONEY = {"residual": "residual_cents", "down_payment": "down_payment_cents"}
# A column's fields as the form names them (money in dollars), in the form's order.
FORM_TERMS = ("term_months", "annual_rate_percent", "advance_payments", "residual", "down_payment", "commences_on",
              "early_termination_fee_percent")
COLUMNS = ("a", "b", "c")
COLUMN_LABELS = {"a": "Terms A", "b": "Terms B", "c": "Terms C"}
TEST_NAMES = {"ownership_transfer": "Ownership transfers", "purchase_option": "Purchase option reasonably certain",
              "term": "Term and economic life", "present_value": "Present value and fair value",
              "specialized": "Specialized asset", "direct_financing": "Direct financing"}


def id_of(raw: str | None) -> int | None:
    """An id typed in a query string or form: ASCII digits within BIGINT ("²" is a
    digit to str.isdigit, and int() refuses it), else None."""
    if raw and raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    return None


def load_with_dollars(schema, data: dict, money: dict[str, str]) -> dict:
    """`data` (form fields, money in dollars) loaded by the API's `schema` (money in
    cents); every refusal named by the form's own field."""
    body = {k: v for k, v in data.items() if k not in money}
    errors: dict[str, list[str]] = {}
    for name, api_name in money.items():
        if name in data:
            try:
                body[api_name] = parse_dollars(data[name])
            except NotDollars as exc:
                errors[name] = [str(exc)]
    try:
        loaded = load(schema, body)
    except Invalid as exc:
        for name, messages in exc.errors["json"].items():
            errors.setdefault(form_name(name, money), messages)
        raise Invalid(FIX_FIELDS, {"json": errors}) from None
    if errors:
        raise Invalid(FIX_FIELDS, {"json": errors})
    return loaded


def form_name(api_name: str, money: dict[str, str]) -> str:
    """The form's field for an API field: residual_cents -> residual."""
    return next((name for name, api in money.items() if api == api_name), api_name)


def renamed(errors: FormErrors, money: dict[str, str], prefix: str = "") -> dict[str, str]:
    """A use case's refusal naming the API's fields, as the form's fields."""
    return {prefix + form_name(k, money): v for k, v in errors.fields.items()}


# --- the new asset form -------------------------------------------------------------------------


def asset_defaults(today: dt.date) -> dict:
    return {"category": "medical_equipment", "acquired_on": today.isoformat(), "economic_life_months": "120"}


def asset_input(values: dict) -> dict:
    """The new-asset form as AssetInSchema's body: a checkbox left unticked is false."""
    data = {k: v for k, v in values.items() if k not in ("clinical", "specialized")}
    for flag in ("clinical", "specialized"):
        data[flag] = "true" if values.get(flag) else "false"
    return load_with_dollars(AssetInSchema(), data, ASSET_MONEY)


# --- the comparison --------------------------------------------------------------------------


@dataclass
class Column:
    """One set of terms of the comparison: its form values, and its quote when given."""

    key: str
    label: str
    quote: dict | None = None

    @property
    def offer_fields(self) -> dict:
        """What "Offer this lease" posts (the same terms, money in dollars as typed)."""
        t = self.quote["terms"]
        return {"asset_id": self.quote["asset_id"], "practice_id": self.quote["practice_id"],
                "term_months": t["term_months"], "annual_rate_percent": t["annual_rate_percent"],
                "advance_payments": t["advance_payments"], "residual": dollars_typed(t["residual_cents"]),
                "down_payment": dollars_typed(t["down_payment_cents"]), "commences_on": t["commences_on"].isoformat(),
                "early_termination_fee_percent": t["early_termination_fee_percent"]}


def first_of_next_month(today: dt.date) -> dt.date:
    return rules.add_months(today.replace(day=1), 1)


def terms_defaults(today: dt.date, *, columns=("a", "b")) -> dict:
    """A 36- and a 60-month lease at 8%, the first rent at signing, from next month; C blank."""
    starts = first_of_next_month(today).isoformat()
    months = {"a": "36", "b": "60", "c": "48"}
    values = {}
    for key in columns:
        values.update({f"{key}-term_months": months[key], f"{key}-annual_rate_percent": "8",
                       f"{key}-advance_payments": "1", f"{key}-residual": "0.00", f"{key}-down_payment": "0.00",
                       f"{key}-commences_on": starts})
    return values


def terms_of_lease(lease: Lease, today: dt.date) -> dict:
    """Column A filled with a lease's terms (the storefront: the offer it was made), from
    today at the earliest."""
    return {"a-term_months": str(lease.term_months), "a-annual_rate_percent": f"{lease.annual_rate_percent.normalize():f}",
            "a-advance_payments": str(lease.advance_payments), "a-residual": dollars_typed(lease.residual_cents),
            "a-down_payment": dollars_typed(lease.down_payment_cents),
            "a-commences_on": max(lease.commences_on, today).isoformat()}


def filled_columns(values: dict) -> list[str]:
    """The columns with any term typed (a blank column is not compared)."""
    return [key for key in COLUMNS if any(values.get(f"{key}-{name}") for name in FORM_TERMS)]


def compare(principal: Principal, values: dict, practice_id) -> tuple[list[Column], FormErrors]:
    """Quote every filled column for the form's asset and `practice_id`; each refusal at
    its column's field. Not seeing the asset or the practice (404) or a role that may
    not quote (403) is the page's answer, as in the API."""
    columns: list[Column] = []
    fields: dict[str, str] = {}
    filled = filled_columns(values)
    if not filled:
        return [], FormErrors(FIX_FIELDS, {"a-term_months": "type the terms of at least one lease to compare"})
    for key in filled:
        prefix = f"{key}-"
        body = {name: values[prefix + name] for name in FORM_TERMS if values.get(prefix + name)}
        body.update({k: v for k, v in (("asset_id", values.get("asset_id")), ("practice_id", practice_id)) if v})
        try:
            data = load_with_dollars(LeaseQuoteInSchema(), body, TERMS_MONEY)
            columns.append(Column(key, COLUMN_LABELS[key], quotes.quote(principal, data)))
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            undo_refused()
            for name, message in renamed(errors_of(exc), TERMS_MONEY, prefix).items():
                # the asset and practice are the whole form's, not a column's
                fields[name.removeprefix(prefix) if name.removeprefix(prefix) in ("asset_id", "practice_id")
                       else name] = message
            if exc.status_code == 409:
                fields.setdefault("asset_id", exc.message)
    return columns, FormErrors(FIX_FIELDS if fields else "", fields)


def test_rows(columns: list[Column]) -> list[tuple[str, str, list[dict | None]]]:
    """The classification's tests as rows across the columns: (name, label, each
    column's test or None)."""
    names: list[str] = []
    for column in columns:
        for test in column.quote["classification"]["tests"]:
            if test["name"] not in names:
                names.append(test["name"])
    rows = []
    for name in names:
        cells = [next((t for t in c.quote["classification"]["tests"] if t["name"] == name), None) for c in columns]
        rows.append((name, TEST_NAMES.get(name, name.replace("_", " ").capitalize()), cells))
    return rows
