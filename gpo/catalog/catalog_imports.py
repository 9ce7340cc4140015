"""Use cases of bulk catalog imports: a vendor sends a file (JSON or CSV), which is
checked for shape and stored; a background job (IMPORT_RUN) reads it in batches,
validates each row (gpo.catalog.import_rows), plans each batch (gpo.catalog.importing)
and writes the plan set-based, all in one transaction."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Iterator

from sqlalchemy import (
    String,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    column,
    func,
    insert,
    literal,
    select,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import SYSTEM, Principal
from gpo.catalog import import_rows, importing, parsing
from gpo.catalog.models import CatalogImport, CatalogImportPart, Product, ProductPrice
from gpo.db import Paged, UTCDateTime, commit_midway, copy_rows, db, is_postgresql, paged, utcnow
from gpo.errors import Forbidden, Invalid, NotFound
from gpo.jobs import Job, RunLifecycle, get_job
from gpo.notifications import outbox

log = logging.getLogger("gpo.catalog")


def start_import(principal: Principal, vendor_id: int, mode: str | None, payload: bytes, source_format: str) -> CatalogImport:
    """Accept an import (a CSV or JSON body): check its shape, store it and queue the
    job that applies it. Nothing is stored or queued when the shape is wrong.

    The body is decoded part by part, once to check it is UTF-8, once for its shape and
    once to store it: a few megabytes of text at a time, never a copy of the whole file."""
    vendor = policy.load(principal, Vendor, vendor_id, "catalog_import.create")
    for _ in parsing.text_parts(payload):
        pass  # not UTF-8: refused before anything else is said of the body
    row_count, body_mode = parsing.check_payload(source_format, parsing.text_parts(payload))
    mode = body_mode or mode or "upsert"
    if mode not in ("upsert", "replace"):
        raise Invalid("mode must be upsert or replace", {"mode": ["must be upsert or replace"]})
    catalog_import = CatalogImport(
        vendor_id=vendor.id, mode=mode, source_format=source_format,
        row_count=row_count, errors=[], created_by=principal.label,
    )
    db.session.add(catalog_import)
    db.session.flush()
    parts = CatalogImportPart.__table__
    for number, text in enumerate(parsing.text_parts(payload)):
        db.session.execute(insert(parts).values(catalog_import_id=catalog_import.id, part=number, text=text))
    IMPORT_RUN.start(principal, catalog_import)
    audit.record(principal, "catalog_import.create", catalog_import,
                 details={"mode": mode, "format": source_format, "rows": row_count})
    db.session.flush()
    return catalog_import


def stored_parts(import_id: int) -> Iterator[str]:
    """An import's body as stored, part by part (one query each: one part in memory)."""
    parts = CatalogImportPart.__table__
    for number in itertools.count():
        text = db.session.scalar(select(parts.c.text).where(parts.c.catalog_import_id == import_id,
                                                            parts.c.part == number))
        if text is None:
            return
        yield text


def start_upload(principal: Principal, vendor_id: int, mode: str | None, filename: str, mimetype: str,
                 payload: bytes) -> CatalogImport:
    """An import from a file a vendor uploaded on a page: its name or type says CSV or
    JSON (415 otherwise), an empty file is refused (422); then as `start_import`."""
    source_format = parsing.format_of_file(filename, mimetype)
    if not payload or payload.isspace():  # (not payload.strip(): a copy of the whole file)
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


def _validate_rows(rows: list[dict], lines: list[int], digests: list[str | None], known: set[tuple[str, str]],
                   first_lines: dict[str, int]):
    """Each row of a batch on its own: (valid rows by SKU, errors, every SKU the batch
    lists, how many rows are known unchanged). A row whose (SKU, file row digest) is in
    `known` is unchanged: its product stores that digest at its current version, so the
    same row was checked and applied before. `first_lines` holds the line of each valid
    SKU of the batches before (and gets this batch's): a later row with the same SKU is a
    duplicate."""
    valid: dict[str, importing.ValidRow] = {}
    errors: list[dict] = []
    listed: set[str] = set()
    unchanged = 0
    for row, line, digest in zip(rows, lines, digests, strict=True):  # each row a dict of its own: popped in place
        shape_error = row.pop("_shape_error", None)
        sku = row.get("sku") if isinstance(row.get("sku"), str) else None
        if sku:
            listed.add(sku.strip())
        if shape_error:
            errors.append({"line": line, "sku": sku, "errors": {"_row": [shape_error]}})
            continue
        known_unchanged = (sku, digest) in known
        if known_unchanged:
            data, messages = {"sku": sku}, {}  # valid: it was, and the rules are pure
        else:
            try:
                data, messages = import_rows.load_row(row)
            except Exception:  # one unreadable row must not sink the others
                log.exception("catalog import row %s could not be read", line)
                data, messages = None, {"_row": ["this row could not be read"]}
        if messages:
            errors.append({"line": line, "sku": sku, "errors": messages})
            continue
        first = first_lines.get(data["sku"])
        if first is not None:
            errors.append({"line": line, "sku": sku, "errors": {"sku": [f"duplicate SKU in this file (first on line {first})"]}})
            continue
        first_lines[data["sku"]] = line
        if known_unchanged:
            unchanged += 1
        else:
            valid[data["sku"]] = importing.valid_row(line, data, digest)
    return valid, errors, listed, unchanged


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


