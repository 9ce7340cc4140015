"""Turning an import body (JSON or CSV) into rows.

The body is text in parts (`text_parts`: about PART_SIZE bytes each, as it is stored).
When an import is accepted, `check_payload` checks only the shape (UTF-8, header, a list
of objects, the row limit) and counts the rows, holding none of them; the import job
reads the rows once, in batches (`row_batches`), and validates each row's fields. A CSV
is never held whole; a JSON body is (json.loads reads a whole document).
"""
from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
from typing import Iterable, Iterator

from gpo.errors import DomainError, Invalid

MAX_ROWS = 100_000
CSV_REQUIRED = ("sku", "name", "category", "list_price")
CSV_OPTIONAL = (
    "description", "manufacturer", "manufacturer_part_number", "gtin", "unit_of_measure",
    "clinical", "min_order_quantity", "order_multiple", "active",
)
CSV_HEADER_DOC = ",".join(CSV_REQUIRED + CSV_OPTIONAL)
# A line and its ending (\r\n, \r or \n), as io.StringIO(text, newline="") splits them,
# without that copy of the whole text four bytes a character.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


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


# The body is read and stored in parts of about this many bytes (characters once stored):
# neither the database driver's buffers nor the job ever hold the whole file.
PART_SIZE = 1_000_000


def text_parts(payload: bytes, size: int | None = None) -> Iterator[str]:
    """The body as text, in parts of about `size` (PART_SIZE) bytes cut between
    characters: UTF-8, with or without a byte order mark; Invalid (422) at the first byte
    that is not."""
    size = size or PART_SIZE
    skip = len(codecs.BOM_UTF8) if payload.startswith(codecs.BOM_UTF8) else 0
    start = skip
    while start < len(payload):
        end = min(start + size, len(payload))
        for _ in range(3):  # back to the start of a character (UTF-8: at most 3 continuation bytes)
            if end > start + 1 and end < len(payload) and payload[end] & 0xC0 == 0x80:
                end -= 1
        while end < len(payload) and payload[end] & 0xC0 == 0x80 and end - start < 4:
            end += 1  # a part smaller than its first character holds that character whole
        try:
            yield payload[start:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid(f"the body is not UTF-8 (byte {start - skip + exc.start} cannot be decoded)") from None
        start = end


def check_payload(source_format: str, parts: Iterable[str]) -> tuple[int, str | None]:
    """(how many rows, the JSON body's mode or None) of a CSV or JSON body whose shape is
    right; Invalid (422) or 413 otherwise."""
    if source_format == "csv":
        _, records = _csv_records(parts)
        return sum(1 for _ in records), None
    body = _json_body("".join(parts))
    return len(_json_products(body)), body.get("mode")


def row_batches(source_format: str, parts: Iterable[str], size: int) -> Iterator[list[dict]]:
    """The body's rows, `size` at a time, in file order (see `csv_rows`, `json_rows`)."""
    rows = csv_rows(parts) if source_format == "csv" else json_rows(_json_body("".join(parts)))
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _json_body(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Invalid("the body is not valid JSON") from None


def _json_products(body) -> list:
    """`{"mode": ..., "products": [{...}, ...]}`: its products, once the shape is right."""
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
    return products


def json_rows(body) -> Iterator[dict]:
    """A JSON body's rows with their line (the product's 1-based position)."""
    return ({**row, "_line": i + 1} for i, row in enumerate(_json_products(body)))


def csv_rows(data: bytes | str | Iterable[str]) -> Iterator[dict]:
    """CSV with a header row (UTF-8, with or without BOM, quoted fields allowed; bytes, a
    text or its parts) -> rows whose `_line` is the file's line number. Empty cells of
    optional columns are omitted. A bad header is refused (Invalid) before the first
    row; a CSV error or one row too many (413) when it is read."""
    if isinstance(data, bytes):
        data = text_parts(data)
    elif isinstance(data, str):
        data = [data.removeprefix("\ufeff")]
    header, records = _csv_records(data)
    return (_csv_row(header, cells, line) for line, cells in records)


def _csv_records(parts: Iterable[str]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """(the header, its (line, cells) of every row with a non-blank cell). The header is
    checked at once; the rows as they are read."""
    parts = iter(parts)
    leading = []  # the parts up to the first that is not all spaces
    for part in parts:
        leading.append(part)
        if part and not part.isspace():
            break
    else:
        raise Invalid("the file is empty")
    reader = csv.reader(_lines(itertools.chain(leading, parts)))
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as exc:
        raise Invalid(f"the CSV cannot be read: {exc}") from None
    _check_header(header)
    return header, _records(reader)


def _lines(parts: Iterable[str]) -> Iterator[str]:
    """The lines of a text given in parts, each with its ending, as io.StringIO(text,
    newline="") gives them: a line cut by a part's end is joined to its rest."""
    tail = ""
    for part in parts:
        text = tail + part if tail else part
        # After the last ending known whole: a final \r may be the start of \r\n.
        cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
        for match in _LINE.finditer(text, 0, cut):
            yield match.group()
        tail = text[cut:]
    for match in _LINE.finditer(tail):
        yield match.group()


def _check_header(header: list[str]) -> None:
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


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    count = 0
    try:
        line = reader.line_num + 1
        for cells in reader:
            if cells and (cells[0].strip() or any(cell.strip() for cell in cells)):
                count += 1
                if count > MAX_ROWS:
                    raise too_many_rows(count)
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise Invalid(f"the CSV cannot be read near line {reader.line_num}: {exc}") from None
    if not count:
        raise Invalid("the file has a header but no products")


def _csv_row(header: list[str], cells: list[str], line: int) -> dict:
    values = list(map(str.strip, cells))
    row = dict(zip(header, values, strict=False))  # a short or long row is reported as _shape_error
    if "" in values:
        for name in CSV_OPTIONAL:  # an empty optional cell: the default, or the current value on update
            if row.get(name) == "":
                del row[name]
    row["_line"] = line
    if len(cells) != len(header):
        row["_shape_error"] = f"expected {len(header)} cells, found {len(cells)}"
    return row
