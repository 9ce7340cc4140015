"""The leasing examples of the OpenAPI document are one lease, figured by
gpo/leasing/rules.py (a reader checking the quote's arithmetic finds it adds up), and
the buyout quote's GET has a readable operationId."""
from __future__ import annotations

from decimal import Decimal

import pytest

from gpo.leasing import lease_schemas, rules
from gpo.leasing import schemas as s


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def example(schema, name):
    return schema._declared_fields[name].metadata["example"]


def test_the_examples_are_one_lease_as_the_rules_figure_it():
    t = s.LeaseTermsSchema
    terms = rules.LeaseTerms(example(s.LeaseQuoteSchema, "cost_cents"), example(t, "term_months"),
                             Decimal(example(t, "annual_rate_percent")), example(t, "residual_cents"),
                             example(t, "advance_payments"), example(t, "down_payment_cents"))
    rent = rules.rent_cents(terms)
    fair = example(s.LeaseQuoteSchema, "fair_value_cents")
    for schema in (s.LeaseQuoteSchema, lease_schemas.LeaseSummarySchema):
        assert example(schema, "rent_cents") == rent
        assert example(schema, "due_at_signing_cents") == rules.due_at_signing_cents(terms, rent)
        assert example(schema, "total_rent_cents") == rent * terms.term_months
        assert example(schema, "total_payments_cents") == terms.down_payment_cents + rent * terms.term_months
    first = rules.schedule(terms, rent)[0]
    for name in ("month", "rent_cents", "interest_cents", "principal_cents", "balance_cents"):
        assert example(s.ScheduleRowSchema, name) == getattr(first, name), name
    c = rules.classify(terms, rent, fair_value_cents=fair, remaining_life_months=180, economic_life_months=180)
    assert example(s.ClassificationSchema, "kind") == c.kind
    assert example(s.ClassificationSchema, "implicit_rate_percent") == str(c.implicit_rate_percent)
    assert example(s.ClassificationSchema, "present_value_cents") == c.present_value_cents
    assert example(s.ClassificationSchema, "present_value_percent") == str(c.present_value_percent)
    pv = next(test for test in c.tests if test.name == "present_value")
    assert example(s.ClassificationTestSchema, "explanation") == pv.explanation
    assert example(s.ClassificationTestSchema, "figures") == pv.figures


def test_the_buyout_quote_has_a_readable_operation_id(spec):
    operation = spec["paths"]["/api/v1/leasing/leases/{lease_id}/buyout"]["get"]
    assert operation["operationId"] == "get_lease_buyout_quote"
