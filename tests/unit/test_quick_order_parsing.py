"""Reading a pasted quick order (gpo/orders/cart_parsing.py): `SKU, quantity` lines."""
from __future__ import annotations

from gpo.orders.cart_parsing import MAX_LINES, QuickLine, QuickProblem, parse_quick_order


def test_lines_with_a_comma_semicolon_or_tab_blank_lines_skipped_numbers_kept():
    parsed = parse_quick_order("GLV, 20\n\n  MSK ;15  \r\nTBL\t1\n")
    assert parsed.problems == []
    assert parsed.lines == [QuickLine(1, "GLV", 20), QuickLine(3, "MSK", 15), QuickLine(4, "TBL", 1)]


def test_every_unreadable_line_is_a_problem_with_its_number_and_sku():
    parsed = parse_quick_order("GLV, 20\nMSK\nTBL, two\nX, 0\nY, -3\nZ, 1.5\n, 4\nA, 1, 2")
    assert parsed.lines == [QuickLine(1, "GLV", 20)]
    assert parsed.problems == [
        QuickProblem(2, "MSK", "write one SKU and its quantity, separated by a comma"),
        QuickProblem(3, "TBL", "quantity 'two' is not a whole number"),
        QuickProblem(4, "X", "quantity must be at least 1"),
        QuickProblem(5, "Y", "quantity '-3' is not a whole number"),
        QuickProblem(6, "Z", "quantity '1.5' is not a whole number"),
        QuickProblem(7, "", "write one SKU and its quantity, separated by a comma"),
        QuickProblem(8, "A", "write one SKU and its quantity, separated by a comma"),
    ]


def test_nothing_pasted_is_a_problem():
    for text in ("", "  \n\n", None):
        parsed = parse_quick_order(text)
        assert parsed.lines == [] and parsed.problems == [QuickProblem(0, "", "paste at least one line: SKU, quantity")]


def test_huge_quantities_and_too_many_lines_are_refused():
    assert parse_quick_order("GLV, 1000001").problems == [QuickProblem(1, "GLV", "quantity must be at most 1,000,000")]
    assert parse_quick_order("GLV, ٣").problems[0].reason == "quantity '٣' is not a whole number"  # ASCII digits only
    parsed = parse_quick_order("\n".join(f"S{i}, 1" for i in range(MAX_LINES + 5)))
    assert len(parsed.lines) == MAX_LINES
    assert parsed.problems == [QuickProblem(MAX_LINES + 1, "", f"at most {MAX_LINES} lines at once")]
