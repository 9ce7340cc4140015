"""Use cases of a vendor's products: vendors keep their products one at a time, everyone
browses the catalog they may see (search, filters, a product's page with its price
history and the contracts in effect it is on)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Container, Literal, Required, TypedDict

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from gpo import audit
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.importing import DEFAULTS, UNMARK_CLINICAL
from gpo.catalog.models import Product, ProductPrice, _search_document
from gpo.contracts.services import ContractSummary, contracts_in_effect_for_product, on_contract_clause
from gpo.db import Paged, db, flush_or_conflict, is_postgresql, paged, utcnow
from gpo.errors import Conflict, Forbidden
from gpo.etags import require_match

VENDOR_MARKED_CLINICAL = ("its vendor marked this product clinical: only the vendor can unmark it "
                          "(physicians keep control of clinical choices)")

# --- inputs (what the request schemas load) ------------------------------------------


class OptionalProductFields(TypedDict, total=False):
    """The fields a product may be sent without (a new product takes DEFAULTS)."""

    description: str
    manufacturer: str
    manufacturer_part_number: str
    gtin: str | None
    unit_of_measure: str
    clinical: bool
    min_order_quantity: int
    order_multiple: int
    active: bool


class NewProduct(OptionalProductFields):
    """A new product as a vendor sends it (ProductCreateSchema; also one import row)."""

    sku: str
    name: str
    category: str
    list_price: Decimal


class ProductChanges(OptionalProductFields, total=False):
    """An edit of a product (ProductUpdateSchema, partial): any subset of its fields."""

    sku: str
    name: str
    category: str
    list_price: Decimal


class ProductQuery(TypedDict, total=False):
    """Filters of `GET /products` (ProductQuerySchema; `sort` is always there)."""

    q: str
    category: str
    vendor_id: int
    clinical: bool
    active: bool
    on_contract: bool
    sort: Required[Literal["name", "-name", "price", "-price"]]


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductDetail:
    """A product as its page shows it (ProductDetailSchema): the product's own values
    (with its price history), read through, and the contracts in effect it is on."""

    product: Product
    contracts: list[ContractSummary]

    def __getattr__(self, name: str):  # the product's own values, read through
        if name == "product":
            raise AttributeError(name)
        return getattr(self.product, name)


def product_visible(principal: Principal, product: Product) -> bool:
    """MSO staff see every product, a vendor its own, practices the active catalog."""
    if principal.is_mso:
        return True
    if principal.org_type == "vendor":
        return product.vendor_id == principal.organization_id
    return product.active


# --- browsing ----------------------------------------------------------------------


def browse(principal: Principal, filters: ProductQuery, page: int, page_size: int) -> Paged:
    """Search and filter the catalog a principal may see."""
    policy.authorize(principal, "product.read")
    stmt = select(Product)
    if principal.org_type == "vendor":
        stmt = stmt.where(Product.vendor_id == principal.organization_id)
    active = filters.get("active", True)
    if principal.org_type == "practice":
        active = True  # practices browse the active catalog only
    stmt = stmt.where(Product.active == active)
    for field in ("category", "vendor_id", "clinical"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(Product, field) == filters[field])
    if filters.get("q"):
        stmt = stmt.where(_matches(filters["q"]))
    if filters.get("on_contract") is not None:
        clause = on_contract_clause(Product.id)
        stmt = stmt.where(clause if filters["on_contract"] else ~clause)
    if filters.get("q") and is_postgresql():
        stmt = _found_first(stmt)
    column = Product.list_price if filters["sort"].lstrip("-") == "price" else Product.name
    order = column.desc() if filters["sort"].startswith("-") else column.asc()
    return paged(stmt.order_by(order, Product.id), page, page_size)


def _found_first(stmt):
    """The same rows, found through the full-text index first, then ordered and paged.
    Left to itself, the planner walks (active, name, id) in name order and tests each
    product's search document until a page is full: 16 ms for `gloves` on 20,000
    products, 160 ms for a word nothing matches. A MATERIALIZED CTE makes it take the
    matches from ix_products_search (GIN) and sort those: 3-4 ms whatever the word."""
    found = stmt.with_only_columns(Product.id).cte("found").prefix_with("MATERIALIZED")
    return select(Product).join(found, found.c.id == Product.id)


@dataclass(frozen=True)
class ConsoleCatalog:
    """A page of the whole catalog as MSO staff search it: the products, how many
    match, each vendor's name (vendor id -> name) and the vendors to filter by."""

    items: list[Product]
    total: int
    vendor_names: dict[int, str]
    vendors: list[tuple[int, str]]


def console_catalog(principal: Principal, filters: ProductQuery, page: int, page_size: int) -> ConsoleCatalog:
    """`browse` for the console: every vendor's products with their vendor's name, in
    the same number of queries for any page (the vendors are one query, not one per row)."""
    result = browse(principal, filters, page, page_size)
    vendors = [(row.id, row.name) for row in db.session.execute(
        select(Vendor.id, Vendor.name).where(select(Product.id).where(Product.vendor_id == Vendor.id).exists())
        .order_by(Vendor.name, Vendor.id))]
    return ConsoleCatalog(items=list(result.items), total=result.total, vendor_names=dict(vendors), vendors=vendors)


