"""Products, browsing and bulk catalog imports (API.md "Catalog")."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.catalog import catalog_imports, products
from gpo.catalog.parsing import CSV_HEADER_DOC, MAX_ROWS
from gpo.catalog.schemas import (
    CatalogImportSchema,
    CatalogImportSummarySchema,
    ImportQuerySchema,
    ImportRequestSchema,
    ProductCreateSchema,
    ProductDetailSchema,
    ProductQuerySchema,
    ProductSchema,
    ProductUpdateSchema,
)
from gpo.errors import DomainError
from gpo.idempotency import idempotent

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Vendors' catalogs and bulk imports")

_EXAMPLE_ROW = {
    "sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium, box of 100", "category": "supplies",
    "manufacturer": "Acme", "manufacturer_part_number": "AC-100M", "gtin": "00012345678905",
    "unit_of_measure": "box", "list_price": "12.9900", "clinical": False,
    "min_order_quantity": 1, "order_multiple": 1,
}
_IMPORT_BODY_DOC = {
    "required": True,
    "description": (
        f"JSON `{{mode, products}}`, or CSV (`Content-Type: text/csv`, UTF-8 with or without BOM, "
        f"header `{CSV_HEADER_DOC}`; the first four columns are required, empty optional cells take "
        f"the default or keep the current value) with `?mode=`. At most {MAX_ROWS:,} rows and 20 MB."
    ),
    "content": {
        # The typed path; CSV below is the same rows as a file (generators that know only
        # JSON and binary bodies can map text/csv to application/octet-stream).
        "application/json": {
            "schema": ImportRequestSchema,
            "example": {"mode": "upsert", "products": [_EXAMPLE_ROW]},
        },
        "text/csv": {
            "schema": {"type": "string", "format": "binary",
                       "description": f"UTF-8 CSV with the header row `{CSV_HEADER_DOC}`"},
            "example": CSV_HEADER_DOC + "\nGLV-NIT-M,\"Nitrile exam gloves, medium\",supplies,12.9900,,Acme,AC-100M,"
            "00012345678905,box,false,1,1,true\n",
        },
    },
}


@blp.route("/products")
class Products(MethodView):
    @blp.arguments(ProductQuerySchema, location="query")
    @blp.response(200, ProductSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Browse and search the catalog (practices: active products; vendors: their own)."""
        pp = pagination_parameters
        return page_of(products.browse(current_principal(), filters, pp.page, pp.page_size), pp)


@blp.route("/products/<int:product_id>")
class ProductItem(MethodView):
    @blp.etag
    @blp.response(200, ProductDetailSchema)
    def get(self, product_id):
        """A product with its price history."""
        detail = products.get_product(current_principal(), product_id)
        blp.set_etag_for(detail.product)
        return detail

    @blp.etag
    @blp.arguments(ProductUpdateSchema(partial=True))
    @blp.response(200, ProductDetailSchema)
    def patch(self, data, product_id):
        """Edit a product (its vendor, If-Match). MSO procurement may set `clinical` only;
        neither unmarks what the other marked clinical (the vendor: 403; the MSO: 409)."""
        detail = products.update_product(current_principal(), product_id, data, request.if_match)
        blp.set_etag_for(detail.product)
        return detail

    @blp.response(200, ProductDetailSchema)
    def delete(self, product_id):
        """Deactivate a product (products are never removed)."""
        return products.deactivate_product(current_principal(), product_id)


@blp.route("/vendors/<int:vendor_id>/products")
class VendorProducts(MethodView):
    @idempotent()
    @blp.arguments(ProductCreateSchema)
    @blp.response(201, ProductDetailSchema)
    def post(self, data, vendor_id):
        """Add one product to the vendor's catalog."""
        return products.create_product(current_principal(), vendor_id, data)


@blp.route("/vendors/<int:vendor_id>/catalog-imports")
class CatalogImports(MethodView):
    @blp.response(200, CatalogImportSummarySchema(many=True))
    @blp.paginate()
    def get(self, vendor_id, pagination_parameters):
        """The vendor's imports, newest first."""
        pp = pagination_parameters
        return page_of(catalog_imports.list_imports(current_principal(), vendor_id, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.doc(requestBody=_IMPORT_BODY_DOC)
    @blp.response(202, CatalogImportSchema)
    def post(self, query, vendor_id):
        """Load a catalog in bulk: answered at once (202), applied by a background job.

        `upsert` creates or updates by SKU; `replace` also deactivates the vendor's products
        the file no longer lists. Follow `GET /catalog-imports/{id}` (or `/jobs/{job_id}`)."""
        if request.mimetype == "text/csv":
            source_format = "csv"
        elif request.is_json:
            source_format = "json"
        else:
            raise DomainError("send application/json or text/csv", status_code=415)
        return catalog_imports.start_import(current_principal(), vendor_id, query.get("mode"), request.get_data(), source_format)


@blp.route("/catalog-imports/<int:import_id>")
class CatalogImportItem(MethodView):
    @blp.response(200, CatalogImportSchema)
    def get(self, import_id):
        """An import's status, counts and the errors of each rejected row."""
        return catalog_imports.get_import(current_principal(), import_id)
