"""Vendors' catalogs: products, their price history, search, and bulk imports."""


def register(app) -> None:
    """Products and imports: the routes, who sees a product, and the import job."""
    from gpo import features, jobs
    from gpo.auth import policy
    from gpo.catalog import routes, services
    from gpo.catalog.models import Product

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(Product, services.product_visible)
    jobs.register("catalog.import", services.apply_import, on_failure=services.mark_import_failed)
