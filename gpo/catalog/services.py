"""Use cases of the catalog: vendors keep their products, everyone browses, vendors
load catalogs in bulk through a background job."""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import Container

from marshmallow import ValidationError
from sqlalchemy import bindparam, func, or_, select, update

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.catalog import parsing
from gpo.catalog.models import CatalogImport, Product, ProductPrice, _search_document
from gpo.catalog.schemas import ProductCreateSchema
from gpo.db import Paged, commit_midway, copy_rows, db, flush_or_conflict, is_postgresql, paged, utcnow
from gpo.errors import Forbidden, Invalid
from gpo.etags import require_match
from gpo.jobs import enqueue

log = logging.getLogger("gpo.catalog")

EDITABLE = (
    "name", "description", "category", "manufacturer", "manufacturer_part_number", "gtin",
    "unit_of_measure", "list_price", "clinical", "min_order_quantity", "order_multiple", "active",
)
DEFAULTS = {
    "description": "", "manufacturer": "", "manufacturer_part_number": "", "gtin": None,
    "unit_of_measure": "each", "clinical": False, "min_order_quantity": 1, "order_multiple": 1, "active": True,
}
UNMARK_CLINICAL = "clinical was marked by MSO procurement: only the MSO can unmark it"


def product_visible(principal: Principal, product: Product) -> bool:
    """MSO staff see every product, a vendor its own, practices the active catalog."""
    if principal.is_mso:
        return True
    if principal.org_type == "vendor":
        return product.vendor_id == principal.organization_id
    return product.active




# --- browsing ----------------------------------------------------------------------


def browse(principal: Principal, filters: dict, page: int, page_size: int) -> Paged:
    """Search and filter the catalog a principal may see."""
    policy.authorize(principal, "product.read")
    stmt = select(Product)
    if principal.org_type == "vendor":
        stmt = stmt.where(Product.vendor_id == principal.organization_id)
    active = filters.get("active", True)
    if principal.org_type == "practice":
        active = True  # practices browse the active catalog only
    stmt = stmt.where(Product.active == active)
    for field in ("category", "vendor_id", "clinical"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(Product, field) == filters[field])
    if filters.get("q"):
        stmt = stmt.where(_matches(filters["q"]))
    if filters.get("on_contract") is not None:
        from gpo.contracts.services import on_contract_clause

        clause = on_contract_clause(Product.id)
        stmt = stmt.where(clause if filters["on_contract"] else ~clause)
    column = Product.list_price if filters["sort"].lstrip("-") == "price" else Product.name
    order = column.desc() if filters["sort"].startswith("-") else column.asc()
    return paged(stmt.order_by(order, Product.id), page, page_size)


def _matches(q: str):
    if is_postgresql():
        # Full-text search over name, description, manufacturer, part number and SKU
        # (GIN index ix_products_search on the same expression).
        return _search_document().op("@@")(func.websearch_to_tsquery("english", q))
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    columns = (Product.name, Product.description, Product.manufacturer, Product.manufacturer_part_number, Product.sku)
    return or_(*(c.ilike(pattern, escape="\\") for c in columns))


def get_product(principal: Principal, product_id: int) -> Product:
    """A product, with `contracts`: the contracts in effect it is on."""
    product = policy.load(principal, Product, product_id, "product.read")
    return _with_contracts(product)


def _with_contracts(product: Product) -> Product:
    from gpo.contracts.services import contracts_in_effect_for_product

    product.contracts = contracts_in_effect_for_product(product.id)
    return product


# --- one product at a time ---------------------------------------------------------


def _lock_vendor(principal: Principal, vendor_id: int, action: str) -> Vendor:
    """The vendor row, locked: catalog writes of one vendor happen one at a time."""
    return policy.load(principal, Vendor, vendor_id, action, for_update=True)


def _record_price(product_id: int, price: Decimal, changed_by: str, now) -> None:
    db.session.execute(
        update(ProductPrice)
        .where(ProductPrice.product_id == product_id, ProductPrice.effective_to.is_(None))
        .values(effective_to=now)
    )
    db.session.add(ProductPrice(product_id=product_id, list_price=price, effective_from=now, changed_by=changed_by))


def create_product(principal: Principal, vendor_id: int, data: dict) -> Product:
    """A vendor adds a product; its SKU is unique within the vendor (409 otherwise)."""
    vendor = _lock_vendor(principal, vendor_id, "product.create")
    product = Product(vendor_id=vendor.id, **{**DEFAULTS, **data})
    db.session.add(product)
    flush_or_conflict(f"vendor {vendor.id} already has a product with SKU {data['sku']!r}")
    _record_price(product.id, product.list_price, principal.label, utcnow())
    audit.record(principal, "product.create", product, details={"sku": product.sku, "list_price": str(product.list_price)})
    db.session.flush()
    product.contracts = []
    return product


