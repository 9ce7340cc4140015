"""Who is calling (principals: users with tokens, vendors with API keys) and what they
may do (gpo/auth/policy.py, the one place that decides)."""


def register(app) -> None:
    """The login, token and API-key routes; the vendor portal's API keys page."""
    from gpo import features, web
    from gpo.auth import portal_pages, routes

    features.add_blueprint(app, routes.blp)
    web.add_pages(app, portal_pages.blp)
    web.add_nav(app, "portal", "API keys", "api_key_portal.api_keys", roles={"vendor_admin"}, order=50)
    web.add_words(app, "api_key", portal_pages.KEY_WORDS)