# Rows read, checked and written at a time: memory stays flat however big the file.
BATCH_ROWS = 2000


@dataclass
class _ImportRun:
    """An import being applied, as its batches add up: its report's counts, the first
    line of each valid SKU (a later row with the same SKU is a duplicate), every SKU the
    file lists (replace mode), and the rejected rows, each as JSON text."""

    vendor_id: int
    replace: bool
    now: dt.datetime
    changed_by: str
    counts: Counter = dataclass_field(default_factory=Counter)
    first_lines: dict[str, int] = dataclass_field(default_factory=dict)
    listed: set[str] = dataclass_field(default_factory=set)
    errors: list[str] = dataclass_field(default_factory=list)


def apply_import(import_id: int) -> dict:
    """Apply an import in one transaction: create, update or leave each valid row,
    report each invalid one, and (replace mode) deactivate what the file no longer lists.
    The file is read once, BATCH_ROWS rows at a time, each batch planned and written
    set-based; nothing of it is visible to others before the transaction commits.

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
    run = _ImportRun(vendor_id, catalog_import.mode == "replace", utcnow(),
                     changed_by=f"catalog import {import_id} ({catalog_import.created_by})")
    for rows in parsing.row_batches(catalog_import.source_format, stored_parts(import_id), BATCH_ROWS):
        _apply_batch(run, rows)
    run.counts["deactivated"] = _deactivate_unlisted(run) if run.replace else 0
    for name in ("created", "updated", "unchanged", "deactivated", "failed"):
        setattr(catalog_import, name, run.counts[name])
    catalog_import.status = "finished"
    catalog_import.finished_at = run.now
    _store_errors(catalog_import, run.errors)
    audit.record(SYSTEM, "catalog_import.apply", catalog_import, details=import_counts(catalog_import))
    db.session.flush()
    _tell_vendor(catalog_import)
    return import_counts(catalog_import)


def _apply_batch(run: _ImportRun, rows: list[dict]) -> None:
    """One batch: find in one query the rows known unchanged by their product's stored
    hash, check the others, read the products they may change (one query), plan those
    rows and write the plan."""
    lines = [row.pop("_line") for row in rows]
    digests = [None if "_shape_error" in row else importing.file_row_digest(row) for row in rows]
    known = _known_unchanged(run.vendor_id, rows, digests)
    valid, errors, listed, unchanged = _validate_rows(rows, lines, digests, known, run.first_lines)
    if run.replace:
        run.listed |= listed
    plan = importing.plan_batch(valid, _existing_products(run.vendor_id, list(valid)), errors)
    _write_plan(plan, run)
    run.counts.update(plan.counts())
    run.counts["unchanged"] += unchanged
    run.errors.extend(json.dumps(error) for error in plan.errors)


# What plan_batch reads of a product.
_PLAN_COLUMNS = ("id", "version", "row_hash", "clinical_marked_by_mso", *importing.EDITABLE)


def _known_unchanged(vendor_id: int, rows: list[dict], digests: list[str | None]) -> set[tuple[str, str]]:
    """The (SKU, digest) pairs of the batch's rows whose product stores that digest at
    its current version (importing.stored_hash, written here in SQL). A product the MSO
    marked clinical is never among them: plan_batch checks the row does not unmark it."""
    pairs = {(row["sku"], digest) for row, digest in zip(rows, digests, strict=True)
             if digest is not None and isinstance(row.get("sku"), str)}
    if not pairs:
        return set()
    skus, batch_digests = zip(*pairs, strict=True)
    batch = _batch_table(list(skus), list(batch_digests))
    products = Product.__table__
    found = db.session.execute(
        select(batch.c.sku, batch.c.digest)
        .select_from(batch.join(products, and_(products.c.vendor_id == vendor_id, products.c.sku == batch.c.sku)))
        .where(products.c.row_hash == batch.c.digest + ":" + cast(products.c.version, String()),
               ~products.c.clinical_marked_by_mso)
    )
    return {(sku, digest) for sku, digest in found}  # plain tuples: a set of Rows compares them slowly


def _existing_products(vendor_id: int, skus: list[str]) -> dict:
    """The vendor's products among these SKUs (what plan_batch compares), by SKU."""
    if not skus:
        return {}
    products = Product.__table__
    existing = db.session.execute(
        select(products.c.sku, *(products.c[name] for name in _PLAN_COLUMNS))
        .where(products.c.vendor_id == vendor_id, _among(products.c.sku, skus)))
    return {product.sku: product for product in existing}


