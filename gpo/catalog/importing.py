"""Planning a catalog import: what the import will do to the vendor's catalog.

Pure functions (no Flask, no database). From the import's valid rows and the vendor's
existing products, `plan_import` decides which SKUs to create, which to update (and
which fields change, with the new list prices for the price history), which to leave
unchanged, which products to deactivate (replace mode), and the counts of the report.
The use case (`gpo.catalog.catalog_imports.apply_import`) reads the products, plans, and
writes the plan set-based.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

# The fields a vendor sets on a product (one API call or one import row).
EDITABLE = (
    "name", "description", "category", "manufacturer", "manufacturer_part_number", "gtin",
    "unit_of_measure", "list_price", "clinical", "min_order_quantity", "order_multiple", "active",
)
# What a new product has where its row says nothing.
DEFAULTS = {
    "description": "", "manufacturer": "", "manufacturer_part_number": "", "gtin": None,
    "unit_of_measure": "each", "clinical": False, "min_order_quantity": 1, "order_multiple": 1, "active": True,
}
UNMARK_CLINICAL = "clinical was marked by MSO procurement: only the MSO can unmark it"


@dataclass(frozen=True)
class ProductUpdate:
    """An existing product the import changes: every editable field as it will be
    (`values`) and the names of those that change (`changed`)."""

    product_id: int
    sku: str
    values: dict[str, Any]
    changed: tuple[str, ...]


@dataclass
class ImportPlan:
    """What an import does, SKU by SKU; `errors` are the rejected rows, in file order."""

    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[ProductUpdate] = field(default_factory=list)
    # (product id, new list price) of the updated products whose price changes.
    price_changes: list[tuple[int, Decimal]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivate: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The import's report: how many products were created, updated, left unchanged,
        deactivated, and how many rows failed."""
        return {
            "created": len(self.creates), "updated": len(self.updates), "unchanged": len(self.unchanged),
            "deactivated": len(self.deactivate), "failed": len(self.errors),
        }


def plan_import(
    valid: Mapping[str, tuple[int, dict]],
    listed: set[str],
    existing: Mapping[str, Any],
    mode: str,
    row_errors: list[dict] = (),
) -> ImportPlan:
    """The plan of an import.

    `valid` maps each valid row's SKU to (its line, its loaded fields); `listed` is every
    SKU the file names (valid or not: replace mode keeps a product whose row failed);
    `existing` maps the vendor's SKUs to their current products (anything with `id`,
    `clinical_marked_by_mso` and the EDITABLE fields as attributes); `row_errors` are
    the rows already rejected. A listed product is active again unless its row says
    otherwise; a row may not unmark clinical what MSO procurement marked."""
    plan = ImportPlan(errors=list(row_errors))
    for sku, (line, data) in valid.items():
        current = existing.get(sku)
        if current is None:
            plan.creates.append({**DEFAULTS, **data})
        else:
            _plan_existing(plan, sku, line, data, current)
    if mode == "replace":
        plan.deactivate = [row.id for sku, row in existing.items() if row.active and sku not in listed]
    plan.errors.sort(key=lambda e: e["line"])
    return plan


def _plan_existing(plan: ImportPlan, sku: str, line: int, data: dict, current: Any) -> None:
    merged = {name: data.get(name, getattr(current, name)) for name in EDITABLE}
    merged["active"] = data.get("active", True)  # listed again: active again
    if current.clinical_marked_by_mso and not merged["clinical"]:
        plan.errors.append({"line": line, "sku": sku, "errors": {"clinical": [UNMARK_CLINICAL]}})
        return
    changed = tuple(name for name in EDITABLE if merged[name] != getattr(current, name))
    if not changed:
        plan.unchanged.append(sku)
        return
    plan.updates.append(ProductUpdate(current.id, sku, merged, changed))
    if "list_price" in changed:
        plan.price_changes.append((current.id, merged["list_price"]))
