"""The MSO, member practices with their locations and providers, vendors and users."""


def register(app) -> None:
    """The routes of the MSO, practices, locations, providers, vendors and users; the practice
    page (storefront) and the console's member pages."""
    from gpo import features, web
    from gpo.accounts import console_pages, pages, routes

    features.add_blueprint(app, routes.blp)
    web.add_pages(app, pages.blp)
    web.add_nav(app, "storefront", "Practice", "practice_pages.practice", roles={"practice_admin"}, order=110)
    web.add_pages(app, console_pages.blp)
    web.add_nav(app, "console", "Members", "accounts_console.practices", order=50)
    web.add_words(app, "practice", console_pages.PRACTICE_WORDS)
    web.add_words(app, "vendor_kind", console_pages.VENDOR_KIND_WORDS)
    web.add_words(app, "role", console_pages.ROLE_WORDS)