def _lock_product(principal: Principal, product_id: int) -> Product:
    """The product, locked after its vendor's row: catalog writes of one vendor (edits
    and imports) take the locks in the same order, so they queue, never deadlock."""
    product = policy.load(principal, Product, product_id, "product.read")
    db.session.execute(select(Vendor.id).where(Vendor.id == product.vendor_id).with_for_update(key_share=True))
    return policy.load(principal, Product, product_id, "product.read", for_update=True)


def update_product(principal: Principal, product_id: int, data: dict, if_match: Container[str]) -> Product:
    """The vendor edits its product. MSO procurement may only mark or unmark it
    clinical; a vendor cannot unmark what the MSO marked."""
    product = _lock_product(principal, product_id)
    if principal.is_mso:
        policy.authorize(principal, "product.mark_clinical", product)
        if set(data) - {"clinical"}:
            raise Forbidden("MSO staff may only change whether a product is clinical; the vendor edits the rest")
    else:
        policy.authorize(principal, "product.update", product)
        if data.get("clinical") is False and product.clinical_marked_by_mso:
            raise Forbidden(UNMARK_CLINICAL)
    require_match(product, if_match)
    old_price = product.list_price
    changes = {}
    for field, value in data.items():
        if getattr(product, field) != value:
            changes[field] = [str(getattr(product, field)), str(value)]
            setattr(product, field, value)
    if principal.is_mso and "clinical" in changes:
        product.clinical_marked_by_mso = product.clinical
    if "sku" in changes:
        flush_or_conflict(f"vendor {product.vendor_id} already has a product with SKU {product.sku!r}")
    if product.list_price != old_price:
        _record_price(product.id, product.list_price, principal.label, utcnow())
    if changes:
        audit.record(principal, "product.update", product, details=changes)
    db.session.flush()
    return _with_contracts(product)


def deactivate_product(principal: Principal, product_id: int) -> Product:
    """Delete means deactivate: products are never removed (orders refer to them)."""
    product = _lock_product(principal, product_id)
    policy.authorize(principal, "product.update", product)
    if product.active:
        product.active = False
        audit.record(principal, "product.deactivate", product, details={"sku": product.sku})
    db.session.flush()
    return _with_contracts(product)


# --- bulk imports ------------------------------------------------------------------


def start_import(principal: Principal, vendor_id: int, mode: str | None, payload: bytes, source_format: str) -> CatalogImport:
    """Accept an import (a CSV or JSON body): check its shape, store it and queue the
    job that applies it. Nothing is stored or queued when the shape is wrong."""
    vendor = policy.load(principal, Vendor, vendor_id, "catalog_import.create")
    text = parsing.text_of(payload)
    rows, body_mode = parsing.rows_from_payload(source_format, text)
    mode = body_mode or mode or "upsert"
    if mode not in ("upsert", "replace"):
        raise Invalid("mode must be upsert or replace", {"mode": ["must be upsert or replace"]})
    catalog_import = CatalogImport(
        vendor_id=vendor.id, mode=mode, source_format=source_format,
        payload=text,
        row_count=len(rows), errors=[], created_by=principal.label,
    )
    db.session.add(catalog_import)
    db.session.flush()
    catalog_job = enqueue("catalog.import", principal, import_id=catalog_import.id)
    catalog_import.job_id = catalog_job.id
    audit.record(principal, "catalog_import.create", catalog_import,
                 details={"mode": mode, "format": source_format, "rows": len(rows)})
    db.session.flush()
    return catalog_import


def get_import(principal: Principal, import_id: int) -> CatalogImport:
    return policy.load(principal, CatalogImport, import_id, "catalog_import.read")


def list_imports(principal: Principal, vendor_id: int, page: int, page_size: int) -> Paged:
    vendor = policy.load(principal, Vendor, vendor_id, "catalog_import.read")
    stmt = select(CatalogImport).where(CatalogImport.vendor_id == vendor.id).order_by(CatalogImport.id.desc())
    return paged(stmt, page, page_size)


_ROW_SCHEMA = ProductCreateSchema()


def _validate_rows(rows: list[dict]):
    """Each row on its own: (valid rows by SKU, errors, every SKU the file lists)."""
    valid: dict[str, tuple[int, dict]] = {}
    errors: list[dict] = []
    listed: set[str] = set()
    for raw in rows:
        row = dict(raw)
        line = row.pop("_line")
        shape_error = row.pop("_shape_error", None)
        sku = row.get("sku") if isinstance(row.get("sku"), str) else None
        if sku:
            listed.add(sku.strip())
        if shape_error:
            errors.append({"line": line, "sku": sku, "errors": {"_row": [shape_error]}})
            continue
        try:
            data = _ROW_SCHEMA.load(row)
        except ValidationError as exc:
            errors.append({"line": line, "sku": sku, "errors": exc.messages})
            continue
        except Exception:  # one unreadable row must not sink the others
            log.exception("catalog import row %s could not be read", line)
            errors.append({"line": line, "sku": sku, "errors": {"_row": ["this row could not be read"]}})
            continue
        if data["sku"] in valid:
            first = valid[data["sku"]][0]
            errors.append({"line": line, "sku": sku, "errors": {"sku": [f"duplicate SKU in this file (first on line {first})"]}})
            continue
        valid[data["sku"]] = (line, data)
    return valid, errors, listed


