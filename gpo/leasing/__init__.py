"""Equipment and space leasing (DOMAIN.md "Equipment and space leasing"): the MSO's
assets (bought, or bought from a practice for a sale-leaseback), quotes, leases offered
by MSO finance and signed by the practice, their schedules, buyouts and ends of term,
and shared suites sublet by square feet.

Use cases: `assets`, `leases` (quotes, offers, signing), `lifecycle` (buyout, end of
term, the month's rents), `spaces` (suites, occupancies, the month's shares), `billing`
(the monthly "lease" billing run); a lease's terms and figures in `terms`; the lease
math in `rules` (no Flask, no database)."""

# The console's leasing pages, in their sub-navigation's order: (endpoint, label, the
# endpoint prefix of the pages it covers).
CONSOLE_SUBNAV = [
    ("asset_console.assets", "Assets", "asset_console."),
    ("lease_console.leases", "Leases", "lease_console."),
    ("space_console.spaces", "Shared spaces", "space_console."),
]


def register(app) -> None:
    """Assets, leases, spaces: the routes and pages, who sees them, the monthly run."""
    from gpo.billing import membership
    from gpo.leasing import billing, models  # noqa: F401 - the models join the metadata

    membership.add_run_kind("lease", billing.bill_lease_month)
    _register_lifecycle(app)
    app.jinja_env.globals["leasing_subnav"] = lambda: [
        item for item in CONSOLE_SUBNAV if item[0] in app.view_functions]


def _register_lifecycle(app) -> None:
    """A signed lease's life: payoff quote, buyout, end of term (API and pages)."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.leasing import lifecycle_pages, lifecycle_routes

    features.add_blueprint(app, lifecycle_routes.blp)
    web.add_pages(app, lifecycle_pages.blp)
    web.add_pages(app, lifecycle_pages.console)
    web.add_waiting(app, "console", lifecycle_pages.waiting, roles=policy.ACTIONS["lease.end"], order=75)
