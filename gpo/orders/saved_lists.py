"""Use cases of saved lists (an order guide): a practice keeps named lists of products
and quantities it buys again and again, and adds a whole list to its cart at once.

A practice's admins and buyers keep the lists; every user of the practice sees them
and may add one to the cart (ordering is theirs too). A list's name is unique within
its practice (the database decides: two racing creations cannot both win)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gpo import audit
from gpo.accounts.models import Location
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import Paged, db, flush_unless_duplicate, paged
from gpo.errors import Conflict, Invalid
from gpo.orders import rules
from gpo.orders.cart import add_to_cart
from gpo.orders.models import SavedList, SavedListItem
from gpo.orders.ordering import OrderResult, get_order


class SavedListInput(TypedDict):
    name: str


class SavedListItemInput(TypedDict, total=False):
    """A product to add (by id, or by SKU) and its quantity."""

    product_id: int
    sku: str
    quantity: int


def _practice_id_of(principal: Principal) -> int:
    if principal.org_type != "practice":
        raise Invalid("saved lists belong to a practice: sign in as a user of one")
    return principal.organization_id


def _name_of(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid.of_field("name", "give the list a name")
    if len(name) > 100:
        raise Invalid.of_field("name", "at most 100 characters")
    return name


def _taken(name: str) -> str:
    return f"the practice already has a list named {name!r}"


def list_saved_lists(principal: Principal, page: int, page_size: int) -> Paged:
    """A page of the practice's saved lists, by name."""
    policy.authorize(principal, "saved_list.read")
    stmt = policy.scope(principal, select(SavedList), SavedList.practice_id)
    return paged(stmt.order_by(SavedList.name, SavedList.id), page, page_size)


def get_saved_list(principal: Principal, list_id: int) -> SavedList:
    """The list with its items (404 outside the practice)."""
    return policy.load(principal, SavedList, list_id, "saved_list.read")


@dataclass(frozen=True)
class SavedListView:
    """A list as its page shows it: its items, and where the practice can ship them."""

    saved: SavedList
    locations: list[Location]


def saved_list_view(principal: Principal, list_id: int) -> SavedListView:
    saved = get_saved_list(principal, list_id)
    locations = db.session.scalars(
        select(Location).where(Location.practice_id == saved.practice_id).order_by(Location.id)).all()
    return SavedListView(saved=saved, locations=list(locations))


def create_saved_list(principal: Principal, data: SavedListInput) -> SavedList:
    """A new, empty list of the caller's practice. 409 when the name is taken."""
    policy.authorize(principal, "saved_list.manage")
    practice_id = _practice_id_of(principal)
    name = _name_of(data.get("name", ""))
    saved = SavedList(practice_id=practice_id, name=name, created_by=principal.label, items=[])
    if not flush_unless_duplicate(saved):
        raise Conflict(_taken(name))
    audit.record(principal, "saved_list.create", saved, details={"name": name})
    db.session.flush()
    return saved


def rename_saved_list(principal: Principal, list_id: int, data: SavedListInput) -> SavedList:
    """Rename a list. 409 when another list of the practice has the name."""
    saved = policy.load(principal, SavedList, list_id, "saved_list.manage", for_update=True)
    name = _name_of(data.get("name", ""))
    old = saved.name
    try:
        with db.session.begin_nested():  # the savepoint holds only the new name
            saved.name = name
            db.session.flush()
    except IntegrityError:
        raise Conflict(_taken(name)) from None
    audit.record(principal, "saved_list.rename", saved, details={"from": old, "to": name})
    db.session.flush()
    return saved


def delete_saved_list(principal: Principal, list_id: int) -> None:
    saved = policy.load(principal, SavedList, list_id, "saved_list.manage", for_update=True)
    audit.record(principal, "saved_list.delete", saved, details={"name": saved.name})
    db.session.delete(saved)
    db.session.flush()


def _product_for(item: SavedListItemInput) -> Product:
    """The active product named by id or SKU (Invalid naming the field otherwise)."""
    if item.get("product_id") is not None:
        product = db.session.get(Product, item["product_id"])
        if product is None or not product.active:
            raise Invalid.of_field("product_id", f"product {item['product_id']} is not in the active catalog")
        return product
    sku = (item.get("sku") or "").strip()
    if not sku:
        raise Invalid.of_field("sku", "enter a SKU (or add the product from its page)")
    products = db.session.scalars(select(Product).where(Product.sku == sku, Product.active.is_(True))).all()
    if not products:
        raise Invalid.of_field("sku", f"no product in the active catalog has SKU {sku}")
    if len(products) > 1:
        raise Invalid.of_field("sku", f"several vendors sell SKU {sku}: add it from the product's page")
    return products[0]


def add_saved_list_item(principal: Principal, list_id: int, item: SavedListItemInput) -> SavedList:
    """Add a product (by id or SKU) with a quantity that honours its minimum and
    multiple; a product already on the list gets the quantities added together."""
    saved = policy.load(principal, SavedList, list_id, "saved_list.manage", for_update=True)
    product = _product_for(item)
    existing = next((i for i in saved.items if i.product_id == product.id), None)
    quantity = item.get("quantity")
    if quantity is None:
        raise Invalid.of_field("quantity", "enter a quantity")
    total = quantity + (existing.quantity if existing else 0)
    problems = ([] if quantity > 0 else ["the quantity must be at least 1"]) or \
        rules.quantity_errors(total, product.min_order_quantity, product.order_multiple)
    if problems:
        raise Invalid.of_field("quantity", f"{product.sku}: {problems[0]}")
    if existing:
        existing.quantity = total
    else:
        saved.items.append(SavedListItem(product_id=product.id, quantity=quantity, product=product))
    db.session.flush()
    audit.record(principal, "saved_list.add_item", saved, details={"product_id": product.id, "quantity": quantity})
    db.session.flush()
    return saved


def remove_saved_list_item(principal: Principal, list_id: int, product_id: int) -> SavedList:
    saved = policy.load(principal, SavedList, list_id, "saved_list.manage", for_update=True)
    existing = next((i for i in saved.items if i.product_id == product_id), None)
    if existing is None:
        raise Invalid.of_field("product_id", f"product {product_id} is not on list {saved.id}")
    saved.items.remove(existing)
    db.session.flush()
    audit.record(principal, "saved_list.remove_item", saved, details={"product_id": product_id})
    db.session.flush()
    return saved


def add_saved_list_to_cart(principal: Principal, list_id: int, location_id: int) -> OrderResult:
    """Every line of the list into the location's cart (gpo.orders.cart.add_to_cart):
    one line refused (naming it by its place in the list) and nothing is added."""
    saved = policy.load(principal, SavedList, list_id, "saved_list.read")
    if not saved.items:
        raise Invalid(f"list {saved.name!r} is empty: add products to it first")
    lines = [{"product_id": i.product_id, "quantity": i.quantity} for i in saved.items]
    return add_to_cart(principal, location_id, lines, practice_id=saved.practice_id, source="saved_list")


def reorder_to_cart(principal: Principal, order_id: int) -> OrderResult:
    """A past order's lines (any status) into the cart of its location, as a saved list
    would be: one line refused and nothing is added."""
    source = get_order(principal, order_id)
    lines = [{"product_id": line.product_id, "quantity": line.quantity} for line in source.lines]
    return add_to_cart(principal, source.location_id, lines, practice_id=source.practice_id, source="reorder")
