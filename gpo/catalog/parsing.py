"""Turning an import body (JSON or CSV) into rows, before anything is queued.

Only the shape is checked here (UTF-8, header, a list of objects, the row limit);
each row's fields are validated by the import job, row by row.
"""
from __future__ import annotations

import csv
import io
import json

from gpo.errors import DomainError, Invalid

MAX_ROWS = 100_000
CSV_REQUIRED = ("sku", "name", "category", "list_price")
CSV_OPTIONAL = (
    "description", "manufacturer", "manufacturer_part_number", "gtin", "unit_of_measure",
    "clinical", "min_order_quantity", "order_multiple", "active",
)
CSV_HEADER_DOC = ",".join(CSV_REQUIRED + CSV_OPTIONAL)


def format_of_file(filename: str, mimetype: str) -> str:
    """"csv" or "json" for an uploaded file, by its name's ending or else its type; 415
    for anything else."""
    ending = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if ending in ("csv", "json"):
        return ending
    if not ending and mimetype in ("text/csv", "application/json"):
        return "csv" if mimetype == "text/csv" else "json"
    shown = f"the file {filename}" if filename else "the file"
    raise DomainError(f"{shown} is not a CSV (.csv) or JSON (.json) file", status_code=415,
                      errors={"file": ["choose a .csv or .json file"]})


def too_many_rows(count: int) -> DomainError:
    return DomainError(f"an import holds at most {MAX_ROWS:,} rows; this one has {count:,}", status_code=413)


def text_of(payload: bytes) -> str:
    """The body as text: UTF-8, with or without a byte order mark."""
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the body is not UTF-8 (byte {exc.start} cannot be decoded)") from None


def rows_from_payload(source_format: str, text: str) -> tuple[list[dict], str | None]:
    """(rows, the JSON body's mode or None) of a CSV or JSON body."""
    if source_format == "csv":
        return rows_from_csv(text), None
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise Invalid("the body is not valid JSON") from None
    mode = body.get("mode") if isinstance(body, dict) else None
    return rows_from_json(body), mode


def rows_from_json(body) -> list[dict]:
    """`{"mode": ..., "products": [{...}, ...]}` -> rows with their line (1-based index)."""
    if not isinstance(body, dict) or not isinstance(body.get("products"), list):
        raise Invalid('the body must be {"mode": "upsert" or "replace", "products": [ {...}, ... ]}')
    products = body["products"]
    unknown = set(body) - {"mode", "products"}
    if unknown:
        raise Invalid(f"unknown fields: {', '.join(sorted(unknown))}")
    not_objects = [i + 1 for i, row in enumerate(products) if not isinstance(row, dict)]
    if not_objects:
        raise Invalid(
            "products must be a list of objects", {"products": {str(i): ["not an object"] for i in not_objects[:100]}}
        )
    if not products:
        raise Invalid("the import holds no products")
    if len(products) > MAX_ROWS:
        raise too_many_rows(len(products))
    return [{**row, "_line": i + 1} for i, row in enumerate(products)]


def rows_from_csv(data: bytes | str) -> list[dict]:
    """CSV with a header row (UTF-8, with or without BOM, quoted fields allowed) -> rows
    whose `_line` is the file's line number. Empty cells of optional columns are omitted."""
    text = text_of(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if not text.strip():
        raise Invalid("the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as exc:
        raise Invalid(f"the CSV cannot be read: {exc}") from None
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or duplicated:
        problems = {}
        if missing:
            problems["missing"] = missing
        if unknown:
            problems["unknown"] = unknown
        if duplicated:
            problems["duplicated"] = duplicated
        raise Invalid(f"the CSV header must name the columns {CSV_HEADER_DOC} (the first four required)",
                      {"header": problems})
    rows = []
    try:
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(_csv_row(header, cells, line))
                if len(rows) > MAX_ROWS:
                    raise too_many_rows(len(rows))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise Invalid(f"the CSV cannot be read near line {reader.line_num}: {exc}") from None
    if not rows:
        raise Invalid("the file has a header but no products")
    return rows


def _csv_row(header: list[str], cells: list[str], line: int) -> dict:
    row: dict = {"_line": line}
    if len(cells) != len(header):
        row["_shape_error"] = f"expected {len(header)} cells, found {len(cells)}"
    for name, value in zip(header, cells, strict=False):  # a short or long row is reported as _shape_error
        value = value.strip()
        if value == "" and name in CSV_OPTIONAL:
            continue  # empty optional cell: the default, or the current value on update
        row[name] = value
    return row
