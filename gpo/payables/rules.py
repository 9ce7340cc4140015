"""The three-way match and the pass-through splits as pure arithmetic (DOMAIN.md "After
the close"): no Flask, no database.

A vendor invoice line is matched twice: its price against the purchase-order line's
contract price (`price_match`), its units, counted over the vendor's invoices up to and
including this one, against the good units received (`quantity_match`). The invoice's
status follows from its lines (`invoice_status`). On approval its freight is split by
each practice's goods (`freight_split`) and a favourable difference by units
(`split_by_quantity`), both with `gpo.money.allocate`."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping

from gpo.money import allocate, line_cents


@dataclass(frozen=True)
class PriceMatch:
    line_cents: int  # line_cents(invoiced price, quantity)
    contract_cents: int  # line_cents(contract price, quantity)
    difference_cents: int  # line_cents - contract_cents: > 0 above contract, < 0 below
    result: str  # match | below | exception


def price_match(contract_price: Decimal, invoiced_price: Decimal, quantity: int, tolerance_cents: int) -> PriceMatch:
    """Above the contract by more than the tolerance: an exception worth the difference;
    below it: favourable (passed to the practices); otherwise a match. Differences are
    of whole lines, each rounded once, so 4-place prices never drift."""
    invoiced, contract = line_cents(invoiced_price, quantity), line_cents(contract_price, quantity)
    difference = invoiced - contract
    if difference > tolerance_cents:
        result = "exception"
    elif difference < 0:
        result = "below"
    else:
        result = "match"
    return PriceMatch(invoiced, contract, difference, result)


@dataclass(frozen=True)
class QuantityMatch:
    result: str  # matched | pending_receipt | exception
    excess_quantity: int  # units beyond what was received (pending) or can still be (exception)


def quantity_match(invoiced_so_far: int, received: int, may_still_arrive: int) -> QuantityMatch:
    """`invoiced_so_far`: the line's units on the counted invoices up to and including
    this one. Within the good units received: matched. Within what may still arrive too
    (shipped and not yet received, or still to ship): pending_receipt. Beyond: exception."""
    if invoiced_so_far <= received:
        return QuantityMatch("matched", 0)
    if invoiced_so_far <= received + may_still_arrive:
        return QuantityMatch("pending_receipt", invoiced_so_far - received)
    return QuantityMatch("exception", invoiced_so_far - received - max(may_still_arrive, 0))


def may_still_arrive(shipped: int, receipted: int, deliverable: int) -> int:
    """Units of a line that can still be received as good: shipped but not on a receipt
    yet, and those still to ship. (Units a receipt said damaged or missing never arrive;
    a replacement raises `deliverable`, so they may ship again.)"""
    return max(shipped - receipted, 0) + max(deliverable - shipped, 0)


def invoice_status(price_results: Iterable[str], quantity_results: Iterable[str]) -> str:
    """Any exception (price or units): exception; else any unit pending: pending_receipt;
    else approved."""
    prices, quantities = list(price_results), list(quantity_results)
    if "exception" in prices or "exception" in quantities:
        return "exception"
    if "pending_receipt" in quantities:
        return "pending_receipt"
    return "approved"


def freight_split(freight_cents: int, goods_by_practice: Mapping[int, int]) -> dict[int, int]:
    """allocate(freight, each practice's goods cents on the invoice, practice ids). Goods
    worth nothing at all (every line at a zero price) split it evenly."""
    keys = sorted(goods_by_practice)
    if not keys or freight_cents == 0:
        return {k: 0 for k in keys}
    weights = [goods_by_practice[k] for k in keys]
    if sum(weights) == 0:
        weights = [1] * len(keys)
    return dict(zip(keys, allocate(freight_cents, weights, keys), strict=True))


def split_by_quantity(cents: int, quantities: Mapping[int, int]) -> dict[int, int]:
    """allocate(cents, units per key, keys): a line's favourable difference over the
    practices' order lines it pools (negative cents split as their absolute value)."""
    keys = sorted(k for k, q in quantities.items() if q > 0)
    if not keys:
        return {}
    return dict(zip(keys, allocate(cents, [quantities[k] for k in keys], keys), strict=True))
