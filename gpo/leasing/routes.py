"""Leasing's assets and quotes (API.md "Leasing")."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.leasing import assets, quotes
from gpo.leasing.asset_schemas import (
    ASSET_CREATE_EXAMPLE,
    QUOTE_EXAMPLE,
    AssetInSchema,
    AssetQuerySchema,
    AssetSchema,
)
from gpo.leasing.schemas import LeaseQuoteInSchema, LeaseQuoteSchema

blp = Blueprint("leasing_assets", __name__, url_prefix="/api/v1",
                description="Leasing: the MSO's assets (bought, or bought from a practice for a sale-leaseback) "
                            "and lease quotes")


@blp.route("/leasing/assets")
class Assets(MethodView):
    @blp.arguments(AssetQuerySchema, location="query")
    @blp.response(200, AssetSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Assets, newest first, with status, lease in effect and history (MSO staff: all;
        a practice: those it sold and those leased or offered to it)."""
        pp = pagination_parameters
        return page_of(assets.list_assets(current_principal(), filters, pp.page, pp.page_size), pp)

    @idempotent(required=True)
    @blp.arguments(AssetInSchema, example=ASSET_CREATE_EXAMPLE)
    @blp.response(201, AssetSchema)
    def post(self, data):
        """Record an asset the MSO bought (MSO finance and admins; Idempotency-Key
        required: a sale-leaseback sent twice credits the practice once). With
        `sold_by_practice_id` it is a sale-leaseback: the MSO buys the practice's
        equipment and the price (`cost_cents`) becomes the practice's credit, applied to
        its next invoices (`purchase_credit_id`). An unknown practice is 404."""
        return assets.create_asset(current_principal(), data)


@blp.route("/leasing/assets/<int:asset_id>")
class AssetItem(MethodView):
    @blp.response(200, AssetSchema)
    def get(self, asset_id):
        """An asset with its history: where it came from and every lease of it."""
        return assets.get_asset(current_principal(), asset_id)


@blp.route("/leasing/quotes")
class Quotes(MethodView):
    @blp.arguments(LeaseQuoteInSchema, example=QUOTE_EXAMPLE)
    @blp.response(200, LeaseQuoteSchema)
    def post(self, data):
        """Quote a lease (MSO finance; a practice admin for its own practice and an asset
        it sees): the rent, what is due at signing, the totals, the schedule and the ASC
        842 classification with each test. Nothing is stored; compare as many terms as
        wanted. Terms at fault are 422 at their fields (a commencement in the past
        too); an asset a practice has bought is 409."""
        return quotes.quote(current_principal(), data)
