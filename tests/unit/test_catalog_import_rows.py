"""The import's row validator (gpo.catalog.import_rows) against its oracle, the API's
ProductCreateSchema: the same rows give the same loaded values or the same messages."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from gpo.catalog.import_rows import FIELDS, REQUIRED, load_row
from gpo.catalog.models import CATEGORIES
from gpo.catalog.schemas import ProductCreateSchema

ORACLE = ProductCreateSchema()


def by_schema(row: dict) -> tuple[dict, dict, list]:
    try:
        return _exact(ORACLE.load(row)), {}, []
    except ValidationError as exc:
        return {}, exc.messages, _field_order(exc.messages)


def by_validator(row: dict) -> tuple[dict, dict, list]:
    data, messages = load_row(row)
    return ({} if messages else _exact(data)), messages, _field_order(messages)


def _exact(data: dict) -> dict:
    """The loaded values with their types and digits (Decimal 5.5 is not 5.50)."""
    return {name: (type(value).__name__, repr(value)) for name, value in data.items()}


def _field_order(messages: dict) -> list:
    """The order of a row's messages in its error report (unknown fields aside: marshmallow
    lists them in no particular order)."""
    return [name for name in messages if name in FIELDS or name == "_schema"]


GOOD = {"sku": "GLV-NIT-M", "name": "Nitrile gloves", "category": "supplies", "list_price": "12.99"}
ROWS = [
    GOOD,
    {**GOOD, "description": "Box of 100", "manufacturer": "Acme", "manufacturer_part_number": "AC-100M",
     "gtin": "00012345678905", "unit_of_measure": "box", "clinical": "true", "min_order_quantity": "2",
     "order_multiple": " 4 ", "active": "no"},
    {**GOOD, "gtin": None, "clinical": False, "min_order_quantity": 3, "order_multiple": 1, "active": True},
    {**GOOD, "list_price": "99999999.9999"}, {**GOOD, "list_price": "0.0001"}, {**GOOD, "list_price": "1E+2"},
    {**GOOD, "list_price": " 7.5 "}, {**GOOD, "list_price": "1_000"},
    {**GOOD, "clinical": 1}, {**GOOD, "clinical": 1.0}, {**GOOD, "clinical": "Y"}, {**GOOD, "active": 0},
    {**GOOD, "min_order_quantity": "+5"}, {**GOOD, "min_order_quantity": "1000000"},
    {**GOOD, "sku": "x" * 64}, {**GOOD, "name": "n" * 200}, {**GOOD, "description": "d" * 5000},
    {**GOOD, "sku": "A\n"},  # the schema's pattern ends with $, which a final newline passes
    # bad rows
    {},
    {"name": "no sku", "category": "supplies", "list_price": "1"},
    {**GOOD, "sku": ""}, {**GOOD, "sku": " A"}, {**GOOD, "sku": "x" * 65}, {**GOOD, "sku": " " + "x" * 64},
    {**GOOD, "sku": None}, {**GOOD, "sku": 12}, {**GOOD, "name": ""}, {**GOOD, "name": "x" * 201},
    {**GOOD, "description": "d" * 5001}, {**GOOD, "manufacturer": "m" * 201},
    {**GOOD, "manufacturer_part_number": "p" * 101}, {**GOOD, "unit_of_measure": ""},
    {**GOOD, "unit_of_measure": "u" * 51}, {**GOOD, "category": "toys"}, {**GOOD, "category": "Supplies"},
    {**GOOD, "category": ["supplies"]}, {**GOOD, "gtin": "00012345678906"}, {**GOOD, "gtin": "1234"},
    {**GOOD, "gtin": 12345678905}, {**GOOD, "list_price": "-3"}, {**GOOD, "list_price": "0"},
    {**GOOD, "list_price": "abc"}, {**GOOD, "list_price": "1.23456"}, {**GOOD, "list_price": "100000000"},
    {**GOOD, "list_price": "NaN"}, {**GOOD, "list_price": "sNaN"}, {**GOOD, "list_price": "-Infinity"},
    {**GOOD, "list_price": 12.5}, {**GOOD, "list_price": 12}, {**GOOD, "list_price": "\u0661\u0662"},
    {**GOOD, "list_price": ""}, {**GOOD, "list_price": None}, {**GOOD, "clinical": "maybe"},
    {**GOOD, "clinical": 2}, {**GOOD, "clinical": None}, {**GOOD, "clinical": []}, {**GOOD, "active": {}},
    {**GOOD, "min_order_quantity": "0"}, {**GOOD, "min_order_quantity": "1.0"},
    {**GOOD, "min_order_quantity": 1.0}, {**GOOD, "min_order_quantity": True},
    {**GOOD, "min_order_quantity": "1000001"}, {**GOOD, "order_multiple": "-1"},
    {**GOOD, "order_multiple": "\u0661"}, {**GOOD, "order_multiple": "9" * 5000},
    {**GOOD, "colour": "red"}, {**GOOD, "colour": "red", "size": None, "sku": ""},
    {**GOOD, "name": "nul\x00"}, {**GOOD, "extra\x00": 1}, {**GOOD, "colour": ["a\x00"]},
    {"sku": None, "name": None, "category": None, "list_price": None, "gtin": None},
]


@pytest.mark.parametrize("row", ROWS)
def test_each_row_loads_or_is_refused_as_the_schema_does(row):
    assert by_validator(row) == by_schema(row)


def test_the_examples_cover_good_and_bad_rows():
    outcomes = [bool(by_schema(row)[1]) for row in ROWS]  # refused?
    assert outcomes.count(False) >= 15 and outcomes.count(True) >= 50


def test_the_validator_checks_exactly_the_schemas_fields_in_its_order():
    assert list(FIELDS) == list(ORACLE.load_fields)


def test_a_refused_row_lists_every_field_at_fault_with_all_its_messages():
    data, messages = load_row({"sku": "", "category": "toys", "list_price": "-1", "colour": "red"})
    assert messages == {
        "sku": ["Length must be between 1 and 64.", "sku must not start or end with spaces"],
        "name": ["Missing data for required field."],
        "category": [f"Must be one of: {', '.join(CATEGORIES)}."],
        "list_price": ["list_price must be greater than 0"],
        "colour": ["Unknown field."],
    }
    assert load_row(GOOD) == ({"sku": "GLV-NIT-M", "name": "Nitrile gloves", "category": "supplies",
                               "list_price": Decimal("12.99")}, {})


# --- generated rows -----------------------------------------------------------------------

ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=4),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
TEXT = st.one_of(st.text(max_size=8), st.sampled_from(["", " ", "A ", " A", "A\n", "A B", "x" * 50, "x" * 51,
                                                       "x" * 64, "x" * 65, "x" * 100, "x" * 101, "x" * 200, "x" * 201,
                                                       "x" * 5000, "x" * 5001]))
PRICES = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=Decimal("-1"), max_value=Decimal("100000000"), places=5).map(str),
    st.sampled_from(["0", "-0", "0.0001", "0.00001", "99999999.9999", "99999999.99990", "100000000", "1e3", "1E-4",
                     " 2.5 ", "1_0", "abc", "", "NaN", "-sNaN", "Infinity", "\u0661", "1,5", "+3"]),
)
BOOLEANS = st.one_of(st.sampled_from(["true", "True", "TRUE", "t", "yes", "on", "1", "y", "false", "F", "no", "off",
                                      "0", "N", "maybe", "", 1, 0, 2, 1.0, 0.0, True, False]), ANYTHING)
QUANTITIES = st.one_of(st.integers(-2, 1_000_002), st.sampled_from(["1", " 2 ", "+3", "-1", "0", "1.0", "1e3",
                                                                    "1000000", "1000001", "\u0661", "", " ", "x"]),
                       ANYTHING)
GTINS = st.one_of(st.sampled_from(["00012345678905", "00012345678906", "96385074", "012345678905", "4006381333931",
                                   "1234", "0001234567890a", ""]), st.text(alphabet="0123456789", max_size=15), ANYTHING)
FIELD_VALUES = {
    "sku": TEXT, "name": TEXT, "description": TEXT, "manufacturer": TEXT, "manufacturer_part_number": TEXT,
    "unit_of_measure": TEXT, "category": st.one_of(st.sampled_from([*CATEGORIES, "toys", "IT", ""]), ANYTHING),
    "gtin": GTINS, "list_price": PRICES, "clinical": BOOLEANS, "active": BOOLEANS,
    "min_order_quantity": QUANTITIES, "order_multiple": QUANTITIES,
}


NO_NUL = st.characters(blacklist_characters="\x00")
VALID_VALUES = {
    "sku": st.text(NO_NUL, min_size=1, max_size=64).filter(lambda s: re.match(r"^\S(.*\S)?$", s)),
    "name": st.text(NO_NUL, min_size=1, max_size=200), "description": st.text(NO_NUL, max_size=30),
    "category": st.sampled_from(CATEGORIES), "manufacturer": st.text(NO_NUL, max_size=200),
    "manufacturer_part_number": st.text(NO_NUL, max_size=100),
    "gtin": st.sampled_from([None, "00012345678905", "96385074", "012345678905", "4006381333931"]),
    "unit_of_measure": st.text(NO_NUL, min_size=1, max_size=50),
    "list_price": st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999999.9999"), places=4).map(str),
    "clinical": st.sampled_from(["true", "false", "1", "0", "yes", "no", True, False, 1, 0]),
    "active": st.sampled_from(["True", "FALSE", "on", "off", True, False]),
    "min_order_quantity": st.one_of(st.integers(1, 1_000_000), st.integers(1, 1_000_000).map(str)),
    "order_multiple": st.one_of(st.integers(1, 1_000_000), st.integers(1, 1_000_000).map(lambda n: f" +{n} ")),
}


@st.composite
def rows(draw):
    """A valid row (required fields, some optional ones), then as many as three of its
    fields left out or replaced by anything (a value of any field, or of any type)."""
    row = {name: draw(values) for name, values in VALID_VALUES.items()
           if name in REQUIRED or draw(st.booleans())}
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        name = draw(st.sampled_from(list(FIELD_VALUES)))
        if draw(st.integers(0, 5)) == 0:
            row.pop(name, None)
        else:
            row[name] = draw(FIELD_VALUES[name])
    if draw(st.integers(0, 9)) == 0:
        row[draw(st.sampled_from(["colour", "_x", "SKU", "nul\x00"]))] = draw(ANYTHING)
    if draw(st.integers(0, 19)) == 0:
        row[draw(st.sampled_from(list(FIELD_VALUES)))] = "with a \x00"
    return row


@settings(max_examples=1500)
@given(rows())
def test_generated_rows_load_or_are_refused_as_the_schema_does(row):
    assert by_validator(row) == by_schema(row)
