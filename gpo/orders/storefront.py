"""The storefront's reads of the catalog: `shop` and `product_page`, each product with
its price now, at the tier its contract reaches in the open cycle, and at the next
tier (`prices_now`: a fixed number of queries for any number of products)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from gpo.accounts.models import Location, Vendor
from gpo.auth.principal import Principal
from gpo.catalog import products as catalog
from gpo.catalog.models import Product, ProductPrice
from gpo.contracts.models import Contract
from gpo.contracts.tiers import Tier, achieved_index, price_at
from gpo.db import Paged, db, utcnow
from gpo.errors import Conflict, NotFound
from gpo.orders import running_volumes
from gpo.orders.models import Cycle
from gpo.orders.ordering import _contract_of_products
from gpo.orders.tier_progress import TierProgress, tier_progress

# --- the shop: products with the price they have now ---------------------------------


@dataclass(frozen=True)
class PriceNow:
    """A product's price in the open cycle: at the tier its contract reaches with the
    cycle's confirmed orders (`price_now`), and at the next tier (None at the top, or
    for a product on no contract with tiers)."""

    contract_id: int | None
    basis: str | None
    price_now: Decimal | None
    next_price: Decimal | None
    next_discount_percent: Decimal | None
    volume_to_next_tier: int | None


NO_PRICE = PriceNow(None, None, None, None, None, None)


@dataclass(frozen=True)
class ShopItem:
    """One product as the shop lists it: the product (read through), its vendor's
    name and its price now."""

    product: Product
    vendor_name: str
    price: PriceNow

    def __getattr__(self, name: str):
        if name == "product":
            raise AttributeError(name)
        return getattr(self.product, name)


@dataclass(frozen=True)
class ShopPage:
    """A page of the shop: the products, how many match, the vendors to filter by,
    the practice's ship-to locations and the open cycle (None: none is open)."""

    items: list[ShopItem]
    total: int
    vendors: list[tuple[int, str]]
    locations: list[Location]
    cycle: Cycle | None


def open_cycle() -> Cycle | None:
    return db.session.scalars(select(Cycle).where(Cycle.status == "open").order_by(Cycle.id)).first()


def prices_now(products: list[Product], cycle: Cycle | None, day: dt.date | None = None) -> dict[int, PriceNow]:
    """product id -> its PriceNow in `cycle`, for any number of products in two
    queries (their contracts; the contracts' tiers with their running volumes)."""
    if not products:
        return {}
    contract_of = _contract_of_products([p.id for p in products], day or utcnow().date())
    contracts = running_volumes.contract_volumes(cycle.id if cycle is not None else None,
                                                 Contract.id.in_(set(contract_of.values())))
    result = {}
    for product in products:
        contract = contracts.get(contract_of.get(product.id))
        tiers = contract.tiers if contract is not None else []
        if not tiers:
            result[product.id] = NO_PRICE if contract is None else PriceNow(
                contract.contract_id, contract.basis, None, None, None, None)
            continue
        volume = contract.volume
        index = achieved_index(tiers, volume)
        following = tiers[index + 1] if index + 1 < len(tiers) else None
        result[product.id] = PriceNow(
            contract_id=contract.contract_id, basis=contract.basis,
            price_now=price_at(tiers[index], product.id, product.list_price),
            next_price=price_at(following, product.id, product.list_price) if following else None,
            next_discount_percent=following.discount_percent if following else None,
            volume_to_next_tier=(following.min_volume - volume) if following else None,
        )
    return result


def _locations_of(practice_id: int) -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.practice_id == practice_id)
                                   .order_by(Location.id)))


def shop(principal: Principal, filters: catalog.ProductQuery, page: int, page_size: int) -> ShopPage:
    """A page of the active catalog as a practice shops it: each product with its
    vendor and its price now and at the next tier. The same number of queries for
    any page size (no query per product)."""
    result: Paged = catalog.browse(principal, filters, page, page_size)
    cycle = open_cycle()
    prices = prices_now(result.items, cycle)
    vendors = [(row.id, row.name) for row in db.session.execute(
        select(Vendor.id, Vendor.name).where(
            # EXISTS: one index probe per vendor, not a scan of the whole catalog.
            select(Product.id).where(Product.vendor_id == Vendor.id, Product.active.is_(True)).exists())
        .order_by(Vendor.name))]
    names = dict(vendors)
    items = [ShopItem(p, names.get(p.vendor_id, ""), prices.get(p.id, NO_PRICE)) for p in result.items]
    return ShopPage(items=items, total=result.total, vendors=vendors,
                    locations=_locations_of(principal.organization_id), cycle=cycle)


@dataclass(frozen=True)
class TierRow:
    min_volume: int
    discount_percent: Decimal
    unit_price: Decimal
    reached: bool


@dataclass(frozen=True)
class ProductPage:
    """A product's page: the product (its price history in `history`, oldest first),
    its vendor, its price now, its contract's tiers at this product's price, and the
    contract's progress in the open cycle (None: no cycle open or no tiers)."""

    item: ShopItem
    history: list[ProductPrice]
    contract: Contract | None
    tiers: list[TierRow]
    progress: TierProgress | None
    locations: list[Location]
    cycle: Cycle | None


def product_page(principal: Principal, product_id: int) -> ProductPage:
    detail = catalog.get_product(principal, product_id)
    product = detail.product
    cycle = open_cycle()
    price = prices_now([product], cycle)[product.id]
    vendor = db.session.get(Vendor, product.vendor_id)
    contract = db.session.get(Contract, price.contract_id) if price.contract_id else None
    tiers: list[Tier] = contract.tier_list if contract is not None else []
    progress = None
    if contract is not None and tiers and cycle is not None:
        try:
            progress = tier_progress(principal, contract.id, cycle.id)
        except (NotFound, Conflict):
            progress = None
    reached = achieved_index(tiers, progress.volume) if progress else 0
    rows = [TierRow(t.min_volume, t.discount_percent, price_at(t, product.id, product.list_price), i <= reached)
            for i, t in enumerate(tiers)]
    history = sorted(product.prices, key=lambda p: (p.effective_from, p.id))
    return ProductPage(item=ShopItem(product, vendor.name if vendor else "", price), history=history,
                       contract=contract, tiers=rows, progress=progress,
                       locations=_locations_of(principal.organization_id), cycle=cycle)
