"""Receiving (DOMAIN.md "After the close"): a practice records what arrived of each
shipment line (good, damaged, missing units), and claims the damaged and missing ones
from the vendor, who ships a replacement or credits them.

Use cases: `shipments` (as each reader sees them), `receipts` (receiving), `claims`
(replace or credit; a substitute's line is credited in `substitute_credit`)."""


def register(app) -> None:
    """Receipts and claims: the routes, who sees a shipment and a claim, the pages."""
    from gpo.receiving import models  # noqa: F401 - the models join the metadata

    _register_receiving(app)


def _register_receiving(app) -> None:
    """Shipments, receipts and claims: the API, their visibility, the storefront's
    Receiving and the portal's Claims pages and what waits."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.orders.models import Shipment
    from gpo.receiving import claims, pages, portal_pages, routes, shipments
    from gpo.receiving.models import Claim

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(Shipment, shipments.shipment_visible)
    policy.register_visibility(Claim, claims.claim_visible)
    web.add_pages(app, pages.blp)
    web.add_nav(app, "storefront", "Receiving", "receiving_pages.shipments", order=45)
    web.add_waiting(app, "storefront", pages.waiting, roles=policy.ACTIONS["receipt.create"], order=45)
    web.add_pages(app, portal_pages.blp)
    web.add_nav(app, "portal", "Claims", "claims_portal.claims", order=35, vendor_kinds={"supplier"})
    web.add_waiting(app, "portal", portal_pages.waiting, roles=policy.ACTIONS["claim.resolve"], order=35)
    web.add_words(app, "shipment", {"to_receive": "to receive", "received": "received"})
    web.add_words(app, "claim", {"open": "open: waiting for the vendor", "replacing": "the vendor ships a replacement",
                                 "credited": "credited by the vendor"})
