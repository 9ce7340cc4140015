"""The demo's contracts: Acme's supplies and furniture contracts and Bolt's IT support
contract negotiated and in effect, Bolt's IT refresh contract still in negotiation (the
vendor's counter waits for MSO procurement; it would start on the first of next month),
and the MSO's offer to renew Acme's gloves and gauze after the supplies contract ends
(waiting for admin@acme.example)."""
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

# The vendor's counter (what is agreed): (min_volume, discount_percent) from the base tier up.
SUPPLIES_TIERS = [(0, "0"), (120, "7.5"), (250, "12.5")]
# Acme nets the furniture contract's admin fee from what the MSO pays it (a deduction on
# each settlement); the other contracts' fees the vendors remit themselves.
NETTED = {"Exam room furniture"}
CONTRACTS = [  # vendor, vendor's negotiator, title, category, skus, agreed, the counter's tiers
    # (agreed contracts run from January of the year half a year ago; one still in
    # negotiation starts on the first of next month, so accepting it reads sensibly)
    ("Acme Medical Supply", "admin@acme.example", "Exam room supplies and equipment", "supplies",
     ["GLV-NIT-M", "GLV-NIT-L", "SYR-3ML", "GAU-4X4", "TBL-EXAM-626", "OTO-WALL"], True, SUPPLIES_TIERS),
    ("Bolt IT Solutions", "admin@bolt.example", "Practice IT refresh", "it",
     ["LAP-14-PRO", "MON-24", "RTR-SMB"], False, SUPPLIES_TIERS),
    ("Acme Medical Supply", "admin@acme.example", "Exam room furniture", "equipment",
     ["STOOL-PNEU", "SCALE-DIG"], True, [(0, "0"), (10, "5"), (25, "9")]),
    ("Bolt IT Solutions", "admin@bolt.example", "Managed IT support", "services",
     ["SUP-HELP-HR"], True, [(0, "0"), (40, "6"), (100, "10")]),
]


def seed_contracts() -> list[str]:
    """Acme's supplies and furniture contracts and Bolt's IT support, negotiated and in
    effect since January (of the year half a year ago, so the demo's months of history
    fall inside them); Bolt's IT refresh still in negotiation (the vendor's counter
    waits for MSO procurement), for a year from the first of next month."""
    lines = ["Contracts:"]
    procurement = principal_of("procurement@summit-mso.example")
    year = (contracts.today() - dt.timedelta(days=183)).year
    for vendor_name, vendor_email, title, category, skus, agree, tiers in CONTRACTS:
        vendor = db.session.scalars(select(Vendor).where(Organization.name == vendor_name)).one()
        contract = db.session.scalars(select(Contract).where(Contract.title == title)).first()
        if contract is None:
            contract = _negotiate(procurement, vendor, vendor_email, title, category, skus, agree, year, tiers)
        lines.append(f" {title} ({vendor_name}): contract {contract.id}, {contract.status_on(contracts.today())}")
    renewal = db.session.scalars(select(Contract).where(Contract.title == RENEWAL_TITLE)).first()
    if renewal is None:
        renewal = _offer_renewal(procurement, year)
    lines.append(f" {RENEWAL_TITLE} (Acme Medical Supply): contract {renewal.id}, "
                 f"{renewal.status_on(contracts.today())}, the MSO's proposal waits for admin@acme.example")
    return lines


RENEWAL_TITLE = "Exam gloves and gauze renewal"


def first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _offer_renewal(procurement, year: int) -> Contract:
    """MSO procurement's opening offer to renew Acme's gloves and gauze once the supplies
    contract ends (no overlap, so Acme may accept it): it waits for the vendor."""
    vendor = db.session.scalars(select(Vendor).where(Organization.name == "Acme Medical Supply")).one()
    products = {p.sku: p for p in db.session.scalars(select(Product).where(Product.vendor_id == vendor.id))}
    opened = contracts.create_contract(procurement, {
        "vendor_id": vendor.id, "title": RENEWAL_TITLE, "category": "supplies", "basis": "units",
        "starts_on": dt.date(year + 2, 1, 1), "ends_on": dt.date(year + 2, 12, 31),
        "items": [products[sku].id for sku in ("GLV-NIT-M", "GLV-NIT-L", "GAU-4X4")],
        "proposal": {"admin_fee_percent": Decimal("2.0"), "notes": "renewal: a lower first tier than this year's",
                     "tiers": [{"min_volume": 0, "discount_percent": Decimal("0")},
                               {"min_volume": 100, "discount_percent": Decimal("8")},
                               {"min_volume": 250, "discount_percent": Decimal("13")}]},
    })
    return db.session.get(Contract, opened["id"])


def _negotiate(procurement, vendor: Vendor, vendor_email: str, title: str, category: str, skus: list[str],
               agree: bool, year: int, tiers: list[tuple[int, str]]) -> Contract:
    """MSO procurement's opening offer and the vendor's counter, accepted if `agree`."""
    products = {p.sku: p for p in db.session.scalars(select(Product).where(Product.vendor_id == vendor.id))}
    fixed = {str(products["TBL-EXAM-626"].id): "5800.0000"} if "TBL-EXAM-626" in skus else {}
    if agree:
        starts_on, ends_on = dt.date(year, 1, 1), dt.date(year + 1, 12, 31)
    else:
        starts_on = first_of_next_month(contracts.today())
        ends_on = starts_on.replace(year=starts_on.year + 1) - dt.timedelta(days=1)
    settlement = "netted" if title in NETTED else "remitted"
    opened = contracts.create_contract(procurement, {
        "vendor_id": vendor.id, "title": title, "category": category, "basis": "units",
        "starts_on": starts_on, "ends_on": ends_on,
        "items": [products[sku].id for sku in skus],
        "proposal": {
            "admin_fee_percent": Decimal("2.0"), "notes": "opening offer", "admin_fee_settlement": settlement,
            "tiers": [
                {"min_volume": 0, "discount_percent": Decimal("0")},
                {"min_volume": 100, "discount_percent": Decimal("8"), "item_prices": {}},
                {"min_volume": 250, "discount_percent": Decimal("12.5"),
                 "item_prices": {int(k): Decimal(v) for k, v in fixed.items()}},
            ]},
    })
    vendor_side = principal_of(vendor_email)
    contracts.counter(vendor_side, opened["id"], {
        "admin_fee_percent": Decimal("2.0"), "notes": f"we can do {tiers[1][1]}% from {tiers[1][0]} units",
        "admin_fee_settlement": settlement, "tiers": [
            {"min_volume": volume, "discount_percent": Decimal(discount),
             **({"item_prices": {int(k): Decimal(v) for k, v in fixed.items()} if i == 2 else {}} if i else {})}
            for i, (volume, discount) in enumerate(tiers)]})
    if agree:
        contracts.accept(procurement, opened["id"], 2)
    return db.session.get(Contract, opened["id"])
