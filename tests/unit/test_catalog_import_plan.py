"""Planning a catalog import (gpo.catalog.importing): no database."""
from decimal import Decimal
from types import SimpleNamespace

import pytest

from gpo.catalog.importing import (
    DEFAULTS,
    EDITABLE,
    UNMARK_CLINICAL,
    ProductUpdate,
    deactivations,
    file_row_digest,
    plan_batch,
    stored_hash,
    valid_row,
)


def current(product_id, sku, active=True, clinical_marked_by_mso=False, version=1, stored_hash=None, **fields):
    """An existing product as the import reads it (its id, SKU, version, row hash and
    editable fields)."""
    values = {**DEFAULTS, "name": f"Item {sku}", "category": "supplies", "list_price": Decimal("10.0000"),
              "active": active, **fields}
    return SimpleNamespace(id=product_id, sku=sku, clinical_marked_by_mso=clinical_marked_by_mso, version=version,
                           row_hash=stored_hash, **values)


def loaded(sku, price="10.0000", **fields):
    """A valid row as the row validator loads it."""
    return {"sku": sku, "name": f"Item {sku}", "category": "supplies", "list_price": Decimal(price), **fields}


def valid_rows(*rows):
    return {row["sku"]: valid_row(line, row, file_row_digest(row)) for line, row in enumerate(rows, start=1)}


def test_new_skus_are_created_with_the_defaults_for_what_their_row_leaves_out():
    a, b = loaded("A"), loaded("B", "5.5", clinical=True)
    plan = plan_batch(valid_rows(a, b), {})
    assert plan.creates == [
        {**DEFAULTS, "sku": "A", "name": "Item A", "category": "supplies", "list_price": Decimal("10.0000"),
         "row_hash": stored_hash(file_row_digest(a), 1)},
        {**DEFAULTS, "sku": "B", "name": "Item B", "category": "supplies", "list_price": Decimal("5.5"),
         "clinical": True, "row_hash": stored_hash(file_row_digest(b), 1)},
    ]
    assert plan.updates == [] and plan.price_changes == [] and plan.unchanged == [] and plan.rehash == []
    assert plan.counts() == {"created": 2, "updated": 0, "unchanged": 0, "failed": 0}


def test_an_existing_sku_is_updated_with_exactly_the_fields_that_change_and_its_new_price():
    existing = {"A": current(7, "A", version=3), "B": current(8, "B")}
    a = loaded("A", "12.5000", manufacturer="Acme")
    plan = plan_batch(valid_rows(a, loaded("B", name="Item B")), existing)
    assert plan.updates == [ProductUpdate(
        product_id=7, sku="A",
        values={**{name: getattr(existing["A"], name) for name in EDITABLE},
                "list_price": Decimal("12.5000"), "manufacturer": "Acme"},
        changed=("manufacturer", "list_price"),
        row_hash=stored_hash(file_row_digest(a), 4),  # the version the update leaves
    )]
    assert plan.price_changes == [(7, Decimal("12.5000"))]
    assert plan.unchanged == ["B"]
    assert plan.counts() == {"created": 0, "updated": 1, "unchanged": 1, "failed": 0}


def test_a_change_that_keeps_the_price_records_no_price_change():
    plan = plan_batch(valid_rows(loaded("A", unit_of_measure="box")), {"A": current(7, "A")})
    assert [u.changed for u in plan.updates] == [("unit_of_measure",)]
    assert plan.price_changes == []


def test_a_listed_inactive_product_is_active_again_unless_its_row_says_otherwise():
    existing = {"A": current(7, "A", active=False), "B": current(8, "B", active=False)}
    plan = plan_batch(valid_rows(loaded("A"), loaded("B", active=False)), existing)
    assert [(u.sku, u.values["active"], u.changed) for u in plan.updates] == [("A", True, ("active",))]
    assert plan.unchanged == ["B"]


def test_replace_deactivates_the_active_products_the_file_no_longer_lists():
    active = [(7, "A"), (8, "GONE"), (10, "BAD-ROW")]  # OFF (9) is inactive already: not among them
    # BAD-ROW's row failed validation: listed, so replace keeps the product.
    assert deactivations(active, {"A", "BAD-ROW"}) == [8]
    assert deactivations([], {"A"}) == []


