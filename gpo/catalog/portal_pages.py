"""The vendor portal's catalog (WEB.md "Vendor portal pages"): a supplier's products
(search, active or inactive), uploading a CSV or JSON file that starts a catalog import,
the import's live progress, its result and error report (on the page and as a CSV), and
a product's edit form under If-Match, with deactivate and reactivate. Like the API
routes, each page parses, calls one service of gpo.catalog, and renders."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from gpo import web
from gpo.api import csv_response
from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.catalog import catalog_imports, products
from gpo.catalog.models import CATEGORIES, CATEGORY_WORDS
from gpo.catalog.parsing import CSV_HEADER_DOC, MAX_ROWS
from gpo.catalog.schemas import ProductQuerySchema, ProductUpdateSchema
from gpo.errors import DomainError, PreconditionFailed
from gpo.etags import etag_for
from gpo.web.errors import render_error
from gpo.web.forms import FormErrors, errors_of, load, page_args, refusal, undo_refused
from gpo.web.shell import page_blueprint, recognize_session

blp = page_blueprint("catalog_portal", __name__, "portal", url_prefix="/portal/catalog")
PAGE_SIZE = 25
ERRORS_PAGE_SIZE = 50

IMPORT_WORDS = {
    "queued": "waiting to start",
    "running": "running",
    "finished": "finished",
    "failed": "failed (nothing of it was applied)",
}
MODE_WORDS = {
    "upsert": "add and update (keep the products the file does not list)",
    "replace": "replace (also deactivate the products the file does not list)",
}
ERROR_COLUMNS = ["row", "sku", "field", "message"]
# What the edit form sends: the fields a vendor keeps on a page (clinical is MSO
# procurement's there; active has its own buttons).
EDIT_FIELDS = ("sku", "name", "description", "category", "manufacturer", "manufacturer_part_number", "gtin",
               "unit_of_measure", "list_price", "min_order_quantity", "order_multiple")
CLINICAL_NOT_OFFERED = ("Only MSO procurement marks a product clinical or not clinical on these pages (a clinical "
                        "product needs a physician's approval to order). Your catalog file's clinical column still "
                        "sets it; a product MSO procurement marked clinical stays clinical.")


def _categories():
    return [(c, CATEGORY_WORDS[c]) for c in CATEGORIES]


def waiting(principal) -> list[web.Waiting]:
    """The portal's start page: recent imports whose error report is waiting to be read."""
    return [web.Waiting(f"Import #{row.id} finished with {row.failed} error{'' if row.failed == 1 else 's'}",
                        url_for("catalog_portal.import_detail", import_id=row.id))
            for row in catalog_imports.recent_imports_with_errors(principal)]


# --- the products -------------------------------------------------------------------------


@blp.get("")
def catalog():
    principal = current_principal()
    shown = {name: request.args.get(name, "").strip() for name in ("q", "category", "active")}
    shown["active"] = shown["active"] or "true"
    errors, status = FormErrors(), 200
    try:
        filters = load(ProductQuerySchema(), {k: v for k, v in shown.items() if v})
    except DomainError as exc:
        undo_refused()
        errors, status = errors_of(exc), exc.status_code
        filters = {"sort": "name", "active": True}
    page, page_size = page_args(PAGE_SIZE)
    result = products.browse(principal, filters, page, page_size)
    return render_template("catalog/portal_catalog.html", result=result, shown=shown, errors=errors,
                           categories=_categories(), page=page, page_size=page_size,
                           may_mark_clinical=policy.may(principal, "product.mark_clinical"),
                           clinical_not_offered=CLINICAL_NOT_OFFERED), status


# --- imports ------------------------------------------------------------------------------


def _imports_page(errors: FormErrors | None = None, status: int = 200, mode: str = "upsert"):
    principal = current_principal()
    page, page_size = page_args(PAGE_SIZE)
    result = catalog_imports.list_imports(principal, principal.organization_id, page, page_size)
    max_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    return render_template("catalog/portal_imports.html", result=result, page=page, page_size=page_size,
                           errors=errors or FormErrors(), mode=mode, modes=list(MODE_WORDS.items()),
                           header=CSV_HEADER_DOC, max_rows=MAX_ROWS, max_mb=max_mb), status


@blp.get("/imports")
def imports():
    return _imports_page()


def _upload_errors(exc: DomainError) -> FormErrors:
    """A refused upload: the reason at the file field (or the mode's), nothing written."""
    errors = errors_of(exc)
    fields = {"mode": errors.fields["mode"]} if "mode" in errors.fields else {}
    if not fields:
        detail = exc.message
        header = (exc.errors or {}).get("header") if isinstance(exc.errors, dict) else None
        if isinstance(header, dict):
            detail += " (" + "; ".join(f"{problem}: {', '.join(names)}" for problem, names in header.items()) + ")"
        fields["file"] = detail[0].upper() + detail[1:].rstrip(".") + "."
    return FormErrors(message="The file was not imported; nothing was written.", fields=fields)


@blp.post("/imports")
def upload():
    principal = current_principal()
    upload = request.files.get("file")
    mode = request.form.get("mode", "").strip() or None
    if upload is None or not upload.filename:
        errors = FormErrors(message="The file was not imported; nothing was written.",
                            fields={"file": "Choose a CSV or JSON file to upload."})
        return _imports_page(errors, 422, mode or "upsert")
    try:
        started = catalog_imports.start_upload(principal, principal.organization_id, mode, upload.filename,
                                               upload.mimetype or "", upload.read())
    except DomainError as exc:
        refusal(exc)  # first: what the refused use case did is undone (403/404 go to the error page)
        return _imports_page(_upload_errors(exc), exc.status_code, mode or "upsert")
    flash(f"Import #{started.id} of {upload.filename} ({started.row_count} row{'' if started.row_count == 1 else 's'}) "
          "has started.", "success")
    return redirect(url_for("catalog_portal.import_detail", import_id=started.id))


