"""The settlement examples of the OpenAPI document are one settlement, as the rules
figure it: Acme's 60 boxes at 17.9910 with 1,500 cents of freight, its 2% admin fee
netted. A reader checking the advice finds it adds up, in JSON and in the CSV example."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from gpo.money import line_cents, percent_of_cents
from gpo.payables import settlement_routes
from gpo.payables import settlement_schemas as s
from gpo.payables.scorecard import SCORECARD_COLUMNS, rate_percent


def example(schema, name):
    return schema._declared_fields[name].metadata["example"]


def test_the_settlement_examples_add_up():
    goods = example(s.AdviceInvoiceSchema, "goods_cents")
    assert goods == line_cents(Decimal("17.9910"), 60)
    total = goods + example(s.AdviceInvoiceSchema, "freight_cents") + example(s.AdviceInvoiceSchema, "tax_cents")
    assert example(s.AdviceInvoiceSchema, "total_cents") == total == example(s.SettlementSchema, "invoices_cents")
    fee = percent_of_cents(goods, Decimal(example(s.AdviceDeductionSchema, "admin_fee_percent")))
    assert example(s.AdviceDeductionSchema, "amount_cents") == fee == example(s.SettlementSchema, "deductions_cents")
    assert example(s.SettlementSchema, "payable_cents") == total - fee
    assert s.REMITTANCE_EXAMPLE["amount_cents"] == fee


def test_the_csv_advice_example_adds_up_to_its_payable_row():
    rows = list(csv.DictReader(io.StringIO(settlement_routes.ADVICE_EXAMPLE)))
    assert sum(int(r["amount_cents"]) for r in rows[:-1]) == int(rows[-1]["amount_cents"])
    assert int(rows[-1]["amount_cents"]) == example(s.SettlementSchema, "payable_cents")


def test_the_scorecard_example_rates_follow_from_its_counts():
    row = s.ScorecardRowSchema
    counts = {name: example(row, name) for name in row._declared_fields if name.endswith(("_units", "_lines"))}
    assert str(rate_percent(counts["accepted_units"], counts["ordered_units"])) == example(row, "fill_rate_percent")
    assert str(rate_percent(counts["backordered_units"], counts["ordered_units"])) == example(row, "backorder_rate_percent")
    assert str(rate_percent(counts["shipped_on_time_lines"], counts["backordered_lines"])) == example(
        row, "shipped_on_time_percent")
    assert str(rate_percent(counts["price_match_lines"], counts["invoice_lines"])) == example(row, "price_accuracy_percent")
    assert list(row._declared_fields) == SCORECARD_COLUMNS
