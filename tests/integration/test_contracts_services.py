"""The contracts' use cases called directly (no HTTP): negotiation, terms, prices at a tier."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gpo.auth.services import principal_for_user
from gpo.contracts import services
from gpo.contracts.models import Contract, Proposal
from gpo.contracts.services import ContractSummary
from gpo.contracts.tiers import achieved_tier, price_at
from gpo.db import db, unit_of_work
from gpo.errors import Forbidden, Invalid
from gpo.money import line_cents
from tests.factories import ProductFactory


def procurement(world):
    return principal_for_user(world.users["mso_procurement"])


def vendor_side(world):
    return principal_for_user(world.users["vendor_admin"])


def new_contract(world, products, tiers, admin_fee="2.0", disclosure=None):
    today = services.today()
    return {
        "vendor_id": world.vendor.id, "title": "Exam room supplies", "category": "supplies", "basis": "units",
        "starts_on": today - dt.timedelta(days=1), "ends_on": today + dt.timedelta(days=300),
        "items": [p.id for p in products],
        "proposal": {"tiers": tiers, "admin_fee_percent": Decimal(admin_fee), "admin_fee_disclosure": disclosure,
                     "notes": "opening offer"},
    }


def tier(min_volume, discount, item_prices=None):
    return {"min_volume": min_volume, "discount_percent": Decimal(discount), "item_prices": item_prices or {}}


def contract_count():
    return db.session.scalar(select(func.count()).select_from(Contract))


def test_a_proposal_that_breaks_a_tier_rule_is_refused_with_its_message(world):
    product = ProductFactory(vendor_id=world.vendor.id)
    tiers = [tier(0, "0"), tier(100, "5"), tier(50, "10")]
    with pytest.raises(Invalid) as refused, unit_of_work():
        services.create_contract(procurement(world), new_contract(world, [product], tiers))
    assert refused.value.message == "the proposed terms break a rule: min_volume must be greater than the tier below (100)"
    assert refused.value.errors == {"json": {"tiers": {"2": ["min_volume must be greater than the tier below (100)"]}}}
    assert contract_count() == 0


def test_an_item_price_above_the_tier_below_is_refused(world):
    product = ProductFactory(vendor_id=world.vendor.id, list_price=Decimal("20.0000"))
    tiers = [tier(0, "0"), tier(100, "5", {product.id: Decimal("21.0000")})]
    with pytest.raises(Invalid) as refused, unit_of_work():
        services.create_contract(procurement(world), new_contract(world, [product], tiers))
    assert refused.value.message == ("the proposed terms break a rule: item_prices: product "
                                     f"{product.id} at 21.0000 is above its price at the tier below (20.0000)")
    assert contract_count() == 0


def test_an_admin_fee_above_three_percent_needs_its_disclosure(world):
    product = ProductFactory(vendor_id=world.vendor.id)
    with pytest.raises(Invalid) as refused, unit_of_work():
        services.create_contract(procurement(world), new_contract(world, [product], [tier(0, "0")], admin_fee="4"))
    assert refused.value.message.startswith("the proposed terms break a rule: an admin fee above 3% needs "
                                            "admin_fee_disclosure")
    assert contract_count() == 0


def test_accepting_the_vendors_counter_fixes_its_admin_fee_and_tiers(world):
    product = ProductFactory(vendor_id=world.vendor.id)
    with unit_of_work():
        opened = services.create_contract(procurement(world), new_contract(world, [product], [tier(0, "0")]))
    assert (opened["status"], opened["tiers"], opened["admin_fee_percent"]) == ("negotiating", None, None)
    terms = {"tiers": [tier(0, "0"), tier(100, "10")], "admin_fee_percent": Decimal("2.5"),
             "admin_fee_disclosure": None, "notes": "counter"}
    with unit_of_work():
        countered = services.counter(vendor_side(world), opened["id"], terms)
        assert (countered.number, countered.author_side, countered.status) == (2, "vendor", "open")
    with pytest.raises(Forbidden), unit_of_work():
        services.accept(vendor_side(world), opened["id"], 2)  # one's own proposal
    with unit_of_work():
        agreed = services.accept(procurement(world), opened["id"], 2)
    assert agreed["status"] == "active"
    assert (agreed["admin_fee_percent"], agreed["accepted_proposal_number"]) == (Decimal("2.5000"), 2)
    assert agreed["tiers"] == [{"min_volume": 0, "discount_percent": "0", "item_prices": {}},
                               {"min_volume": 100, "discount_percent": "10", "item_prices": {}}]
    statuses = db.session.execute(select(Proposal.number, Proposal.status).where(Proposal.contract_id == opened["id"])
                                  .order_by(Proposal.number)).all()
    assert [tuple(s) for s in statuses] == [(1, "superseded"), (2, "accepted")]
    # Practices see the terms, never the admin fee.
    seen_by_practice = services.get_contract(principal_for_user(world.users["practice_buyer"]), opened["id"])
    assert "admin_fee_percent" not in seen_by_practice and seen_by_practice["tiers"] == agreed["tiers"]


def test_a_products_price_now_is_its_price_at_the_tier_the_contract_reaches(world):
    gloves = ProductFactory(vendor_id=world.vendor.id, list_price=Decimal("19.9900"))
    masks = ProductFactory(vendor_id=world.vendor.id, list_price=Decimal("8.0000"))
    tiers = [tier(0, "0"), tier(100, "10", {masks.id: Decimal("6.5000")}), tier(500, "12.5", {masks.id: Decimal("6.2500")})]
    with unit_of_work():
        opened = services.create_contract(procurement(world), new_contract(world, [gloves, masks], tiers))
    with unit_of_work():
        services.accept(vendor_side(world), opened["id"], 1)
    contract = db.session.get(Contract, opened["id"])
    assert services.contracts_in_effect_for_product(gloves.id) == [
        ContractSummary(contract.id, "Exam room supplies", contract.starts_on, contract.ends_on)]

    def price_now(product, volume):
        return price_at(achieved_tier(contract.tier_list, volume), product.id, product.list_price)

    assert price_now(gloves, 99) == Decimal("19.9900")
    assert price_now(gloves, 100) == Decimal("17.9910")
    assert price_now(masks, 100) == Decimal("6.5000")
    assert price_now(gloves, 500) == Decimal("17.4913")  # 19.99 x 0.875 = 17.49125, half up
    assert price_now(masks, 500) == Decimal("6.2500")  # its fixed price at this tier, not 8.00 less 12.5%
    assert line_cents(price_now(gloves, 500), 3) == 5247
