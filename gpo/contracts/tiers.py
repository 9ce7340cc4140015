"""How tiers are validated, which tier a volume reaches, and an item's price at a tier.

Pure functions (no Flask, no database). DOMAIN.md "Contracts and tiers":
- there is a base tier at min_volume 0; min_volume strictly increases;
- discount_percent is in [0, 100) and never decreases from one tier to the next;
- item_prices fix an absolute unit price for some of the contract's items at a tier,
  never above that item's price at the tier below;
- an item's price at a tier is its item_prices entry, else
  list_price * (1 - discount_percent / 100) rounded half-up to 4 places.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from gpo.money import unit_price_at_discount

MAX_PERCENT_PLACES = 4


@dataclass(frozen=True)
class Tier:
    min_volume: int
    discount_percent: Decimal
    item_prices: dict[int, Decimal] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "min_volume": self.min_volume,
            "discount_percent": str(self.discount_percent),
            "item_prices": {str(k): str(v) for k, v in sorted(self.item_prices.items())},
        }

    @classmethod
    def from_json(cls, data: dict) -> "Tier":
        return cls(
            min_volume=int(data["min_volume"]),
            discount_percent=Decimal(str(data["discount_percent"])),
            item_prices={int(k): Decimal(str(v)) for k, v in (data.get("item_prices") or {}).items()},
        )


def price_at(tier: Tier, product_id: int, list_price: Decimal) -> Decimal:
    """The unit price of an item at a tier."""
    fixed = tier.item_prices.get(product_id)
    if fixed is not None:
        return fixed
    return unit_price_at_discount(list_price, tier.discount_percent)


def achieved_index(tiers: list[Tier], volume: int) -> int:
    """Index of the highest tier whose min_volume the volume reaches (tiers validated)."""
    index = 0
    for i, tier in enumerate(tiers):
        if volume >= tier.min_volume:
            index = i
    return index


def achieved_tier(tiers: list[Tier], volume: int) -> Tier:
    return tiers[achieved_index(tiers, volume)]


def validate(tiers: list[Tier], list_prices: dict[int, Decimal]) -> dict[str, list[str]]:
    """Every broken rule, keyed by the tier's position ("0", "1", ...); empty if valid.

    `list_prices` maps each of the contract's items to its list price."""
    errors: dict[str, list[str]] = {}

    def fail(position, message):
        errors.setdefault(str(position), []).append(message)

    if not tiers:
        return {"tiers": ["at least the base tier (min_volume 0) is needed"]}
    if tiers[0].min_volume != 0:
        fail(0, "the first tier must be the base tier, at min_volume 0")
    unpriced: set[int] = set()  # tiers whose discount cannot price an item
    bad_fixed: set[tuple[int, int]] = set()  # (tier, product) whose fixed price is no price
    for i, tier in enumerate(tiers):
        if tier.min_volume < 0:
            fail(i, "min_volume must not be negative")
        d = tier.discount_percent
        if not d.is_finite() or d < 0 or d >= 100:
            fail(i, "discount_percent must be at least 0 and less than 100")
            unpriced.add(i)
        elif d.as_tuple().exponent < -MAX_PERCENT_PLACES:
            fail(i, f"discount_percent has at most {MAX_PERCENT_PLACES} decimal places")
            unpriced.add(i)
        if i > 0:
            below = tiers[i - 1]
            if tier.min_volume <= below.min_volume:
                fail(i, f"min_volume must be greater than the tier below ({below.min_volume})")
            if d.is_finite() and below.discount_percent.is_finite() and d < below.discount_percent:
                fail(i, f"discount_percent must not be lower than the tier below ({below.discount_percent})")
        for product_id, price in tier.item_prices.items():
            if product_id not in list_prices:
                fail(i, f"item_prices: product {product_id} is not an item of this contract")
            elif not price.is_finite() or price <= 0 or price.as_tuple().exponent < -4:
                fail(i, f"item_prices: product {product_id}: the price must be > 0 with at most 4 decimals")
                bad_fixed.add((i, product_id))
    _price_rules(tiers, list_prices, unpriced, bad_fixed, fail)
    return errors


def _price_rules(tiers: list[Tier], list_prices: dict[int, Decimal], unpriced: set[int],
                 bad_fixed: set[tuple[int, int]], fail) -> None:
    """A higher tier never prices an item higher than the tier below (nor the base tier
    above the list price): a fixed price below must be matched by the tiers above.
    Checked even when other rules are broken (every broken rule at once), against
    what the tier below gives as written; a tier whose price cannot be computed (its
    discount or that fixed price is itself broken) is compared with nothing."""
    for product_id, list_price in list_prices.items():
        below: Decimal | None = list_price
        for i, tier in enumerate(tiers):
            fixed = product_id in tier.item_prices
            if (i, product_id) in bad_fixed or (not fixed and i in unpriced):
                below = None
                continue
            price = price_at(tier, product_id, list_price)
            if below is not None and price > below:
                where = "the tier below" if i > 0 else "its list price"
                if fixed:
                    fail(i, f"item_prices: product {product_id} at {price} is above its price at {where} ({below})")
                elif i > 0 and product_id in tiers[i - 1].item_prices:
                    # (a lower discount than the tier below's is its own rule, above)
                    fail(i, f"product {product_id} would cost {price} here, above its fixed price at the tier "
                            f"below ({below}): fix its price at this tier too")
            below = price
