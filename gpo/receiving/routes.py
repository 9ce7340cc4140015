"""Shipments as received, receipts and claims over the API (API.md "After the close")."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.receiving import claims, receipts, shipments
from gpo.receiving.schemas import (
    RECEIPT_EXAMPLE,
    ClaimQuerySchema,
    ClaimSchema,
    ReceiptInSchema,
    ShipmentQuerySchema,
    ShipmentViewSchema,
)

blp = Blueprint("receiving", __name__, url_prefix="/api/v1",
                description="What arrived of each shipment line, and the claims for damaged or missing units")


@blp.route("/shipments")
class Shipments(MethodView):
    @blp.arguments(ShipmentQuerySchema, location="query")
    @blp.response(200, ShipmentViewSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Shipments, newest first (a practice: those to its locations, with its own lines
        only; a vendor: its purchase orders'; MSO: all)."""
        pp = pagination_parameters
        return page_of(shipments.list_shipments(current_principal(), query.get("status"), pp.page, pp.page_size), pp)


@blp.route("/shipments/<int:shipment_id>")
class ShipmentItem(MethodView):
    @blp.response(200, ShipmentViewSchema)
    def get(self, shipment_id):
        """A shipment and its lines: product, location, units shipped and, once
        received, good, damaged and missing units and the claim. A practice sees only
        its own locations' lines; a shipment to none of them is 404."""
        return shipments.get_shipment(current_principal(), shipment_id)


@blp.route("/shipments/<int:shipment_id>/receipts")
class Receipts(MethodView):
    @idempotent()  # a retried receipt records once
    @blp.arguments(ReceiptInSchema, example=RECEIPT_EXAMPLE)
    @blp.response(201, ShipmentViewSchema)
    def post(self, data, shipment_id):
        """Record what arrived (a practice admin, buyer or physician of the lines'
        locations): per shipment line the good and the damaged units; the rest of what
        shipped is missing. Damaged or missing units open a claim to the vendor. Answers
        the shipment as the practice now sees it. Each line is received once (409 the
        second time); good + damaged above what shipped, a line twice, or a line not on
        the shipment or not to the practice's locations: 422, nothing recorded."""
        principal = current_principal()
        receipts.receive(principal, shipment_id, data["lines"])
        return shipments.get_shipment(principal, shipment_id)


@blp.route("/claims")
class Claims(MethodView):
    @blp.arguments(ClaimQuerySchema, location="query")
    @blp.response(200, ClaimSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Claims, newest first (a practice: its own; a vendor: those to it; MSO: all)."""
        pp = pagination_parameters
        return page_of(claims.list_claims(current_principal(), query.get("status"), pp.page, pp.page_size), pp)


@blp.route("/claims/<int:claim_id>")
class ClaimItem(MethodView):
    @blp.response(200, ClaimSchema)
    def get(self, claim_id):
        return claims.get_claim(current_principal(), claim_id)


@blp.route("/claims/<int:claim_id>/replace")
class Replace(MethodView):
    @idempotent()
    @blp.response(200, ClaimSchema)
    def post(self, claim_id):
        """The vendor will ship the claim's units again: the line may ship that many
        more, received like any shipment. A claim is resolved once (409)."""
        principal = current_principal()
        claims.replace(principal, claim_id)
        return claims.get_claim(principal, claim_id)


@blp.route("/claims/<int:claim_id>/credit")
class Credit(MethodView):
    @idempotent()
    @blp.response(200, ClaimSchema)
    def post(self, claim_id):
        """The vendor credits the claim's units: the practice's draft purchasing invoice
        drops them, or, once issued, a credit note gives back the goods at the line's
        price plus the service fee on them. A claim is resolved once (409)."""
        principal = current_principal()
        claims.credit(principal, claim_id)
        return claims.get_claim(principal, claim_id)
