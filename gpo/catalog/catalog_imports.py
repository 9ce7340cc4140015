"""Use cases of bulk catalog imports: a vendor sends a file (JSON or CSV), which is
checked for shape and stored; a background job (IMPORT_RUN) validates each row, plans
the import (gpo.catalog.importing) and writes the plan set-based."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import bindparam, select, update

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.catalog import importing, parsing
from gpo.catalog.models import CatalogImport, Product, ProductPrice
from gpo.catalog.schemas import ProductCreateSchema
from gpo.db import Paged, commit_midway, copy_rows, db, paged, utcnow
from gpo.errors import Forbidden, Invalid, NotFound
from gpo.jobs import Job, RunLifecycle, get_job
from gpo.notifications import outbox

log = logging.getLogger("gpo.catalog")


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
    IMPORT_RUN.start(principal, catalog_import)
    audit.record(principal, "catalog_import.create", catalog_import,
                 details={"mode": mode, "format": source_format, "rows": len(rows)})
    db.session.flush()
    return catalog_import


def start_upload(principal: Principal, vendor_id: int, mode: str | None, filename: str, mimetype: str,
                 payload: bytes) -> CatalogImport:
    """An import from a file a vendor uploaded on a page: its name or type says CSV or
    JSON (415 otherwise), an empty file is refused (422); then as `start_import`."""
    source_format = parsing.format_of_file(filename, mimetype)
    if not payload.strip():
        raise Invalid("the file is empty", {"file": ["the file is empty"]})
    return start_import(principal, vendor_id, mode, payload, source_format)


def get_import(principal: Principal, import_id: int) -> CatalogImport:
    return policy.load(principal, CatalogImport, import_id, "catalog_import.read")


def list_imports(principal: Principal, vendor_id: int, page: int, page_size: int) -> Paged:
    vendor = policy.load(principal, Vendor, vendor_id, "catalog_import.read")
    stmt = select(CatalogImport).where(CatalogImport.vendor_id == vendor.id).order_by(CatalogImport.id.desc())
    return paged(stmt, page, page_size)


@dataclass(frozen=True)
class ImportReport:
    """An import as its page shows it: the import, its job (None when there is none or
    the principal may not read it), and one page of its error report."""

    catalog_import: CatalogImport
    job: Job | None
    errors: list[dict]
    error_total: int


def import_report(principal: Principal, import_id: int, page: int = 1, page_size: int = 50) -> ImportReport:
    """An import, its job and a page of its error report (`error_report_rows`)."""
    catalog_import = get_import(principal, import_id)
    job = None
    if catalog_import.job_id is not None:
        try:
            job = get_job(principal, catalog_import.job_id)
        except (Forbidden, NotFound):
            job = None  # someone else's job: the import's own status still says where it is
    rows = error_report_rows(catalog_import.errors or [])
    start = (page - 1) * page_size
    return ImportReport(catalog_import, job, rows[start:start + page_size], len(rows))


WHOLE_ROW = "(whole row)"


def error_report_rows(errors: list[dict]) -> list[dict]:
    """An import's errors as the report lists them: one row per rejected field, in file
    order: {row (the CSV line, or the JSON product's 1-based position), sku, field,
    message}. A problem with the row itself (a short row) names the field WHOLE_ROW."""
    rows = []
    for error in errors:
        for field, message in _messages(error.get("errors") or {}):
            rows.append({"row": error.get("line"), "sku": error.get("sku") or "",
                         "field": WHOLE_ROW if field in ("_row", "_schema") else field, "message": message})
    return rows


def _messages(messages, prefix: str = ""):
    """marshmallow's messages {field: [text, ...]} (maybe nested) as (field, text) pairs."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _messages(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        yield prefix or WHOLE_ROW, " ".join(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            yield from _messages(value, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or WHOLE_ROW, str(messages)


def error_report(principal: Principal, import_id: int) -> tuple[CatalogImport, list[dict]]:
    """An import and its whole error report (the CSV download)."""
    catalog_import = get_import(principal, import_id)
    return catalog_import, error_report_rows(catalog_import.errors or [])


def recent_imports_with_errors(principal: Principal, days: int = 14, limit: int = 3) -> list:
    """The vendor's imports that finished in the last `days` with rejected rows, newest
    first (id, failed): for the portal's "Waiting for you". One query."""
    policy.authorize(principal, "catalog_import.read")
    since = utcnow() - dt.timedelta(days=days)
    return db.session.execute(
        select(CatalogImport.id, CatalogImport.failed)
        .where(CatalogImport.vendor_id == principal.organization_id, CatalogImport.status == "finished",
               CatalogImport.failed > 0, CatalogImport.finished_at >= since)
        .order_by(CatalogImport.id.desc()).limit(limit)
    ).all()


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


def mark_import_failed(catalog_import: CatalogImport) -> None:
    """The import's job failed for good: the import says so (nothing of it was applied)."""
    catalog_import.status = "failed"
    catalog_import.finished_at = utcnow()
    db.session.flush()
    _tell_vendor(catalog_import)


def run_import(catalog_import: CatalogImport) -> dict:
    """The import job's work (IMPORT_RUN): show the import as running, then apply it."""
    catalog_import.status = "running"
    commit_midway("show the import as running; the work below is one transaction")
    return apply_import(catalog_import.id)


def apply_import(import_id: int) -> dict:
    """Apply an import in one transaction: create, update or leave each valid row,
    report each invalid one, and (replace mode) deactivate what the file no longer lists.

    Imports of one vendor run one at a time (the vendor row is locked), so two at once
    both finish and never create a SKU twice; running a finished import again does nothing."""
    catalog_import = db.session.scalars(
        select(CatalogImport).where(CatalogImport.id == import_id).with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one()
    if catalog_import.status == "finished":
        return import_counts(catalog_import)
    vendor_id = catalog_import.vendor_id
    db.session.execute(select(Vendor.id).where(Vendor.id == vendor_id).with_for_update(key_share=True))
    rows, _ = parsing.rows_from_payload(catalog_import.source_format, catalog_import.payload)
    valid, errors, listed = _validate_rows(rows)
    plan = importing.plan_import(valid, listed, _vendor_products(vendor_id), catalog_import.mode, errors)
    now = utcnow()
    _write_plan(plan, vendor_id, now, changed_by=f"catalog import {import_id} ({catalog_import.created_by})")
    counts = plan.counts()
    for name, count in counts.items():
        setattr(catalog_import, name, count)
    catalog_import.errors = plan.errors
    catalog_import.status = "finished"
    catalog_import.finished_at = now
    audit.record(SYSTEM, "catalog_import.apply", catalog_import, details=import_counts(catalog_import))
    db.session.flush()
    _tell_vendor(catalog_import)
    return import_counts(catalog_import)


def _tell_vendor(catalog_import: CatalogImport) -> None:
    """catalog_import.completed, once the import has ended: status `finished` (rows with
    errors are in `counts.failed`, their report at the import) or `failed` (its job
    failed for good: nothing of it was applied)."""
    vendor = db.session.get(Vendor, catalog_import.vendor_id).name
    counts = import_counts(catalog_import)
    if catalog_import.status == "finished":
        bad = counts["failed"]
        how = (f"finished: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged, "
               f"{counts['deactivated']} deactivated"
               + (f"; {bad} row{'' if bad == 1 else 's'} with errors (see the error report)" if bad else ""))
    else:
        how = "failed: nothing of it was applied"
    outbox.emit(
        "catalog_import.completed", catalog_import, vendor_id=catalog_import.vendor_id,
        summary=(f"Catalog import {catalog_import.id} of {vendor} ({catalog_import.row_count} "
                 f"row{'' if catalog_import.row_count == 1 else 's'}) {how}"),
        data={"catalog_import_id": catalog_import.id, "status": catalog_import.status, "mode": catalog_import.mode,
              "row_count": catalog_import.row_count, "counts": counts})


def _vendor_products(vendor_id: int) -> dict:
    """The vendor's products by SKU, as rows of the columns an import compares."""
    columns = [Product.__table__.c[name] for name in ("id", "sku", "clinical_marked_by_mso", *importing.EDITABLE)]
    return {row.sku: row for row in db.session.execute(select(*columns).where(Product.vendor_id == vendor_id))}


def _write_plan(plan: importing.ImportPlan, vendor_id: int, now, changed_by: str) -> None:
    """The plan's writes, set-based: new products (COPY), updates (one executemany),
    the price history, and the deactivations."""
    products = Product.__table__
    copy_rows(products, [{**fields, "vendor_id": vendor_id, "created_at": now, "updated_at": now}
                         for fields in plan.creates])
    if plan.updates:
        db.session.execute(
            update(products).where(products.c.id == bindparam("_id"))
            .values(version=products.c.version + 1),
            [{"_id": change.product_id, **change.values, "updated_at": now} for change in plan.updates],
        )
    _write_prices(plan, vendor_id, now, changed_by)
    for batch in _batches(plan.deactivate, 1000):
        db.session.execute(
            update(products).where(products.c.id.in_(batch))
            .values(active=False, updated_at=now, version=products.c.version + 1)
        )


def _write_prices(plan: importing.ImportPlan, vendor_id: int, now, changed_by: str) -> None:
    """Price history: close the current price of changed products, record the new prices
    (and the first price of each new product)."""
    products, prices = Product.__table__, ProductPrice.__table__
    price_changes = list(plan.price_changes)
    for batch in _batches([product_id for product_id, _ in price_changes], 5000):
        db.session.execute(
            update(prices).where(prices.c.product_id.in_(batch), prices.c.effective_to.is_(None))
            .values(effective_to=now)
        )
    if plan.creates:
        new_skus = {fields["sku"] for fields in plan.creates}
        vendor_products = db.session.execute(
            select(products.c.id, products.c.sku, products.c.list_price).where(products.c.vendor_id == vendor_id)
        )
        price_changes += [(p.id, p.list_price) for p in vendor_products if p.sku in new_skus]
    copy_rows(prices, [
        {"product_id": product_id, "list_price": price, "effective_from": now, "changed_by": changed_by}
        for product_id, price in price_changes
    ])


def import_counts(catalog_import: CatalogImport) -> dict:
    """An import's report, as its job returns it."""
    return {
        "created": catalog_import.created, "updated": catalog_import.updated,
        "unchanged": catalog_import.unchanged, "deactivated": catalog_import.deactivated,
        "failed": catalog_import.failed,
    }


IMPORT_RUN = RunLifecycle(
    kind="catalog.import", model=CatalogImport, id_arg="import_id",
    waiting="queued", running=("running",), done="finished", failed="failed", summary=import_counts,
)


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
