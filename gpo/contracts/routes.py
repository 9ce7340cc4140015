"""Contracts and their negotiation (API.md "Contracts")."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.contracts import services
from gpo.contracts.schemas import (
    CONTRACT_CREATE_EXAMPLE,
    ContractCreateSchema,
    ContractQuerySchema,
    ContractSchema,
    ProposalSchema,
    TerminateSchema,
    TermsSchema,
)
from gpo.idempotency import idempotent

blp = Blueprint("contracts", __name__, url_prefix="/api/v1", description="Vendor contracts, tiers and negotiation")


@blp.route("/contracts")
class Contracts(MethodView):
    @blp.arguments(ContractQuerySchema, location="query")
    @blp.response(200, ContractSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Contracts: MSO staff all, a vendor its own, practices those in effect."""
        pp = pagination_parameters
        return page_of(services.list_contracts(current_principal(), filters, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(ContractCreateSchema, example=CONTRACT_CREATE_EXAMPLE)
    @blp.response(201, ContractSchema)
    def post(self, data):
        """Open a contract with its first proposal (MSO procurement).

        Tiers: a base tier at min_volume 0, min_volume strictly increasing, discounts in
        [0, 100) never decreasing, item prices only for the contract's items and never
        above the tier below. An admin fee above 3% needs `admin_fee_disclosure`."""
        return services.create_contract(current_principal(), data)


@blp.route("/contracts/<int:contract_id>")
class ContractItem(MethodView):
    @blp.response(200, ContractSchema)
    def get(self, contract_id):
        """A contract's terms, items, tiers and status (status follows the date)."""
        return services.get_contract(current_principal(), contract_id)


@blp.route("/contracts/<int:contract_id>/proposals")
class Proposals(MethodView):
    @blp.response(200, ProposalSchema(many=True))
    @blp.paginate()
    def get(self, contract_id, pagination_parameters):
        """The negotiation thread, oldest first (MSO staff and the vendor)."""
        pp = pagination_parameters
        return page_of(services.list_proposals(current_principal(), contract_id, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(TermsSchema)
    @blp.response(201, ProposalSchema)
    def post(self, terms, contract_id):
        """Counter with new terms; the open proposal is superseded."""
        return services.counter(current_principal(), contract_id, terms)


@blp.route("/contracts/<int:contract_id>/proposals/<int:number>/accept")
class AcceptProposal(MethodView):
    @blp.response(200, ContractSchema)
    def post(self, contract_id, number):
        """Accept the open proposal (only the side that did not write it): its terms
        become the contract's."""
        return services.accept(current_principal(), contract_id, number)


@blp.route("/contracts/<int:contract_id>/proposals/<int:number>/reject")
class RejectProposal(MethodView):
    @blp.response(200, ProposalSchema)
    def post(self, contract_id, number):
        """Reject the open proposal (only the side that did not write it)."""
        return services.reject(current_principal(), contract_id, number)


@blp.route("/contracts/<int:contract_id>/terminate")
class TerminateContract(MethodView):
    @blp.arguments(TerminateSchema)
    @blp.response(200, ContractSchema)
    def post(self, data, contract_id):
        """End a contract early, from today (MSO procurement), with a reason."""
        return services.terminate(current_principal(), contract_id, data["reason"])
