"""Purchasing cycles, practices' orders, the close that pools them into purchase
orders, and the vendor's side (acknowledgements and shipments)."""


def register(app) -> None:
    """Cycles, orders, purchase orders: the routes, who sees a cycle, the close job."""
    from gpo import features, jobs
    from gpo.auth import policy
    from gpo.orders import close, routes
    from gpo.orders.models import Cycle

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(Cycle, lambda principal, cycle: True)  # the calendar is everyone's
    jobs.register("orders.close_cycle", close.close_cycle)
