"""Money: integer cents and Decimal unit prices, never float; half-up rounding, once,
at the last step (DOMAIN.md "Money")."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PRICE_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def unit_price_at_discount(list_price: Decimal, discount_percent: Decimal) -> Decimal:
    """list_price * (1 - discount/100), half-up to 4 places: 12.5% off 19.99 is 17.4913."""
    return round_half_up(list_price * (1 - discount_percent / HUNDRED), 4)


def line_cents(unit_price: Decimal, quantity: int) -> int:
    """round_half_up(unit_price * quantity * 100): a line's amount in cents."""
    return int(round_half_up(unit_price * quantity * HUNDRED))


def percent_of_cents(amount_cents: int, percent: Decimal) -> int:
    """round_half_up(amount_cents * percent / 100), e.g. a service or admin fee."""
    return int(round_half_up(Decimal(amount_cents) * percent / HUNDRED))
