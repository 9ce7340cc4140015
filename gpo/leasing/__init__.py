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
    _register_assets(app)
    _register_leases(app)
    _register_lifecycle(app)
    _register_spaces(app)
    app.jinja_env.globals["leasing_subnav"] = lambda: CONSOLE_SUBNAV


def _register_leases(app) -> None:
    """Leases offered, signed and withdrawn: the API, the storefront's and console's pages."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.leasing import lease_console, lease_pages, lease_routes

    features.add_blueprint(app, lease_routes.blp)
    web.add_pages(app, lease_pages.blp)
    web.add_nav(app, "storefront", "Leasing", "lease_pages.leases", order=85)
    web.add_pages(app, lease_console.blp)
    web.add_nav(app, "console", "Leasing", "lease_console.leases", order=75)
    web.add_waiting(app, "console", lease_console.waiting, roles=policy.ACTIONS["lease.offer"], order=75)
    web.add_words(app, "asset_category", lease_pages.ASSET_CATEGORY_WORDS)
    web.add_words(app, "lease", {"offered": "waiting for signature", "active": "active", "ended": "ended",
                                 "withdrawn": "withdrawn"})
    web.add_words(app, "lease_classification", {"sales_type": "sales-type", "direct_financing": "direct financing",
                                                "operating": "operating"})
    web.add_words(app, "lease_end", {"bought_out": "bought out", "purchased": "purchased at the end of the term",
                                     "returned": "returned", "renewed": "renewed"})


def _register_spaces(app) -> None:
    """Shared space: the API, who sees a suite, the console's and storefront's pages."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.leasing import space_console_pages, space_pages, space_routes, spaces
    from gpo.leasing.models import Space

    features.add_blueprint(app, space_routes.blp)
    policy.register_visibility(Space, spaces.space_visible)
    web.add_pages(app, space_console_pages.blp)
    web.add_pages(app, space_pages.blp)


def _register_assets(app) -> None:
    """Assets and quotes: the API, who sees an asset, the console's and storefront's pages."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.leasing import asset_console, asset_pages, assets, routes
    from gpo.leasing.models import Asset

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(Asset, assets.asset_visible)
    web.add_pages(app, asset_console.blp)
    web.add_pages(app, asset_pages.blp)
    web.add_waiting(app, "console", asset_console.waiting, roles=policy.MSO_BILLING, order=80)
    web.add_words(app, "asset", {"available": "available: on no lease", "offered": "offered, not signed yet",
                                 "leased": "leased", "sold": "sold to the practice"})


def _register_lifecycle(app) -> None:
    """A signed lease's life: payoff quote, buyout, end of term (API and pages)."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.leasing import lifecycle_pages, lifecycle_routes

    features.add_blueprint(app, lifecycle_routes.blp)
    web.add_pages(app, lifecycle_pages.blp)
    web.add_pages(app, lifecycle_pages.console)
    web.add_waiting(app, "console", lifecycle_pages.waiting, roles=policy.ACTIONS["lease.end"], order=75)
