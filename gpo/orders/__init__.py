"""Purchasing cycles, practices' orders, the close that pools them into purchase
orders, and the vendor's side (acknowledgements and shipments).

Use cases: `cycles` (the calendar, the close's request, results), `ordering` (orders
and their estimated prices), `tier_progress`, `purchase_orders` (the vendor's side);
`acknowledgement` (the vendor's, line by line), `backorders`, `substitutions`; `close`
is the close job."""


def register(app) -> None:
    """Cycles, orders, purchase orders: the routes, who sees a cycle, the close job."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.notifications import dispatcher
    from gpo.orders import (
        after_close_routes,
        cart_pages,
        close,
        console_pages,
        cycles,
        pages,
        portal_pages,
        routes,
        running_volumes,
        substitution_pages,
        substitutions,
    )
    from gpo.orders.models import Cycle, Substitution

    features.add_blueprint(app, routes.blp)
    features.add_blueprint(app, after_close_routes.blp)
    policy.register_visibility(Substitution, substitutions.visible)
    web.add_pages(app, cart_pages.blp)
    web.add_nav(app, "storefront", "Cart", "cart.view", order=20)
    policy.register_visibility(Cycle, lambda principal, cycle: True)  # the calendar is everyone's
    close.CLOSE.register(close.close)
    features.add_step(app, features.CLOSE, running_volumes.forget)  # nothing is confirmed after the close
    features.add_step(app, features.TERMS_AGREED, running_volumes.reprice)  # lines priced at the new tiers
    pages.register(app)  # the storefront's orders, approvals and saved lists (and their words)
    console_pages.register(app)  # the console's cycles, tier dashboard and purchase orders
    portal_pages.register(app)  # the supplier's purchase orders: acknowledge, ship
    substitution_pages.register(app)  # the storefront's substitutes to decide, backorders to cancel
    dispatcher.add_scan(app, cycles.tell_closing_soon)  # cycle.closing_soon, at each `flask gpo tick`
