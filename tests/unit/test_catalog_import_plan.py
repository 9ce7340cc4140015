"""Planning a catalog import (gpo.catalog.importing): no database."""
from decimal import Decimal
from types import SimpleNamespace

from gpo.catalog.importing import DEFAULTS, EDITABLE, UNMARK_CLINICAL, ProductUpdate, plan_import


def current(product_id, sku, active=True, clinical_marked_by_mso=False, **fields):
    """An existing product as the import reads it (its id, SKU and editable fields)."""
    values = {**DEFAULTS, "name": f"Item {sku}", "category": "supplies", "list_price": Decimal("10.0000"),
              "active": active, **fields}
    return SimpleNamespace(id=product_id, sku=sku, clinical_marked_by_mso=clinical_marked_by_mso, **values)


def loaded(sku, price="10.0000", **fields):
    """A valid row as the row schema loads it."""
    return {"sku": sku, "name": f"Item {sku}", "category": "supplies", "list_price": Decimal(price), **fields}


def valid_rows(*rows):
    return {row["sku"]: (line, row) for line, row in enumerate(rows, start=1)}


def test_new_skus_are_created_with_the_defaults_for_what_their_row_leaves_out():
    plan = plan_import(valid_rows(loaded("A"), loaded("B", "5.5", clinical=True)), {"A", "B"}, {}, "upsert")
    assert plan.creates == [
        {**DEFAULTS, "sku": "A", "name": "Item A", "category": "supplies", "list_price": Decimal("10.0000")},
        {**DEFAULTS, "sku": "B", "name": "Item B", "category": "supplies", "list_price": Decimal("5.5"),
         "clinical": True},
    ]
    assert plan.updates == [] and plan.price_changes == [] and plan.unchanged == [] and plan.deactivate == []
    assert plan.counts() == {"created": 2, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 0}


def test_an_existing_sku_is_updated_with_exactly_the_fields_that_change_and_its_new_price():
    existing = {"A": current(7, "A"), "B": current(8, "B")}
    rows = valid_rows(loaded("A", "12.5000", manufacturer="Acme"), loaded("B", name="Item B"))
    plan = plan_import(rows, {"A", "B"}, existing, "upsert")
    assert plan.updates == [ProductUpdate(
        product_id=7, sku="A",
        values={**{name: getattr(existing["A"], name) for name in EDITABLE},
                "list_price": Decimal("12.5000"), "manufacturer": "Acme"},
        changed=("manufacturer", "list_price"),
    )]
    assert plan.price_changes == [(7, Decimal("12.5000"))]
    assert plan.unchanged == ["B"]
    assert plan.counts() == {"created": 0, "updated": 1, "unchanged": 1, "deactivated": 0, "failed": 0}


def test_a_change_that_keeps_the_price_records_no_price_change():
    plan = plan_import(valid_rows(loaded("A", unit_of_measure="box")), {"A"}, {"A": current(7, "A")}, "upsert")
    assert [u.changed for u in plan.updates] == [("unit_of_measure",)]
    assert plan.price_changes == []


def test_a_listed_inactive_product_is_active_again_unless_its_row_says_otherwise():
    existing = {"A": current(7, "A", active=False), "B": current(8, "B", active=False)}
    plan = plan_import(valid_rows(loaded("A"), loaded("B", active=False)), {"A", "B"}, existing, "upsert")
    assert [(u.sku, u.values["active"], u.changed) for u in plan.updates] == [("A", True, ("active",))]
    assert plan.unchanged == ["B"]


def test_replace_deactivates_the_active_products_the_file_no_longer_lists():
    existing = {"A": current(7, "A"), "GONE": current(8, "GONE"), "OFF": current(9, "OFF", active=False),
                "BAD-ROW": current(10, "BAD-ROW")}
    # BAD-ROW's row failed validation: listed, so replace keeps the product.
    plan = plan_import(valid_rows(loaded("A")), {"A", "BAD-ROW"}, existing, "replace")
    assert plan.deactivate == [8]
    assert plan.counts() == {"created": 0, "updated": 0, "unchanged": 1, "deactivated": 1, "failed": 0}


def test_upsert_deactivates_nothing():
    plan = plan_import(valid_rows(loaded("A")), {"A"}, {"A": current(7, "A"), "GONE": current(8, "GONE")}, "upsert")
    assert plan.deactivate == []


def test_a_row_cannot_unmark_what_mso_procurement_marked_clinical_and_errors_come_in_file_order():
    existing = {"A": current(7, "A", clinical=True, clinical_marked_by_mso=True)}
    rows = {"A": (5, loaded("A", clinical=False)), "B": (9, loaded("B"))}
    earlier = {"line": 2, "sku": "X", "errors": {"list_price": ["list_price must be greater than 0"]}}
    later = {"line": 7, "sku": "Y", "errors": {"name": ["Missing data for required field."]}}
    plan = plan_import(rows, {"A", "B", "X", "Y"}, existing, "upsert", [later, earlier])
    assert plan.errors == [earlier, {"line": 5, "sku": "A", "errors": {"clinical": [UNMARK_CLINICAL]}}, later]
    assert plan.updates == [] and [c["sku"] for c in plan.creates] == ["B"]
    assert plan.counts() == {"created": 1, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 3}


def test_a_row_that_leaves_clinical_out_keeps_the_mso_mark():
    existing = {"A": current(7, "A", clinical=True, clinical_marked_by_mso=True)}
    plan = plan_import(valid_rows(loaded("A")), {"A"}, existing, "upsert")
    assert plan.errors == [] and plan.unchanged == ["A"]