def test_a_row_cannot_unmark_what_mso_procurement_marked_clinical_and_errors_come_in_file_order():
    existing = {"A": current(7, "A", clinical=True, clinical_marked_by_mso=True)}
    a, b = loaded("A", clinical=False), loaded("B")
    rows = {"A": valid_row(5, a, file_row_digest(a)), "B": valid_row(9, b, file_row_digest(b))}
    earlier = {"line": 2, "sku": "X", "errors": {"list_price": ["list_price must be greater than 0"]}}
    later = {"line": 7, "sku": "Y", "errors": {"name": ["Missing data for required field."]}}
    plan = plan_batch(rows, existing, [later, earlier])
    assert plan.errors == [earlier, {"line": 5, "sku": "A", "errors": {"clinical": [UNMARK_CLINICAL]}}, later]
    assert plan.updates == [] and [c["sku"] for c in plan.creates] == ["B"]
    assert plan.counts() == {"created": 1, "updated": 0, "unchanged": 0, "failed": 3}


def test_a_row_that_leaves_clinical_out_keeps_the_mso_mark():
    existing = {"A": current(7, "A", clinical=True, clinical_marked_by_mso=True)}
    plan = plan_batch(valid_rows(loaded("A")), existing)
    assert plan.errors == [] and plan.unchanged == ["A"]


# --- the row hash --------------------------------------------------------------------------

CHANGES = {
    "name": "Other", "description": "d", "category": "it", "manufacturer": "Acme", "manufacturer_part_number": "M-1",
    "gtin": "00012345678905", "unit_of_measure": "box", "list_price": Decimal("10.0001"), "clinical": True,
    "min_order_quantity": 2, "order_multiple": 3, "active": False,
}


@pytest.mark.parametrize("name", EDITABLE)
def test_a_change_in_any_field_changes_the_digest(name):
    base = loaded("A", description="", gtin=None, clinical=False, min_order_quantity=1, order_multiple=1,
                  active=True, manufacturer="", manufacturer_part_number="", unit_of_measure="each")
    changed = {**base, name: CHANGES[name]}
    assert set(CHANGES) == set(EDITABLE)
    assert file_row_digest(changed) != file_row_digest(base)


def test_a_field_left_out_is_not_the_same_row_as_a_field_set_empty_or_to_its_default():
    assert file_row_digest(loaded("A")) != file_row_digest(loaded("A", gtin=None))
    assert file_row_digest(loaded("A")) != file_row_digest(loaded("A", description=""))
    assert file_row_digest(loaded("A")) != file_row_digest(loaded("A", active=True))


def test_the_stored_hash_names_the_version_the_row_left():
    digest = file_row_digest(loaded("A"))
    assert len(digest) == 32 and stored_hash(digest, 7) == f"{digest}:7" != stored_hash(digest, 8)


def test_an_unchanged_product_gets_this_rows_hash_when_it_has_another():
    a, b = loaded("A"), loaded("B")
    existing = {"A": current(7, "A", version=5), "B": current(8, "B", version=2)}
    existing["B"].row_hash = stored_hash(file_row_digest(b), 2)
    plan = plan_batch(valid_rows(a, b), existing)
    assert plan.unchanged == ["A", "B"] and plan.updates == []
    assert plan.rehash == [(7, stored_hash(file_row_digest(a), 5))]  # B's hash is this row's already


def test_a_file_row_digest_is_what_the_row_says_in_any_order():
    a = {"sku": "A", "name": "Item A", "list_price": "10.00"}
    assert file_row_digest(a) == file_row_digest({"list_price": "10.00", "name": "Item A", "sku": "A"})
    assert len(file_row_digest(a)) == 32
    for other in ({**a, "list_price": "10.0"}, {**a, "list_price": 10}, {**a, "colour": "red"},
                  {**a, "min_order_quantity": 1}, {**a, "min_order_quantity": "1"}, {**a, "gtin": None}):
        assert file_row_digest(other) != file_row_digest(a), other  # a cell written otherwise is another row


def test_a_file_row_digest_changes_with_the_row_rules(monkeypatch):
    from gpo.catalog import importing

    row = {"sku": "A", "name": "Item A"}
    before = file_row_digest(row)
    monkeypatch.setattr(importing, "ROW_RULES", "2")
    assert file_row_digest(row) != before
