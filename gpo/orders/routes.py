"""Cycles, orders, purchase orders (API.md "Cycles, orders, purchase orders")."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.notifications.cxml import order_request
from gpo.orders import cycles, ordering, purchase_orders, saved_lists, tier_progress
from gpo.orders.schemas import (
    ORDER_CREATE_EXAMPLE,
    AcknowledgeSchema,
    CycleCreateSchema,
    CycleQuerySchema,
    CycleResultSchema,
    CycleSchema,
    JobRefSchema,
    OrderCreateSchema,
    OrderQuerySchema,
    OrderSchema,
    OrderUpdateSchema,
    PurchaseOrderQuerySchema,
    PurchaseOrderSchema,
    SavedListInSchema,
    SavedListItemInSchema,
    SavedListSchema,
    SavedListToCartSchema,
    ShipmentInSchema,
    ShipmentSchema,
    TierProgressQuerySchema,
    TierProgressSchema,
)

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Purchasing cycles, orders and purchase orders")


@blp.route("/cycles")
class Cycles(MethodView):
    @blp.arguments(CycleQuerySchema, location="query")
    @blp.response(200, CycleSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Purchasing cycles, newest first."""
        pp = pagination_parameters
        return page_of(cycles.list_cycles(current_principal(), query.get("status"), pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(CycleCreateSchema)
    @blp.response(201, CycleSchema)
    def post(self, data):
        """Schedule a cycle (MSO procurement). It opens at opens_at (or when opened) and
        closes at closes_at (or when closed); `flask gpo tick` keeps time."""
        return cycles.create_cycle(current_principal(), data)


@blp.route("/cycles/<int:cycle_id>")
class CycleItem(MethodView):
    @blp.response(200, CycleSchema)
    def get(self, cycle_id):
        return cycles.get_cycle(current_principal(), cycle_id)


@blp.route("/cycles/<int:cycle_id>/open")
class OpenCycle(MethodView):
    @blp.response(200, CycleSchema)
    def post(self, cycle_id):
        """Open a scheduled cycle now (at most one cycle is open)."""
        return cycles.open_cycle(current_principal(), cycle_id)


@blp.route("/cycles/<int:cycle_id>/close")
class CloseCycle(MethodView):
    @blp.response(202, JobRefSchema)
    def post(self, cycle_id):
        """Close the cycle: a background job pools its confirmed orders into purchase
        orders. New orders and edits are refused (409) from the moment it starts; closing
        twice is harmless (same job)."""
        return cycles.request_close(current_principal(), cycle_id)


@blp.route("/cycles/<int:cycle_id>/results")
class CycleResults(MethodView):
    @blp.response(200, CycleResultSchema(many=True))
    def get(self, cycle_id):
        """Per contract: volume, achieved tier, list, paid and savings cents (a practice
        sees its own part, a vendor its own contracts)."""
        return cycles.cycle_results(current_principal(), cycle_id)


@blp.route("/contracts/<int:contract_id>/tier-progress")
class TierProgress(MethodView):
    @blp.arguments(TierProgressQuerySchema, location="query")
    @blp.response(200, TierProgressSchema)
    def get(self, query, contract_id):
        """Confirmed volume so far, the tier it reaches, and what the next tier would
        save everyone ("12 more units unlock 8% off")."""
        return tier_progress.tier_progress(current_principal(), contract_id, query.get("cycle_id"))


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, OrderSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Orders (a practice's users: their own), newest first."""
        pp = pagination_parameters
        return page_of(ordering.list_orders(current_principal(), filters, pp.page, pp.page_size), pp)

    @idempotent(required=True)
    @blp.arguments(OrderCreateSchema, example=ORDER_CREATE_EXAMPLE)
    @blp.response(201, OrderSchema)
    def post(self, data):
        """Place an order into the open cycle (Idempotency-Key required). Clinical lines
        wait for a physician of the practice unless a physician places it."""
        return ordering.place_order(current_principal(), data)


@blp.route("/orders/<int:order_id>")
class OrderItem(MethodView):
    @blp.etag
    @blp.response(200, OrderSchema)
    def get(self, order_id):
        order = ordering.get_order(current_principal(), order_id)
        blp.set_etag_for(order)
        return order

    @blp.etag
    @blp.arguments(OrderUpdateSchema)
    @blp.response(200, OrderSchema)
    def patch(self, data, order_id):
        """Replace the lines (and ship-to) while the cycle is open (If-Match)."""
        order = ordering.edit_order(current_principal(), order_id, data, request.if_match)
        blp.set_etag_for(order)
        return order


def _order_action(name: str, doc: str, fn, status: int = 200, if_match: bool = False):
    class Action(MethodView):
        @blp.doc(**{"x-if-match": if_match})  # gpo/openapi.py documents the If-Match header
        @blp.response(status, OrderSchema)
        def post(self, order_id):
            return fn(current_principal(), order_id)

    Action.post.__doc__ = doc
    Action.__name__ = f"Order{name.title().replace('-', '')}"
    blp.route(f"/orders/<int:order_id>/{name}", endpoint=f"order_{name.replace('-', '_')}")(Action)


_order_action("submit", "Submit a draft: confirmed, or awaiting a physician's approval.", ordering.submit_order)
_order_action("approve", "A physician of the practice approves the clinical lines as read (CPOM): "
              "If-Match with the order's ETag is required.",
              lambda principal, order_id: ordering.approve_order(principal, order_id, request.if_match), if_match=True)
_order_action("cancel", "Cancel the order while its cycle is open.", ordering.cancel_order)
_order_action("copy-to-cycle", "Copy the order (for example one that missed its cycle) into the open cycle as a draft.",
              ordering.copy_to_open_cycle, status=201)


@blp.route("/purchase-orders")
class PurchaseOrders(MethodView):
    @blp.arguments(PurchaseOrderQuerySchema, location="query")
    @blp.response(200, PurchaseOrderSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Purchase orders (a vendor: its own), lines per product and ship-to location."""
        pp = pagination_parameters
        page = purchase_orders.list_purchase_orders(current_principal(), query.get("cycle_id"), pp.page, pp.page_size)
        return page_of(page, pp)


@blp.route("/purchase-orders/<int:purchase_order_id>")
class PurchaseOrderItem(MethodView):
    @blp.response(200, PurchaseOrderSchema)
    @blp.doc(**order_request.openapi_doc(PurchaseOrderSchema))
    def get(self, purchase_order_id):
        """A purchase order: JSON, or a cXML OrderRequest with `Accept: application/xml`."""
        po = purchase_orders.get_purchase_order(current_principal(), purchase_order_id)
        media_type = order_request.wanted()
        return order_request.as_cxml(po, media_type) if media_type else po


@blp.route("/purchase-orders/<int:purchase_order_id>/acknowledge")
class Acknowledge(MethodView):
    @blp.arguments(AcknowledgeSchema)
    @blp.response(200, PurchaseOrderSchema)
    def post(self, data, purchase_order_id):
        """Acknowledge lines (each once): units accepted, backordered (with an expected
        ship date, today or later), offered as a substitute (another active product of
        this vendor, at most the line's unit price; the practice decides), and the rest
        rejected at once: they cancel the matching order lines, newest orders first.
        Backorders and substitutes cover at most the units of orders that allow them.
        Any line wrong: 422 with errors at `lines.<i>.<field>` and nothing changes."""
        return purchase_orders.acknowledge(current_principal(), purchase_order_id, data["lines"])


@blp.route("/purchase-orders/<int:purchase_order_id>/shipments")
class Shipments(MethodView):
    @idempotent()
    @blp.arguments(ShipmentInSchema)
    @blp.response(201, ShipmentSchema)
    def post(self, data, purchase_order_id):
        """Ship accepted units to a line's location, with carrier and tracking number."""
        return purchase_orders.ship(current_principal(), purchase_order_id, data)


# --- saved lists (an order guide) ------------------------------------------------------


@blp.route("/saved-lists")
class SavedLists(MethodView):
    @blp.response(200, SavedListSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The practice's saved lists (order guides), by name."""
        pp = pagination_parameters
        return page_of(saved_lists.list_saved_lists(current_principal(), pp.page, pp.page_size), pp)

    @blp.arguments(SavedListInSchema)
    @blp.response(201, SavedListSchema)
    def post(self, data):
        """Create an empty list (practice admins and buyers); its name is unique in the practice (409)."""
        return saved_lists.create_saved_list(current_principal(), data)


@blp.route("/saved-lists/<int:list_id>")
class SavedListById(MethodView):
    @blp.response(200, SavedListSchema)
    def get(self, list_id):
        return saved_lists.get_saved_list(current_principal(), list_id)

    @blp.response(204)
    def delete(self, list_id):
        """Delete the list and its items."""
        saved_lists.delete_saved_list(current_principal(), list_id)


@blp.route("/saved-lists/<int:list_id>/items")
class SavedListItems(MethodView):
    @blp.doc(operationId="add_saved_list_item")
    @blp.arguments(SavedListItemInSchema)
    @blp.response(200, SavedListSchema)
    def post(self, data, list_id):
        """Add a product (by product_id, or by sku when one active product has it) with a
        quantity honouring its minimum and multiple; a product already on the list gets
        the quantities added together."""
        return saved_lists.add_saved_list_item(current_principal(), list_id, data)


@blp.route("/saved-lists/<int:list_id>/items/<int:product_id>")
class SavedListProduct(MethodView):
    @blp.doc(operationId="remove_saved_list_item")
    @blp.response(200, SavedListSchema)
    def delete(self, list_id, product_id):
        """Take a product off the list."""
        return saved_lists.remove_saved_list_item(current_principal(), list_id, product_id)


@blp.route("/saved-lists/<int:list_id>/add-to-cart")
class SavedListToCart(MethodView):
    @idempotent()  # a retried add must not add the quantities twice
    @blp.doc(operationId="add_saved_list_to_cart")
    @blp.arguments(SavedListToCartSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, list_id):
        """Every line of the list into the location's cart (its draft order in the open
        cycle): one line refused (422 naming it by its place in the list) and nothing is added."""
        return saved_lists.add_saved_list_to_cart(current_principal(), list_id, data["location_id"])
