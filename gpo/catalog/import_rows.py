"""One catalog import row checked and loaded, in plain Python.

The import job checks every row of a file (up to 100,000); marshmallow's
`ProductCreateSchema`, which the API's one-product calls keep using, costs more per row
than the rest of the import. `load_row` applies the same rules with the same messages to
a row as JSON or CSV gives it (str, int, float, bool, None, lists and objects):
tests/unit/test_catalog_import_rows.py feeds the same rows through both and asserts the
same loaded values and the same messages, so a rule changed in the schema alone fails it.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from gpo.catalog.models import CATEGORIES
from gpo.catalog.schemas import MAX_PRICE
from gpo.identifiers import is_valid_gtin

REQUIRED = ("sku", "name", "category", "list_price")
MISSING = "Missing data for required field."
NULL = "Field may not be null."
UNKNOWN = "Unknown field."
NUL = "text must not contain NUL characters"
NOT_TEXT = "Not a valid string."
NOT_BOOLEAN = "Not a valid boolean."
NOT_INTEGER = "Not a valid integer."
NOT_DECIMAL = 'Not a valid decimal: send it as a string of digits, "12.5".'
SPECIAL = "Special numeric values (nan or infinity) are not permitted."
SKU_LENGTH = "Length must be between 1 and 64."
SKU_SPACES = "sku must not start or end with spaces"
GTIN = "not a valid GTIN: 8, 12, 13 or 14 digits with the GS1 check digit"
PRICE_POSITIVE = "list_price must be greater than 0"
PRICE_PLACES = "list_price has at most 4 decimal places"
PRICE_AT_MOST = f"list_price is at most {MAX_PRICE}"
CATEGORY = f"Must be one of: {', '.join(CATEGORIES)}."
QUANTITY_RANGE = "Must be greater than or equal to 1 and less than or equal to 1000000."
# marshmallow's Boolean: these and nothing else (1.0 and True are equal to 1, so they are in).
TRUTHY = frozenset({"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1", 1})
FALSY = frozenset({"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0", 0})
_SKU_SHAPE = re.compile(r"^\S(.*\S)?$")


class Refused(Exception):
    """A field's value is refused: `messages` as marshmallow would list them."""

    def __init__(self, *messages: str):
        self.messages = list(messages)


def _text(low: int, high: int) -> Callable[[Any], str]:
    """A String field whose length is within low..high (marshmallow's Length messages)."""
    too_short_or_long = (f"Length must be between {low} and {high}." if low else f"Longer than maximum length {high}.")

    def load(value: Any) -> str:
        if not isinstance(value, str):
            raise Refused(NOT_TEXT)
        if not low <= len(value) <= high:
            raise Refused(too_short_or_long)
        return value
    return load


def _sku(value: Any) -> str:
    if not isinstance(value, str):
        raise Refused(NOT_TEXT)
    problems = [SKU_LENGTH] if not 1 <= len(value) <= 64 else []
    if not _SKU_SHAPE.match(value):
        problems.append(SKU_SPACES)
    if problems:
        raise Refused(*problems)
    return value


def _category(value: Any) -> str:
    if not isinstance(value, str):
        raise Refused(NOT_TEXT)
    if value not in CATEGORIES:
        raise Refused(CATEGORY)
    return value


def _gtin(value: Any) -> str:
    if not isinstance(value, str):
        raise Refused(NOT_TEXT)
    if not is_valid_gtin(value):
        raise Refused(GTIN)
    return value


def _list_price(value: Any) -> Decimal:
    """gpo.api.Price (an ASCII string, never a JSON number) and the schema's price rules."""
    if not isinstance(value, str) or not value.isascii():
        raise Refused(NOT_DECIMAL)
    try:
        price = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise Refused(NOT_DECIMAL) from None
    if not price.is_finite():
        raise Refused(SPECIAL)
    if price <= 0:
        raise Refused(PRICE_POSITIVE)
    if price.as_tuple().exponent < -4:
        raise Refused(PRICE_PLACES)
    if price > MAX_PRICE:
        raise Refused(PRICE_AT_MOST)
    return price


def _boolean(value: Any) -> bool:
    try:
        if value in TRUTHY:
            return True
        if value in FALSY:
            return False
    except TypeError:  # a list or an object
        pass
    raise Refused(NOT_BOOLEAN)


def _quantity(value: Any) -> int:
    """gpo.api.WholeNumber (an int, or a string of ASCII digits) within 1..1,000,000."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):  # else: spaces around, a sign, or not digits
            digits = value.strip()
            digits = digits[1:] if digits[:1] in ("+", "-") else digits
            if not (digits and digits.isascii() and digits.isdigit()):
                raise Refused(NOT_INTEGER)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise Refused(NOT_INTEGER)
    try:
        number = int(value)
    except ValueError:  # more digits than Python converts
        raise Refused(NOT_INTEGER) from None
    if not 1 <= number <= 1_000_000:
        raise Refused(QUANTITY_RANGE)
    return number


# The schema's fields in its order (the order of a row's messages), with their loaders.
FIELDS: dict[str, Callable[[Any], Any]] = {
    "sku": _sku,
    "name": _text(1, 200),
    "description": _text(0, 5000),
    "category": _category,
    "manufacturer": _text(0, 200),
    "manufacturer_part_number": _text(0, 100),
    "gtin": _gtin,
    "unit_of_measure": _text(1, 50),
    "list_price": _list_price,
    "clinical": _boolean,
    "min_order_quantity": _quantity,
    "order_multiple": _quantity,
    "active": _boolean,
}
_NULLABLE = frozenset({"gtin"})


def load_row(row: Mapping[str, Any]) -> tuple[dict, dict]:
    """(the row's loaded fields, its messages by field): the messages are empty when the
    row is valid, as `ProductCreateSchema().load(row)` would return or raise them."""
    data: dict[str, Any] = {}
    messages: dict[str, list[str]] = {}
    for name, value in row.items():
        if ("\x00" in value) if isinstance(value, str) else _holds_nul(value):
            return {}, {"_schema": [NUL]}  # the schema's first check, before any field's
        load = FIELDS.get(name)
        if load is None:
            if _holds_nul(name):
                return {}, {"_schema": [NUL]}
            messages[name] = [UNKNOWN]
        elif value is None:
            if name in _NULLABLE:
                data[name] = None
            else:
                messages[name] = [NULL]
        else:
            try:
                data[name] = load(value)
            except Refused as refused:
                messages[name] = refused.messages
    for name in REQUIRED:
        if name not in row:
            messages[name] = [MISSING]
    return (data, _in_field_order(messages)) if messages else (data, messages)


def _in_field_order(messages: dict) -> dict:
    """A row's messages in the schema's field order, unknown fields last (as marshmallow)."""
    known = {name: messages[name] for name in FIELDS if name in messages}
    return {**known, **{name: text for name, text in messages.items() if name not in FIELDS}}


def _holds_nul(value: Any) -> bool:
    """gpo.api.Schema's first check: a NUL anywhere in the row (keys, values, nested)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_nul(item) for item in value)
    return False
