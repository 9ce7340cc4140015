"""What the contract page tests share (tests/web/test_contract_*_pages.py and the
negotiation journeys): a negotiation waiting for MSO procurement, the tier editor's
form, and reading the message shown at an input."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

from sqlalchemy import func, select

from gpo.auth.services import principal_for_user
from gpo.contracts import services
from gpo.contracts.models import Contract, Proposal
from gpo.db import db, transactional, utcnow
from tests.factories import ProductFactory
from tests.pages import text_of

TODAY = utcnow().date()
DISCLOSURE_MESSAGE = ("an admin fee above 3% needs admin_fee_disclosure stating, in writing, the fee's amount "
                      "or maximum (for example 'the fee is 4% of purchase price, at most $25,000 a year')")


class Negotiation:
    """Acme's gloves ($19.99) and masks ($4.05) on a contract MSO procurement opened
    (proposal 1: 0 / 100 units 8% / 250 units 12.5%, fee 2%); Acme countered with
    proposal 2 (0 / 120 units 7.5% / 250 units 12.5%, masks fixed at $3.50 from 250,
    fee 2.5%): it waits for MSO procurement."""

    made = 0

    def __init__(self, world):
        self.world = world
        suffix = "" if not Negotiation.made else f"-{Negotiation.made}"
        Negotiation.made += 1
        self.gloves = ProductFactory(vendor_id=world.vendor.id, sku="GLV" + suffix, name="Nitrile gloves",
                                     list_price=D("19.99"))
        self.masks = ProductFactory(vendor_id=world.vendor.id, sku="MSK" + suffix, name="Masks", list_price=D("4.05"))
        procurement = principal_for_user(world.users["mso_procurement"])
        self.contract_id = transactional(services.create_contract)(procurement, {  # an edge: it emits events
            "vendor_id": world.vendor.id, "title": "Exam gloves 2027", "category": "supplies", "basis": "units",
            "starts_on": TODAY - dt.timedelta(days=1), "ends_on": TODAY + dt.timedelta(days=364),
            "items": [self.gloves.id, self.masks.id],
            "proposal": {"admin_fee_percent": D("2"), "notes": "opening offer", "tiers": [
                {"min_volume": 0, "discount_percent": D("0")},
                {"min_volume": 100, "discount_percent": D("8")},
                {"min_volume": 250, "discount_percent": D("12.5")}]},
        })["id"]
        vendor = principal_for_user(world.users["vendor_admin"])
        transactional(services.counter)(vendor, self.contract_id, {
            "admin_fee_percent": D("2.5"), "notes": "we can do 7.5% from 120", "tiers": [
                {"min_volume": 0, "discount_percent": D("0")},
                {"min_volume": 120, "discount_percent": D("7.5")},
                {"min_volume": 250, "discount_percent": D("12.5"), "item_prices": {self.masks.id: D("3.5")}}]})
        db.session.commit()

    @property
    def path(self) -> str:
        return f"/console/contracts/{self.contract_id}"


def _html(response) -> str:
    return response.get_data(as_text=True)


def proposals_of(contract_id: int) -> list[tuple[int, str]]:
    db.session.expire_all()
    return list(db.session.execute(select(Proposal.number, Proposal.status)
                                   .where(Proposal.contract_id == contract_id).order_by(Proposal.number)).all())


def contract_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Contract.id)))


def editor(*tiers, fee="2.5", disclosure="", notes="") -> dict:
    """The tier editor's form: (min volume, discount, fixed prices) per row."""
    form = {"admin_fee_percent": fee, "admin_fee_disclosure": disclosure, "notes": notes}
    for i, (volume, discount, prices) in enumerate(tiers):
        form.update({f"tiers.{i}.min_volume": volume, f"tiers.{i}.discount_percent": discount,
                     f"tiers.{i}.item_prices": prices})
    return form


def error_at(html: str, field_id: str) -> str:
    """The message shown at an input (its aria-describedby error), or ""."""
    match = re.search(rf'id="{field_id}"[^>]*aria-invalid="true"[^>]*aria-describedby="{field_id}-error"', html) or \
        re.search(rf'id="{field_id}"[^>]*aria-describedby="[^"]*{field_id}-error"[^>]*aria-invalid="true"', html)
    if not match:
        return ""
    found = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return text_of(found.group(1)) if found else ""
