"""Vendors' catalogs: products, their price history, search, and bulk imports."""


def register(app) -> None:
    """Products and imports: the routes, who sees a product, and the import job."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.catalog import catalog_imports, console_pages, pages, portal_pages, products, routes
    from gpo.catalog.models import CATEGORY_WORDS, Product

    features.add_blueprint(app, routes.blp)
    web.add_pages(app, pages.blp)
    web.add_nav(app, "storefront", "Shop", "shop.shop", order=10)
    web.add_pages(app, portal_pages.blp)
    web.add_pages(app, console_pages.blp)
    web.add_nav(app, "console", "Catalog", "catalog_console.catalog_products", order=15)
    web.add_nav(app, "portal", "Catalog", "catalog_portal.catalog", roles={"vendor_admin"}, order=10,
                vendor_kinds={"supplier"})
    web.add_words(app, "catalog_import", portal_pages.IMPORT_WORDS)
    web.add_words(app, "category", CATEGORY_WORDS)
    web.add_waiting(app, "portal", portal_pages.waiting, roles={"vendor_admin"}, order=10)
    policy.register_visibility(Product, products.product_visible)
    catalog_imports.IMPORT_RUN.register(catalog_imports.run_import,
                                        on_failed_for_good=catalog_imports.mark_import_failed)
