"""Vendor contracts: items, volume tiers and the negotiation between MSO procurement
and the vendor."""

NEGOTIATORS = ("mso_admin", "mso_procurement")


def register(app) -> None:
    """Contracts and proposals: the routes and who sees them; the console's contract
    pages (Contracts) and the portal's proposal pages (Proposals)."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.auth.roles import MSO_ROLES
    from gpo.contracts import console_pages, portal_pages, routes, rules, services
    from gpo.contracts.models import Contract, Proposal

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(Contract, services.contract_visible)
    policy.register_visibility(Proposal, services.proposal_visible)
    web.add_pages(app, console_pages.blp)
    web.add_pages(app, portal_pages.blp)
    web.add_nav(app, "console", "Contracts", "contract_console.contracts", roles=MSO_ROLES, order=10)
    web.add_nav(app, "portal", "Proposals", "contract_portal.contracts", roles=("vendor_admin",), order=20)
    web.add_words(app, "contract", console_pages.CONTRACT_WORDS)
    web.add_words(app, "proposal", console_pages.PROPOSAL_WORDS)
    web.add_words(app, "admin_fee_settlement", rules.SETTLEMENT_WORDS)
    web.add_waiting(app, "console", console_pages.waiting, roles=NEGOTIATORS, order=10)
    web.add_waiting(app, "portal", portal_pages.waiting, roles=("vendor_admin",), order=20)
