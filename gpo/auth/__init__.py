"""Who is calling (principals: users with tokens, vendors with API keys) and what they
may do (gpo/auth/policy.py, the one place that decides)."""


def register(app) -> None:
    """The login, token and API-key routes."""
    from gpo import features
    from gpo.auth import routes

    features.add_blueprint(app, routes.blp)
