"""Rules of ordering (pure functions)."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from gpo.contracts.tiers import Tier, price_at
from gpo.money import line_cents

MAX_LINE_QUANTITY = 1_000_000  # the most one line may order (the schemas' limit too)


def quantity_errors(quantity: int, min_order_quantity: int, order_multiple: int) -> list[str]:
    errors = []
    if quantity <= 0:
        errors.append("quantity must be at least 1")
    elif quantity > MAX_LINE_QUANTITY:
        errors.append(f"at most {MAX_LINE_QUANTITY:,} on one line")
    elif quantity < min_order_quantity:
        errors.append(f"the minimum order quantity is {min_order_quantity}")
    if quantity > 0 and quantity % order_multiple:
        errors.append(f"quantity must be a multiple of {order_multiple}")
    return errors


def status_when_submitted(has_clinical_lines: bool, approved: bool) -> str:
    """CPOM: an order with clinical lines waits for a physician of the practice."""
    if has_clinical_lines and not approved:
        return "awaiting_approval"
    return "confirmed"


def savings_at_next_tier(current: Tier, following: Tier, lines: Iterable[tuple[int, Decimal, int, int]]) -> int:
    """What the confirmed lines would save at the next tier: each line's cents at the
    current tier minus at the next, rounded half-up per line. `lines` are (product id,
    list price, quantity, how many lines have exactly these)."""
    savings = 0
    for product_id, list_price, quantity, count in lines:
        now_cents = line_cents(price_at(current, product_id, list_price), quantity)
        next_cents = line_cents(price_at(following, product_id, list_price), quantity)
        savings += (now_cents - next_cents) * count
    return savings