def mark_import_failed(import_id: int) -> None:
    db.session.execute(
        update(CatalogImport).where(CatalogImport.id == import_id, CatalogImport.status != "finished")
        .values(status="failed", finished_at=utcnow())
    )
    db.session.flush()


def apply_import(import_id: int) -> dict:
    """Apply an import in one transaction: create, update or leave each valid row,
    report each invalid one, and (replace mode) deactivate what the file no longer lists.

    Imports of one vendor run one at a time (the vendor row is locked), so two at once
    both finish and never create a SKU twice; running a finished import again does nothing."""
    db.session.execute(
        update(CatalogImport).where(CatalogImport.id == import_id, CatalogImport.status != "finished")
        .values(status="running")
    )
    commit_midway("show the import as running; the work below is one transaction")
    catalog_import = db.session.scalars(
        select(CatalogImport).where(CatalogImport.id == import_id).with_for_update(key_share=True)
    ).one()
    if catalog_import.status == "finished":
        return _counts(catalog_import)
    vendor_id = catalog_import.vendor_id
    db.session.execute(select(Vendor.id).where(Vendor.id == vendor_id).with_for_update(key_share=True))
    now = utcnow()
    changed_by = f"catalog import {import_id} ({catalog_import.created_by})"

    rows, _ = parsing.rows_from_payload(catalog_import.source_format, catalog_import.payload)
    valid, errors, listed = _validate_rows(rows)
    columns = [Product.__table__.c[name] for name in ("id", "sku", "clinical_marked_by_mso", *EDITABLE)]
    existing = {row.sku: row for row in db.session.execute(select(*columns).where(Product.vendor_id == vendor_id))}

    inserts, updates, price_changes, unchanged = [], [], [], 0
    for sku, (line, data) in valid.items():
        current = existing.get(sku)
        if current is None:
            inserts.append({**DEFAULTS, **data, "vendor_id": vendor_id, "created_at": now, "updated_at": now})
            continue
        merged = {field: data.get(field, getattr(current, field)) for field in EDITABLE}
        merged["active"] = data.get("active", True)  # listed again: active again
        if current.clinical_marked_by_mso and not merged["clinical"]:
            errors.append({"line": line, "sku": sku, "errors": {"clinical": [UNMARK_CLINICAL]}})
            continue
        if all(merged[f] == getattr(current, f) for f in EDITABLE):
            unchanged += 1
            continue
        updates.append({"_id": current.id, **merged, "updated_at": now})
        if merged["list_price"] != current.list_price:
            price_changes.append((current.id, merged["list_price"]))

    products, prices = Product.__table__, ProductPrice.__table__
    copy_rows(products, inserts)
    if updates:
        db.session.execute(
            update(products).where(products.c.id == bindparam("_id"))
            .values(version=products.c.version + 1),
            updates,
        )
    # Price history: close the current price of changed products, record the new prices
    # (and the first price of each new product).
    changed_ids = [product_id for product_id, _ in price_changes]
    for batch in _batches(changed_ids, 5000):
        db.session.execute(
            update(prices).where(prices.c.product_id.in_(batch), prices.c.effective_to.is_(None))
            .values(effective_to=now)
        )
    if inserts:
        new_skus = {row["sku"] for row in inserts}
        vendor_products = db.session.execute(
            select(products.c.id, products.c.sku, products.c.list_price).where(products.c.vendor_id == vendor_id)
        )
        price_changes += [(p.id, p.list_price) for p in vendor_products if p.sku in new_skus]
    copy_rows(prices, [
        {"product_id": product_id, "list_price": price, "effective_from": now, "changed_by": changed_by}
        for product_id, price in price_changes
    ])

    deactivated = 0
    if catalog_import.mode == "replace":
        gone = [row.id for sku, row in existing.items() if row.active and sku not in listed]
        for batch in _batches(gone, 1000):
            db.session.execute(
                update(products).where(products.c.id.in_(batch))
                .values(active=False, updated_at=now, version=products.c.version + 1)
            )
        deactivated = len(gone)

    errors.sort(key=lambda e: e["line"])
    catalog_import.created = len(inserts)
    catalog_import.updated = len(updates)
    catalog_import.unchanged = unchanged
    catalog_import.deactivated = deactivated
    catalog_import.failed = len(errors)
    catalog_import.errors = errors
    catalog_import.status = "finished"
    catalog_import.finished_at = now
    audit.record(SYSTEM, "catalog_import.apply", catalog_import, details=_counts(catalog_import))
    db.session.flush()
    return _counts(catalog_import)


def _counts(catalog_import: CatalogImport) -> dict:
    return {
        "created": catalog_import.created, "updated": catalog_import.updated,
        "unchanged": catalog_import.unchanged, "deactivated": catalog_import.deactivated,
        "failed": catalog_import.failed,
    }


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
