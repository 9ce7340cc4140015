"""Money: integer cents and Decimal unit prices, never float; half-up rounding, once,
at the last step (DOMAIN.md "Money")."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

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


def allocate(total_cents: int, weights: Sequence[int | Decimal], keys: Sequence) -> list[int]:
    """Split `total_cents` among parties by `weights`, largest remainder (DOMAIN.md "Money"):
    each gets floor(total * w / W); the cents left over go one each to the largest
    remainders, ties to the smallest key. Zero weight gets zero; a negative total is
    split as its absolute value and negated. The parts always sum to the total.

    The one function for every pooled split: rebates, admin-fee shares, pool overhead,
    installments. Weights are whole numbers (cents, hours in minutes, ...) or Decimals.
    """
    if len(weights) != len(keys):
        raise ValueError("one key per weight")
    if total_cents < 0:
        return [-part for part in allocate(-total_cents, weights, keys)]
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    whole = sum(weights, Decimal(0))
    if total_cents == 0:
        return [0] * len(weights)
    if whole == 0:
        raise ValueError("cannot split a non-zero amount when every weight is zero")
    # Exact integer arithmetic: scale Decimal weights to integers first.
    exponent = min((Decimal(w).as_tuple().exponent for w in weights), default=0)
    scale = 10 ** -exponent if exponent < 0 else 1
    ints = [int(Decimal(w) * scale) for w in weights]
    total_weight = sum(ints)
    parts, remainders = [], []
    for _i, w in enumerate(ints):
        share, remainder = divmod(total_cents * w, total_weight)
        parts.append(share)
        remainders.append(remainder)
    left = total_cents - sum(parts)
    # Largest remainder first; ties to the smallest key. Zero weights have remainder 0
    # and never receive a leftover cent before a positive weight does (left < count of
    # positive remainders, since each remainder < W and they sum to left * W).
    order = sorted((i for i in range(len(ints)) if ints[i] > 0), key=lambda i: (-remainders[i], keys[i]))
    for i in order[:left]:
        parts[i] += 1
    return parts


def format_dollars(cents: int) -> str:
    """Cents as people read them on an invoice line: -1234567 -> "-$12,345.67"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


class NotDollars(ValueError):
    """What `parse_dollars` refuses, with the sentence a form shows at its field."""


_DOLLARS_TYPED = re.compile(r"\$?\s*(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<part>[0-9]+))?", re.ASCII)


def parse_dollars(text: str) -> int:
    """An amount as people type it in a form ("25", "25.5", "$1,079.46") as integer cents,
    exactly, or NotDollars: ASCII digits only, commas only between groups of three, no
    sign, no exponent ("1e3"), at most two decimal places (refused, never rounded).
    Every console form that takes dollars parses them here, so a page never accepts
    what another refuses."""
    match = _DOLLARS_TYPED.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise NotDollars("an amount in dollars and cents, like 1,250.00")
    part = match.group("part") or ""
    if len(part) > 2:
        raise NotDollars("at most 2 decimal places (whole cents)")
    return int(match.group("whole").replace(",", "")) * 100 + int(part.ljust(2, "0"))


def dollars_typed(cents: int | None) -> str:
    """What a money field of a form shows, to be posted back through `parse_dollars`:
    250000 -> "2500.00" (no $ or commas); None -> ""."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"