def _batch_table(skus: list[str], digests: list[str]):
    """A batch's (sku, digest) pairs as a table to join: on PostgreSQL unnest() of two
    arrays (two parameters, whatever the batch's size); elsewhere VALUES, named by a CTE
    (SQLite names no columns of a VALUES in FROM)."""
    if is_postgresql():
        return func.unnest(literal(skus, ARRAY(String())), literal(digests, ARRAY(String()))) \
            .table_valued("sku", "digest").render_derived(name="batch")
    pairs = list(zip(skus, digests, strict=True))
    return values(column("sku", String()), column("digest", String()), name="pairs").data(pairs).cte("batch")


def _among(column, values: list):
    """`column IN values`; on PostgreSQL `= ANY(array)`: one parameter, not thousands."""
    if is_postgresql():
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def _deactivate_unlisted(run: _ImportRun) -> int:
    """Replace mode: deactivate the vendor's active products the file does not list."""
    products = Product.__table__
    active = db.session.execute(
        select(products.c.id, products.c.sku).where(products.c.vendor_id == run.vendor_id, products.c.active)
        .execution_options(yield_per=5000)
    )
    unlisted = importing.deactivations(active, run.listed)
    for batch in _batches(unlisted, 1000):
        db.session.execute(
            update(products).where(_among(products.c.id, batch))
            .values(active=False, updated_at=run.now, version=products.c.version + 1)
        )
    return len(unlisted)


def _store_errors(catalog_import: CatalogImport, errors: list[str]) -> None:
    """The error report, written as the JSON text the batches made: up to 100,000 rows
    never held as objects at once."""
    value = bindparam("errors", "[" + ",".join(errors) + "]", type_=Text())
    if is_postgresql():
        value = cast(value, JSONB)
    imports = CatalogImport.__table__
    db.session.execute(update(imports).where(imports.c.id == catalog_import.id).values(errors=value))
    db.session.expire(catalog_import, ["errors"])


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


def _write_plan(plan: importing.ImportPlan, run: _ImportRun) -> None:
    """A batch's writes, set-based: new products (COPY) and their first prices, updates
    (one executemany), the price history of updated prices, and the row hashes of
    products found unchanged field by field."""
    products = Product.__table__
    copy_rows(products, [{**fields, "vendor_id": run.vendor_id, "version": 1, "created_at": run.now,
                          "updated_at": run.now} for fields in plan.creates])
    if plan.creates:
        db.session.execute(insert(ProductPrice.__table__).from_select(
            ["product_id", "list_price", "effective_from", "changed_by"],
            select(products.c.id, products.c.list_price, literal(run.now, UTCDateTime()), literal(run.changed_by))
            .where(products.c.vendor_id == run.vendor_id, _among(products.c.sku, [f["sku"] for f in plan.creates])),
        ))
    if plan.updates:
        db.session.execute(
            update(products).where(products.c.id == bindparam("_id"))
            .values(version=products.c.version + 1),
            [{"_id": change.product_id, **change.values, "row_hash": change.row_hash, "updated_at": run.now}
             for change in plan.updates],
        )
    _write_prices(plan.price_changes, run)
    if plan.rehash:
        db.session.execute(
            # Bookkeeping, not a change: the product's updated_at stays.
            update(products).where(products.c.id == bindparam("_id"))
            .values(row_hash=bindparam("_hash"), updated_at=products.c.updated_at),
            [{"_id": product_id, "_hash": stored} for product_id, stored in plan.rehash],
        )


def _write_prices(price_changes: list[tuple[int, Decimal]], run: _ImportRun) -> None:
    """Price history of updated products: close their current price, record the new one."""
    if not price_changes:
        return
    prices = ProductPrice.__table__
    db.session.execute(
        update(prices).where(_among(prices.c.product_id, [product_id for product_id, _ in price_changes]),
                             prices.c.effective_to.is_(None))
        .values(effective_to=run.now)
    )
    copy_rows(prices, [
        {"product_id": product_id, "list_price": price, "effective_from": run.now, "changed_by": run.changed_by}
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