def _matches(q: str):
    if is_postgresql():
        # Full-text search over name, description, manufacturer, part number and SKU
        # (GIN index ix_products_search on the same expression).
        return _search_document().op("@@")(func.websearch_to_tsquery("english", q))
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    columns = (Product.name, Product.description, Product.manufacturer, Product.manufacturer_part_number, Product.sku)
    # SQLite's LIKE already ignores the case of ASCII letters, and its lower() folds only
    # those: ilike's lower(column) LIKE lower(pattern) matches the same rows at about
    # twice the cost per row (the shop's search scans the whole catalog).
    return or_(*(c.like(pattern, escape="\\") for c in columns))


def get_product(principal: Principal, product_id: int) -> ProductDetail:
    """A product, with its price history and the contracts in effect it is on: two
    statements (the product joined with its prices, then its contracts)."""
    product = policy.load(principal, Product, product_id, "product.read", options=[joinedload(Product.prices)])
    return _detail(product)


def _detail(product: Product) -> ProductDetail:
    return ProductDetail(product=product, contracts=contracts_in_effect_for_product(product.id))


# --- one product at a time ---------------------------------------------------------


def _lock_vendor(principal: Principal, vendor_id: int, action: str) -> Vendor:
    """The vendor row, locked: catalog writes of one vendor happen one at a time."""
    return policy.load(principal, Vendor, vendor_id, action, for_update=True)


def _record_price(product_id: int, price: Decimal, changed_by: str, now) -> None:
    db.session.execute(
        update(ProductPrice)
        .where(ProductPrice.product_id == product_id, ProductPrice.effective_to.is_(None))
        .values(effective_to=now)
    )
    db.session.add(ProductPrice(product_id=product_id, list_price=price, effective_from=now, changed_by=changed_by))


def create_product(principal: Principal, vendor_id: int, data: NewProduct) -> ProductDetail:
    """A vendor adds a product; its SKU is unique within the vendor (409 otherwise)."""
    vendor = _lock_vendor(principal, vendor_id, "product.create")
    product = Product(vendor_id=vendor.id, **{**DEFAULTS, **data})
    db.session.add(product)
    flush_or_conflict(f"vendor {vendor.id} already has a product with SKU {data['sku']!r}")
    _record_price(product.id, product.list_price, principal.label, utcnow())
    audit.record(principal, "product.create", product, details={"sku": product.sku, "list_price": str(product.list_price)})
    db.session.flush()
    return ProductDetail(product=product, contracts=[])


def _lock_product(principal: Principal, product_id: int) -> Product:
    """The product, locked after its vendor's row: catalog writes of one vendor (edits
    and imports) take the locks in the same order, so they queue, never deadlock."""
    product = policy.load(principal, Product, product_id, "product.read")
    db.session.execute(select(Vendor.id).where(Vendor.id == product.vendor_id).with_for_update(key_share=True))
    return policy.load(principal, Product, product_id, "product.read", for_update=True)


def update_product(principal: Principal, product_id: int, data: ProductChanges,
                   if_match: Container[str]) -> ProductDetail:
    """The vendor edits its product. MSO procurement may only mark or unmark it
    clinical; neither unmarks what the other marked."""
    product = _lock_product(principal, product_id)
    if principal.is_mso:
        policy.authorize(principal, "product.mark_clinical", product)
        if set(data) - {"clinical"}:
            raise Forbidden("MSO staff may only change whether a product is clinical; the vendor edits the rest")
        if data.get("clinical") is False and product.clinical and not product.clinical_marked_by_mso:
            # Physicians keep control of clinical choices (CPOM): the MSO may take back
            # its own mark, never lift the physician's approval a vendor asked for.
            raise Conflict(VENDOR_MARKED_CLINICAL)
    else:
        policy.authorize(principal, "product.update", product)
        if data.get("clinical") is False and product.clinical_marked_by_mso:
            raise Forbidden(UNMARK_CLINICAL)
    require_match(product, if_match)
    old_price = product.list_price
    changes = {}
    for field, value in data.items():
        if getattr(product, field) != value:
            changes[field] = [str(getattr(product, field)), str(value)]
            setattr(product, field, value)
    if principal.is_mso and "clinical" in changes:
        product.clinical_marked_by_mso = product.clinical
    if "sku" in changes:
        flush_or_conflict(f"vendor {product.vendor_id} already has a product with SKU {product.sku!r}")
    if product.list_price != old_price:
        _record_price(product.id, product.list_price, principal.label, utcnow())
    if changes:
        audit.record(principal, "product.update", product, details=changes)
    db.session.flush()
    return _detail(product)


def deactivate_product(principal: Principal, product_id: int) -> ProductDetail:
    """Delete means deactivate: products are never removed (orders refer to them)."""
    product = _lock_product(principal, product_id)
    policy.authorize(principal, "product.update", product)
    if product.active:
        product.active = False
        audit.record(principal, "product.deactivate", product, details={"sku": product.sku})
    db.session.flush()
    return _detail(product)
