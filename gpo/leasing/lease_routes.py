"""Leases over the API (API.md "Leasing"): MSO finance offers, the practice signs (a
physician for clinical equipment), MSO finance withdraws an offer; both read."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.leasing import leases
from gpo.leasing.lease_schemas import (
    LEASE_OFFER_EXAMPLE,
    LEASE_WITHDRAW_EXAMPLE,
    LeaseOfferInSchema,
    LeaseQuerySchema,
    LeaseSchema,
    LeaseSummarySchema,
    LeaseWithdrawInSchema,
)

blp = Blueprint("leases", __name__, url_prefix="/api/v1",
                description="Leases of the MSO's equipment to practices: offers, signing, withdrawal")


@blp.route("/leasing/leases")
class Leases(MethodView):
    @blp.arguments(LeaseQuerySchema, location="query")
    @blp.response(200, LeaseSummarySchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Leases, newest first, without their schedules (a practice: its own; MSO: all)."""
        pp = pagination_parameters
        return page_of(leases.list_leases(current_principal(), filters, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(LeaseOfferInSchema, example=LEASE_OFFER_EXAMPLE)
    @blp.response(201, LeaseSchema)
    def post(self, data):
        """Offer a lease of an asset to an active practice (MSO finance): the rent and the
        ASC 842 classification are fixed now, the schedule when the practice signs. An
        asset on an active lease is offered again only once that lease ends (409, saying
        until when)."""
        return leases.lease_view(leases.offer(current_principal(), data))


@blp.route("/leasing/leases/<int:lease_id>")
class LeaseItem(MethodView):
    @blp.response(200, LeaseSchema)
    def get(self, lease_id):
        """A lease: its terms, figures, classification with every test, who offered and
        signed it, its commencement invoice, its end and its schedule."""
        return leases.lease_view(leases.get_lease(current_principal(), lease_id))


@blp.route("/leasing/leases/<int:lease_id>/sign")
class Sign(MethodView):
    @blp.response(200, LeaseSchema)
    def post(self, lease_id):
        """Sign an offer (a practice admin or physician of the practice; clinical
        equipment: a physician, CPOM, else 403). The lease becomes active, its schedule is
        fixed, the asset's other offers are withdrawn and the commencement invoice (the
        down payment and the advance rents, due on the commencement date) is issued.
        Signing twice, a withdrawn offer, or one whose commencement date has passed: 409.
        Two signings of one asset at once: one wins, the other is 409."""
        return leases.lease_view(leases.sign(current_principal(), lease_id))


@blp.route("/leasing/leases/<int:lease_id>/withdraw")
class Withdraw(MethodView):
    @blp.arguments(LeaseWithdrawInSchema, example=LEASE_WITHDRAW_EXAMPLE)
    @blp.response(200, LeaseSchema)
    def post(self, data, lease_id):
        """Withdraw an offer not signed yet (MSO finance); any other lease is 409."""
        return leases.lease_view(leases.withdraw(current_principal(), lease_id, data["reason"]))