@blp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A file over MAX_CONTENT_LENGTH is refused while the form is read, so before the
    CSRF check and before the shell recognized the session: the upload form says so at
    the file field, for the signed-in vendor; nothing is written."""
    principal = recognize_session()
    if request.endpoint != "catalog_portal.upload" or principal is None or principal.org_type != "vendor":
        return render_error(413, error.description)
    max_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
    limit = f"{max_mb:g} MB" if max_mb >= 1 else f"{current_app.config.get('MAX_CONTENT_LENGTH')} bytes"
    errors = FormErrors(message="The file was not imported; nothing was written.",
                        fields={"file": f"The file is larger than {limit}, the most one import takes: "
                                        "split it into smaller files."})
    return _imports_page(errors, 413)


@blp.get("/imports/<int:import_id>")
def import_detail(import_id: int):
    page, page_size = page_args(ERRORS_PAGE_SIZE)
    report = catalog_imports.import_report(current_principal(), import_id, page, page_size)
    return render_template("catalog/portal_import.html", report=report, imp=report.catalog_import,
                           page=page, page_size=page_size, modes=MODE_WORDS)


@blp.get("/imports/<int:import_id>/errors.csv")
def import_errors_csv(import_id: int):
    """The error report as a CSV (row, sku, field, message; every cell safe from
    spreadsheet formulas: csv_response)."""
    catalog_import, rows = catalog_imports.error_report(current_principal(), import_id)
    return csv_response(rows, ERROR_COLUMNS, f"catalog-import-{catalog_import.id}-errors.csv")


# --- one product --------------------------------------------------------------------------


def _product_page(product_id: int, errors: FormErrors | None = None, status: int = 200,
                  posted: dict | None = None, stale: bool = False):
    principal = current_principal()
    detail = products.get_product(principal, product_id)
    product = detail.product
    values = {name: getattr(product, name) for name in EDIT_FIELDS}
    values["gtin"] = values["gtin"] or ""
    values["list_price"] = format(product.list_price.normalize(), "f") if product.list_price is not None else ""
    if posted is not None:
        values.update(posted)
    return render_template("catalog/portal_product.html", detail=detail, product=product, values=values,
                           etag=etag_for(product), errors=errors or FormErrors(), stale=stale,
                           categories=_categories(),
                           may_mark_clinical=policy.may(principal, "product.mark_clinical"),
                           clinical_not_offered=CLINICAL_NOT_OFFERED), status


def _posted_product() -> dict:
    """The edit form as the API's PATCH body: every field it sends (a cleared optional
    text field is "", a cleared GTIN none; a cleared required field is refused)."""
    data = {name: request.form.get(name, "").strip() for name in EDIT_FIELDS if name in request.form}
    if data.get("gtin") == "":
        data["gtin"] = None
    return data


def _if_match() -> list[str]:
    etag = request.form.get("etag", "").strip()
    return [etag] if etag else []


def _stale(product_id: int, exc: PreconditionFailed):
    undo_refused()
    errors = FormErrors(message=f"Nothing was saved: {exc.message}. The form now shows the product as it is "
                                "now; make your change again if it is still right.")
    return _product_page(product_id, errors, exc.status_code, stale=True)


@blp.get("/products/<int:product_id>")
def product(product_id: int):
    return _product_page(product_id)


@blp.post("/products/<int:product_id>")
def product_save(product_id: int):
    principal = current_principal()
    posted = _posted_product()
    shown = {k: ("" if v is None else v) for k, v in posted.items()}
    etag = request.form.get("etag", "").strip()
    try:
        data = load(ProductUpdateSchema(partial=True), posted)
        detail = products.update_product(principal, product_id, data, _if_match())
    except PreconditionFailed as exc:
        return _stale(product_id, exc)
    except DomainError as exc:
        errors = refusal(exc)
        if exc.status_code == 409:
            errors.fields.setdefault("sku", exc.message[0].upper() + exc.message[1:] + ".")
        errors.message = errors.message if exc.status_code == 422 else f"Nothing was saved: {exc.message}."
        return _product_page(product_id, errors, exc.status_code, posted=shown)
    if etag_for(detail.product) == etag:
        flash("Nothing changed: the product is as it was.", "info")
    else:
        flash(f"{detail.product.sku} is saved.", "success")
    return redirect(url_for("catalog_portal.product", product_id=product_id))


@blp.post("/products/<int:product_id>/deactivate")
def product_deactivate(product_id: int):
    """As the API's DELETE (products are never removed; no If-Match there either)."""
    try:
        detail = products.deactivate_product(current_principal(), product_id)
    except DomainError as exc:
        return _product_page(product_id, refusal(exc), exc.status_code)
    flash(f"{detail.product.sku} is deactivated: practices no longer see it in the shop.", "success")
    return redirect(url_for("catalog_portal.product", product_id=product_id))


@blp.post("/products/<int:product_id>/reactivate")
def product_reactivate(product_id: int):
    """The API's PATCH {"active": true} under If-Match."""
    try:
        detail = products.update_product(current_principal(), product_id, {"active": True}, _if_match())
    except PreconditionFailed as exc:
        return _stale(product_id, exc)
    except DomainError as exc:
        return _product_page(product_id, refusal(exc), exc.status_code)
    flash(f"{detail.product.sku} is active again: practices see it in the shop.", "success")
    return redirect(url_for("catalog_portal.product", product_id=product_id))

