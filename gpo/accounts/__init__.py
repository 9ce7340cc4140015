"""The MSO, member practices with their locations and providers, vendors and users."""


def register(app) -> None:
    """The routes of the MSO, practices, locations, providers, vendors and users."""
    from gpo import features
    from gpo.accounts import routes

    features.add_blueprint(app, routes.blp)
