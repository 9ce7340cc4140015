"""Vendors' catalogs: products, their price history, search, and bulk imports."""


def register(app) -> None:
    """Products and imports: the routes, who sees a product, and the import job."""
    from gpo import features
    from gpo.auth import policy
    from gpo.catalog import catalog_imports, products, routes
    from gpo.catalog.models import Product

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(Product, products.product_visible)
    catalog_imports.IMPORT_RUN.register(catalog_imports.run_import,
                                        on_failed_for_good=catalog_imports.mark_import_failed)
