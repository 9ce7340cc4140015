"""The demo's contracts: Acme's supplies contract negotiated and in effect, Bolt's IT
contract still in negotiation."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from gpo.accounts.models import Organization, Vendor
from gpo.catalog.models import Product
from gpo.contracts import services as contracts
from gpo.contracts.models import Contract
from gpo.db import db
from gpo.demo.common import principal_of

CONTRACTS = [  # vendor, vendor's negotiator, title, category, skus, agreed
    ("Acme Medical Supply", "admin@acme.example", "Exam room supplies and equipment", "supplies",
     ["GLV-NIT-M", "GLV-NIT-L", "SYR-3ML", "GAU-4X4", "TBL-EXAM-626", "OTO-WALL"], True),
    ("Bolt IT Solutions", "admin@bolt.example", "Practice IT refresh", "it",
     ["LAP-14-PRO", "MON-24", "RTR-SMB"], False),
]


def seed_contracts() -> list[str]:
    """Acme's supplies contract, negotiated and in effect; Bolt's IT contract still in
    negotiation (the vendor's counter waits for MSO procurement)."""
    lines = ["Contracts:"]
    procurement = principal_of("procurement@summit-mso.example")
    year = contracts.today().year
    for vendor_name, vendor_email, title, category, skus, agree in CONTRACTS:
        vendor = db.session.scalars(select(Vendor).where(Organization.name == vendor_name)).one()
        contract = db.session.scalars(select(Contract).where(Contract.title == title)).first()
        if contract is None:
            contract = _negotiate(procurement, vendor, vendor_email, title, category, skus, agree, year)
        lines.append(f" {title} ({vendor_name}): contract {contract.id}, {contract.status_on(contracts.today())}")
    return lines


def _negotiate(procurement, vendor: Vendor, vendor_email: str, title: str, category: str, skus: list[str],
               agree: bool, year: int) -> Contract:
    """MSO procurement's opening offer and the vendor's counter, accepted if `agree`."""
    products = {p.sku: p for p in db.session.scalars(select(Product).where(Product.vendor_id == vendor.id))}
    fixed = {str(products["TBL-EXAM-626"].id): "5800.0000"} if "TBL-EXAM-626" in skus else {}
    opened = contracts.create_contract(procurement, {
        "vendor_id": vendor.id, "title": title, "category": category, "basis": "units",
        "starts_on": dt.date(year, 1, 1), "ends_on": dt.date(year + 1, 12, 31),
        "items": [products[sku].id for sku in skus],
        "proposal": {"admin_fee_percent": Decimal("2.0"), "notes": "opening offer", "tiers": [
            {"min_volume": 0, "discount_percent": Decimal("0")},
            {"min_volume": 100, "discount_percent": Decimal("8"), "item_prices": {}},
            {"min_volume": 250, "discount_percent": Decimal("12.5"),
             "item_prices": {int(k): Decimal(v) for k, v in fixed.items()}},
        ]},
    })
    vendor_side = principal_of(vendor_email)
    contracts.counter(vendor_side, opened["id"], {
        "admin_fee_percent": Decimal("2.0"), "notes": "we can do 7.5% from 120 units", "tiers": [
            {"min_volume": 0, "discount_percent": Decimal("0")},
            {"min_volume": 120, "discount_percent": Decimal("7.5"), "item_prices": {}},
            {"min_volume": 250, "discount_percent": Decimal("12.5"),
             "item_prices": {int(k): Decimal(v) for k, v in fixed.items()}},
        ]})
    if agree:
        contracts.accept(procurement, opened["id"], 2)
    return db.session.get(Contract, opened["id"])
