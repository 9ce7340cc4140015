"""Rules of ordering (pure functions)."""
from __future__ import annotations


def quantity_errors(quantity: int, min_order_quantity: int, order_multiple: int) -> list[str]:
    errors = []
    if quantity <= 0:
        errors.append("quantity must be at least 1")
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
