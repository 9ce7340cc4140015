"""The demo's catalogs: Acme's supplies and equipment, Bolt's IT, each loaded through a
bulk import as vendors do; then Acme's admin uploads a CSV with two bad rows, whose
error report waits in the vendor portal."""
from __future__ import annotations

import json

from sqlalchemy import select

from gpo.accounts.models import Organization, Vendor
from gpo.auth.principal import Principal
from gpo.auth.roles import API_KEY_ROLE
from gpo.catalog.catalog_imports import start_import
from gpo.catalog.models import CatalogImport, Product
from gpo.db import db
from gpo.demo.common import principal_of, wait_until_done

ACME_CATALOG = [
    # sku, name, category, list price, manufacturer, part number, clinical, min qty, multiple
    ("GLV-NIT-M", "Nitrile exam gloves, medium, box of 100", "supplies", "12.9900", "Acme", "AC-100M", False, 1, 1),
    ("GLV-NIT-L", "Nitrile exam gloves, large, box of 100", "supplies", "12.9900", "Acme", "AC-100L", False, 1, 1),
    ("SYR-3ML", "Syringe 3 mL luer lock, box of 100", "supplies", "18.5000", "Becton", "BD-309657", True, 1, 1),
    ("GAU-4X4", "Gauze sponges 4x4, sleeve of 200", "supplies", "7.2500", "Acme", "AC-G44", False, 2, 2),
    ("TBL-EXAM-626", "Power exam table 626", "equipment", "6450.0000", "Midmark", "626-001", True, 1, 1),
    # a cheaper table, off contract: Acme offers it as a substitute for a power exam table
    ("TBL-EXAM-204", "Manual exam table 204", "equipment", "3195.0000", "Midmark", "204-001", True, 1, 1),
    ("OTO-WALL", "Wall diagnostic set (otoscope, ophthalmoscope)", "equipment", "1189.0000", "Welch Allyn", "767-EXAM",
     True, 1, 1),
    ("STOOL-PNEU", "Pneumatic exam stool", "equipment", "329.0000", "Midmark", "270-001", False, 1, 1),
    ("SCALE-DIG", "Digital physician scale", "equipment", "899.0000", "Detecto", "6855DHR", False, 1, 1),
]
BOLT_CATALOG = [
    ("LAP-14-PRO", "14-inch business laptop, 16 GB, 512 GB", "it", "1249.0000", "Lenovo", "21HD0036US", False, 1, 1),
    ("MON-24", "24-inch monitor", "it", "219.9900", "Dell", "P2422H", False, 1, 1),
    ("RTR-SMB", "Small-office router with firewall", "it", "449.0000", "Ubiquiti", "UDM-PRO", False, 1, 1),
    ("SUP-HELP-HR", "Managed IT support, per hour", "services", "95.0000", "Bolt", "SVC-HR", False, 4, 1),
]

# Acme's admin re-sends two products as they are and two broken rows (a negative price,
# an unknown category): the import finishes with 2 unchanged and 2 failed.
ACME_CSV_WITH_ERRORS = (
    "sku,name,category,list_price\n"
    'GLV-NIT-M,"Nitrile exam gloves, medium, box of 100",supplies,12.9900\n'
    'GLV-NIT-L,"Nitrile exam gloves, large, box of 100",supplies,12.9900\n'
    'GLV-NIT-XL,"Nitrile exam gloves, extra large, box of 100",supplies,-12.99\n'
    "MSK-SURG-50,Surgical masks box of 50,medical,8.5000\n"
)
ACME_ADMIN = "admin@acme.example"

FIELDS = ("sku", "name", "category", "list_price", "manufacturer", "manufacturer_part_number",
          "clinical", "min_order_quantity", "order_multiple")


def seed_catalog() -> list[str]:
    """Acme's and Bolt's catalogs, each loaded through a bulk import (as vendors do)."""
    lines = ["Catalog:"]
    for vendor_name, catalog in (("Acme Medical Supply", ACME_CATALOG), ("Bolt IT Solutions", BOLT_CATALOG)):
        vendor = db.session.scalars(select(Vendor).where(Organization.name == vendor_name)).one()
        has_products = db.session.scalars(select(Product.id).where(Product.vendor_id == vendor.id)).first()
        if not has_products:
            _import_catalog(vendor, vendor_name, catalog)
        if vendor_name == "Acme Medical Supply":
            _upload_with_errors(vendor)
        latest = db.session.scalars(
            select(CatalogImport).where(CatalogImport.vendor_id == vendor.id).order_by(CatalogImport.id.desc())
        ).first()
        if latest is not None:
            lines.append(f" {vendor_name}: catalog import {latest.id} {latest.status}, "
                         f"{latest.created} created, {latest.failed} failed (GET /api/v1/catalog-imports/{latest.id};"
                         f" {ACME_ADMIN if vendor_name.startswith('Acme') else 'its admin'} sees it at"
                         f" /portal/catalog/imports/{latest.id})")
    return lines


def _import_catalog(vendor: Vendor, vendor_name: str, catalog: list[tuple]) -> None:
    """Upsert `catalog` as the vendor's integration would, and wait for the import."""
    principal = Principal(kind="system", organization_id=vendor.id, org_type="vendor",
                          roles=frozenset({API_KEY_ROLE}), label=f"demo data for {vendor_name}")
    body = {"mode": "upsert", "products": [dict(zip(FIELDS, row, strict=True)) for row in catalog]}
    accepted = start_import(principal, vendor.id, None, json.dumps(body).encode(), "json")
    wait_until_done(f"catalog import {accepted.id}",
                    select(CatalogImport.status).where(CatalogImport.id == accepted.id), ("finished", "failed"))


def _upload_with_errors(vendor: Vendor) -> None:
    """Acme's admin uploaded ACME_CSV_WITH_ERRORS from the portal (once)."""
    has_errors = db.session.scalars(
        select(CatalogImport.id).where(CatalogImport.vendor_id == vendor.id, CatalogImport.failed > 0)
    ).first()
    if has_errors:
        return
    accepted = start_import(principal_of(ACME_ADMIN), vendor.id, "upsert", ACME_CSV_WITH_ERRORS.encode(), "csv")
    wait_until_done(f"catalog import {accepted.id}",
                    select(CatalogImport.status).where(CatalogImport.id == accepted.id), ("finished", "failed"))
