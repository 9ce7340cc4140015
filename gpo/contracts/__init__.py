"""Vendor contracts: items, volume tiers and the negotiation between MSO procurement
and the vendor."""


def register(app) -> None:
    """Contracts and proposals: the routes and who sees them."""
    from gpo import features
    from gpo.auth import policy
    from gpo.contracts import routes, services
    from gpo.contracts.models import Contract, Proposal

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(Contract, services.contract_visible)
    policy.register_visibility(Proposal, services.proposal_visible)
