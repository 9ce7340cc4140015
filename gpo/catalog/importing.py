"""Planning a catalog import: what the import will do to the vendor's catalog.

Pure functions (no Flask, no database). An import is applied batch by batch
(gpo.catalog.catalog_imports.apply_import). Each row of the file has a
`file_row_digest` of what it says; a product stores `stored_hash(digest, version)`: the
digest of the row that last set it and the version that row left it at (`row_hash`).
One query per batch compares the batch's digests with the stored hashes, in SQL: a row
whose product stores its own digest at the product's current version is unchanged, and
it is neither checked nor loaded, nor are its product's fields read. Any other change
to a product (an edit, an MSO mark, a deactivation) bumps its version, so its stored
hash no longer matches and the next import compares it field by field again:
`plan_batch` decides, for the rows left, which SKUs to create, which to update (and
which fields change, with the new list prices for the price history), which are
unchanged after all, and which rows it refuses. At the end, in
replace mode, `deactivations` names the products the file no longer lists.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping, NamedTuple

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

# Part of every file row's digest: change it when a row rule changes (gpo.catalog.
# import_rows), so that a row stored as valid under the old rules is checked again.
ROW_RULES = "1"


def file_row_digest(row: Mapping[str, Any]) -> str:
    """The hash of a row as the file gives it, before it is checked: every cell or JSON
    value by its column's name, in any order (its `_line` taken out before); 32 hex
    digits. Two rows with the same digest say the same thing and check the same (the
    rules are pure), so a row whose product stores its digest at the current version is
    unchanged without being checked or loaded again."""
    cells = ROW_RULES + repr(sorted(row.items()))
    return hashlib.blake2b(cells.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def stored_hash(digest: str, version: int) -> str:
    """What a product stores once the row of this digest left it at `version` (its SQL
    twin compares a batch: gpo.catalog.catalog_imports._known_unchanged)."""
    return f"{digest}:{version}"


class ValidRow(NamedTuple):
    """A row that passed validation: its line, its loaded fields and their digest."""

    line: int
    data: dict
    digest: str


def valid_row(line: int, data: dict, digest: str) -> ValidRow:
    """A checked row with the digest its product will store (its file row's)."""
    return ValidRow(line, data, digest)


@dataclass(frozen=True)
class ProductUpdate:
    """An existing product the import changes: every editable field as it will be
    (`values`), the names of those that change (`changed`), and its new `row_hash`."""

    product_id: int
    sku: str
    values: dict[str, Any]
    changed: tuple[str, ...]
    row_hash: str


@dataclass
class ImportPlan:
    """What an import does to one batch, SKU by SKU; `errors` are the rejected rows, in
    file order."""

    # The new products' fields (the row's, else DEFAULTS) and their `row_hash`.
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[ProductUpdate] = field(default_factory=list)
    # (product id, new list price) of the updated products whose price changes.
    price_changes: list[tuple[int, Decimal]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # (product id, row_hash) of unchanged products whose stored hash is not this row's.
    rehash: list[tuple[int, str]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The batch's part of the import's report."""
        return {"created": len(self.creates), "updated": len(self.updates), "unchanged": len(self.unchanged),
                "failed": len(self.errors)}


def plan_batch(valid: Mapping[str, ValidRow], existing: Mapping[str, Any],
               row_errors: Iterable[dict] = ()) -> ImportPlan:
    """The plan of one batch.

    `valid` maps each valid row's SKU to the row; `existing` maps
    the SKUs of the vendor's products among them to the products (anything with `id`,
    `version`, `row_hash`, `clinical_marked_by_mso` and the EDITABLE fields as
    attributes); `row_errors` are the batch's rows already rejected. A listed product is
    active again unless its row says otherwise; a row may not unmark clinical what MSO
    procurement marked."""
    plan = ImportPlan(errors=list(row_errors))
    for sku, row in valid.items():
        current = existing.get(sku)
        if current is None:
            plan.creates.append({**DEFAULTS, **row.data, "row_hash": stored_hash(row.digest, 1)})
        else:
            _plan_existing(plan, sku, row, current)
    plan.errors.sort(key=lambda e: e["line"])
    return plan


def _plan_existing(plan: ImportPlan, sku: str, row: ValidRow, current: Any) -> None:
    data = row.data
    merged = {name: data.get(name, getattr(current, name)) for name in EDITABLE}
    merged["active"] = data.get("active", True)  # listed again: active again
    if current.clinical_marked_by_mso and not merged["clinical"]:
        plan.errors.append({"line": row.line, "sku": sku, "errors": {"clinical": [UNMARK_CLINICAL]}})
        return
    changed = tuple(name for name in EDITABLE if merged[name] != getattr(current, name))
    if not changed:
        plan.unchanged.append(sku)
        stored = stored_hash(row.digest, current.version)
        if current.row_hash != stored:  # next time, this row is known unchanged by its hash
            plan.rehash.append((current.id, stored))
        return
    plan.updates.append(ProductUpdate(current.id, sku, merged, changed, stored_hash(row.digest, current.version + 1)))
    if "list_price" in changed:
        plan.price_changes.append((current.id, merged["list_price"]))


def deactivations(active_products: Iterable[tuple[int, str]], listed: set[str]) -> list[int]:
    """Replace mode: the ids of the vendor's active products (id, SKU) the file does not
    list (a SKU whose row failed is listed: its product is kept)."""
    return [product_id for product_id, sku in active_products if sku not in listed]
