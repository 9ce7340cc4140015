"""Backorders and substitutions (API.md "After the close"): the vendor's
acknowledgement offers them (POST /purchase-orders/{id}/acknowledge); the practice of
the line's location decides a substitute (a physician when clinical) and the vendor or
the practice cancels open backordered units."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.orders import backorders, substitutions
from gpo.orders.after_close_schemas import (
    BackorderCancelSchema,
    BackorderQuerySchema,
    BackorderSchema,
    SubstitutionQuerySchema,
    SubstitutionSchema,
)

blp = Blueprint("after_close", __name__, url_prefix="/api/v1",
                description="After the close: backorders and substitutions")


@blp.route("/backorders")
class Backorders(MethodView):
    @blp.arguments(BackorderQuerySchema, location="query")
    @blp.response(200, BackorderSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Backordered purchase-order lines, soonest expected first (a practice: its
        locations'; a vendor: its own; the MSO: all)."""
        pp = pagination_parameters
        return page_of(backorders.list_backorders(current_principal(), query["status"], pp.page, pp.page_size), pp)


@blp.route("/backorders/<int:po_line_id>/cancel")
class CancelBackorder(MethodView):
    @idempotent()
    @blp.arguments(BackorderCancelSchema, example={"quantity": 5})
    @blp.response(200, BackorderSchema)
    def post(self, data, po_line_id):
        """Cancel open backordered units of a purchase-order line (the vendor, or the
        practice of its location; default every open unit). The units leave the orders
        that allowed the backorder, newest first; the draft invoice drops them, an
        issued one gets a credit note. 409 when nothing is open, or when the vendor
        already invoiced the units."""
        return backorders.cancel_backorder(current_principal(), po_line_id, data)


@blp.route("/substitutions")
class Substitutions(MethodView):
    @blp.arguments(SubstitutionQuerySchema, location="query")
    @blp.response(200, SubstitutionSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Substitutes the vendors offered, newest first (a practice: for its locations;
        a vendor: its own; the MSO: all)."""
        pp = pagination_parameters
        return page_of(substitutions.list_substitutions(current_principal(), query.get("status"), pp.page,
                                                        pp.page_size), pp)


@blp.route("/substitutions/<int:substitution_id>")
class SubstitutionItem(MethodView):
    @blp.response(200, SubstitutionSchema)
    def get(self, substitution_id):
        return substitutions.get_substitution(current_principal(), substitution_id)


@blp.route("/substitutions/<int:substitution_id>/approve")
class ApproveSubstitution(MethodView):
    @idempotent()
    @blp.response(200, SubstitutionSchema)
    def post(self, substitution_id):
        """Take the substitute (the practice; a physician of it when either product is
        clinical, CPOM, else 403). The original units leave the orders, a new line ships
        the substitute and the invoice follows: a draft swaps the goods, an issued one
        gets one credit note for the difference. The achieved tier does not change.
        Deciding twice: 409."""
        return substitutions.approve(current_principal(), substitution_id)


@blp.route("/substitutions/<int:substitution_id>/decline")
class DeclineSubstitution(MethodView):
    @idempotent()
    @blp.response(200, SubstitutionSchema)
    def post(self, substitution_id):
        """Refuse the substitute (as approve decides who): its units are rejected, leaving
        the orders and the invoice as any refusal. Deciding twice: 409."""
        return substitutions.decline(current_principal(), substitution_id)
