"""A signed lease's life (API.md "Leasing"): the payoff quote, buying out, the end of term."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint
from gpo.auth.request import current_principal
from gpo.leasing import lifecycle
from gpo.leasing.lifecycle_schemas import (
    END_EXAMPLE,
    BuyoutQuerySchema,
    BuyoutQuoteSchema,
    EndInSchema,
    LeaseEndSchema,
)

blp = Blueprint("lease_lifecycle", __name__, url_prefix="/api/v1",
                description="A signed lease's payoff quote, buyout and end of term")


@blp.route("/leasing/leases/<int:lease_id>/buyout")
class Buyout(MethodView):
    @blp.arguments(BuyoutQuerySchema, location="query")
    @blp.response(200, BuyoutQuoteSchema)
    def get(self, query, lease_id):
        """The payoff quote as of a date (default today; the practice of the lease and
        MSO staff): balance_t after the months ended by then plus the early termination
        fee, and the rents due by then not yet billed. Nothing is stored. Only an
        active lease has one (409)."""
        return lifecycle.buyout_quote(current_principal(), lease_id, query.get("as_of"))

    @blp.response(200, LeaseEndSchema)
    def post(self, lease_id):
        """Buy the lease out today (a practice admin or physician of the practice, MSO
        finance): one issued invoice with the payoff and every rent due and unbilled;
        the lease ends (bought out) and no later rent is billed. Only an active lease
        (409 for an offered or ended one)."""
        return lifecycle.end_result(lifecycle.buy_out(current_principal(), lease_id))


@blp.route("/leasing/leases/<int:lease_id>/end")
class End(MethodView):
    @blp.arguments(EndInSchema, example=END_EXAMPLE)
    @blp.response(200, LeaseEndSchema)
    def post(self, data, lease_id):
        """End the term (MSO finance), once its last rent is due (before that: 409, buy
        it out instead): purchase (an invoice for the residual), return, or renew (a new
        offered lease on the same asset financing the residual, signed by the practice
        like any offer; 422 when there is no residual). Rents still unbilled go on the
        end invoice. Ending twice is 409."""
        lease, renewal = lifecycle.end_lease(current_principal(), lease_id, data)
        return lifecycle.end_result(lease, renewal)
