"""The MSO, member practices with their locations and providers, vendors and users."""


def register(app) -> None:
    """The routes of the MSO, practices, locations, providers, vendors and users; the practice page."""
    from gpo import features, web
    from gpo.accounts import pages, routes

    features.add_blueprint(app, routes.blp)
    web.add_pages(app, pages.blp)
    web.add_nav(app, "storefront", "Practice", "practice_pages.practice", roles={"practice_admin"}, order=110)
