"""Quick order: the `SKU, quantity` lines a buyer pastes, read into lines to add (pure
functions: no Flask, no database). Every problem is named by its line number and SKU,
so the page can list them all at once."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINES = 500
MAX_QUANTITY = 1_000_000
_SEPARATOR = re.compile(r"\s*[,;\t]\s*")


@dataclass(frozen=True)
class QuickLine:
    number: int  # the line's number in the pasted text, from 1
    sku: str
    quantity: int


@dataclass(frozen=True)
class QuickProblem:
    number: int
    sku: str
    reason: str


@dataclass(frozen=True)
class ParsedQuickOrder:
    lines: list[QuickLine]
    problems: list[QuickProblem]


def parse_quick_order(text: str) -> ParsedQuickOrder:
    """`text` as lines of `SKU, quantity` (a comma, semicolon or tab between them;
    blank lines skipped). A line that cannot be read is a problem, never a guess."""
    lines: list[QuickLine] = []
    problems: list[QuickProblem] = []
    raw_lines = (text or "").splitlines()
    for number, raw in enumerate(raw_lines, start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        if len(lines) + len(problems) >= MAX_LINES:
            problems.append(QuickProblem(number, "", f"at most {MAX_LINES} lines at once"))
            break
        parts = _SEPARATOR.split(stripped)
        sku = parts[0].strip()
        if len(parts) != 2 or not sku:
            problems.append(QuickProblem(number, sku if len(parts) > 1 else stripped,
                                         "write one SKU and its quantity, separated by a comma"))
            continue
        quantity_text = parts[1].strip()
        if not quantity_text.isascii() or not quantity_text.isdigit():
            problems.append(QuickProblem(number, sku, f"quantity {quantity_text!r} is not a whole number"))
            continue
        quantity = int(quantity_text)
        if quantity < 1:
            problems.append(QuickProblem(number, sku, "quantity must be at least 1"))
        elif quantity > MAX_QUANTITY:
            problems.append(QuickProblem(number, sku, f"quantity must be at most {MAX_QUANTITY:,}"))
        else:
            lines.append(QuickLine(number, sku, quantity))
    if not lines and not problems:
        problems.append(QuickProblem(0, "", "paste at least one line: SKU, quantity"))
    return ParsedQuickOrder(lines, problems)
