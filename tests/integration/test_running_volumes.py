"""The running volumes (gpo/orders/running_volumes.py) after every kind of change of a
confirmed order equal what the lines themselves add up to: a recount from the lines,
the close's own count (units or list cents per contract of the confirmed lines), and
the savings at the next tier that rules.savings_at_next_tier computes over the lines,
to the cent."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gpo.auth.services import principal_for_user
from gpo.contracts import services as contracts
from gpo.contracts.models import Contract, Proposal
from gpo.contracts.tiers import achieved_index
from gpo.db import db, line_cents_sql, transactional, unit_of_work
from gpo.etags import etag_for
from gpo.orders import cart, ordering, rules, running_volumes, tier_progress
from gpo.orders.close import close_cycle
from gpo.orders.models import CycleContractResult, Order, OrderLine, RunningVolume
from tests.factories import ContractFactory, CycleFactory, ProductFactory

UNIT_TIERS = [
    {"min_volume": 0, "discount_percent": "0", "item_prices": {}},
    {"min_volume": 100, "discount_percent": "10", "item_prices": {}},
    {"min_volume": 250, "discount_percent": "12.5", "item_prices": {}},
]
SPEND_TIERS = [
    {"min_volume": 0, "discount_percent": "0", "item_prices": {}},
    {"min_volume": 500000, "discount_percent": "5.5", "item_prices": {}},
]


class Shop:
    """An open cycle; Acme's units contract on gloves, masks (10 at least, by fives) and a
    clinical exam table (fixed at 2950.0000 at the top tier); Bolt's spend contract on a
    server; the principals of `world` as services see them."""

    def __init__(self, world):
        self.world = world
        self.gloves = ProductFactory(vendor_id=world.vendor.id, sku="GLV", list_price=D("19.99"))
        self.masks = ProductFactory(vendor_id=world.vendor.id, sku="MSK", list_price=D("4.05"),
                                    min_order_quantity=10, order_multiple=5)
        self.table = ProductFactory(vendor_id=world.vendor.id, sku="TBL", list_price=D("3400.00"), clinical=True)
        self.server = ProductFactory(vendor_id=world.other_vendor.id, sku="SRV", list_price=D("1234.5675"))
        tiers = [dict(t) for t in UNIT_TIERS]
        tiers[2] = {**tiers[2], "item_prices": {str(self.table.id): "2950.0000"}}
        self.units = ContractFactory(vendor_id=world.vendor.id, tiers=tiers,
                                     products=[self.gloves, self.masks, self.table])
        self.spend = ContractFactory(vendor_id=world.other_vendor.id, basis="spend", tiers=SPEND_TIERS,
                                     products=[self.server])
        self.cycle_id = CycleFactory().id
        self.buyer = principal_for_user(world.users["practice_buyer"])
        self.physician = principal_for_user(world.users["practice_physician"])
        self.procurement = principal_for_user(world.users["mso_procurement"])
        self.vendor = principal_for_user(world.users["vendor_admin"])

    def order(self, who, lines, submit=True):
        return transactional(ordering.place_order)(who, {
            "location_id": self.world.location.id, "submit": submit,
            "lines": [{"product_id": product.id, "quantity": quantity} for product, quantity in lines]})

    def edit(self, who, order, lines):
        return transactional(ordering.edit_order)(
            who, order.id, {"lines": [{"product_id": p.id, "quantity": q} for p, q in lines]}, {etag_for(order)})


@pytest.fixture
def shop(world):
    return Shop(world)


# --- the oracle: what the lines themselves add up to ---------------------------------------


def counted_from_the_lines(cycle_id: int) -> dict[int, tuple[int, int]]:
    """contract id -> (units, list cents) of the cycle's confirmed lines, as the close
    counts them (gpo/orders/close.py _decide_tiers): straight from order_lines."""
    rows = db.session.execute(
        select(OrderLine.contract_id, func.sum(OrderLine.quantity),
               func.sum(line_cents_sql(OrderLine.list_price, OrderLine.quantity)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.cycle_id == cycle_id, Order.status == "confirmed").group_by(OrderLine.contract_id)).all()
    return {contract_id: (int(units), int(spend)) for contract_id, units, spend in rows}


def savings_from_the_lines(cycle_id: int, contract: Contract) -> int | None:
    """rules.savings_at_next_tier over the contract's confirmed lines (None at the top)."""
    units, spend = counted_from_the_lines(cycle_id).get(contract.id, (0, 0))
    tiers = contract.tier_list
    index = achieved_index(tiers, units if contract.basis == "units" else spend)
    if index + 1 == len(tiers):
        return None
    lines = db.session.execute(
        select(OrderLine.product_id, OrderLine.list_price, OrderLine.quantity, func.count())
        .join(Order).where(Order.cycle_id == cycle_id, Order.status == "confirmed", OrderLine.contract_id == contract.id)
        .group_by(OrderLine.product_id, OrderLine.list_price, OrderLine.quantity)).all()
    return rules.savings_at_next_tier(tiers[index], tiers[index + 1], lines)


def stored_rows(cycle_id: int) -> list[tuple]:
    """The cycle's running-volume rows that hold anything (a slot emptied by a cancel
    keeps zero rows; a recount writes none)."""
    return [tuple(row) for row in db.session.execute(
        select(RunningVolume.contract_id, RunningVolume.slot, RunningVolume.tier_index, RunningVolume.units,
               RunningVolume.list_cents, RunningVolume.tier_cents)
        .where(RunningVolume.cycle_id == cycle_id)
        .order_by(RunningVolume.contract_id, RunningVolume.slot, RunningVolume.tier_index)) if any(row[3:])]


def recounted_rows(cycle_id: int) -> list[tuple]:
    """The rows a recount from the lines writes (rolled back: nothing changes)."""
    with unit_of_work() as unit:
        running_volumes.recount(cycle_id)
        rows = stored_rows(cycle_id)
        unit.discard()
    return rows


def assert_agree(shop: Shop) -> None:
    """Running volumes == a recount from the lines == the close's count; tier progress's
    savings == rules.savings_at_next_tier over the lines."""
    db.session.expire_all()
    cycle_id = shop.cycle_id
    assert stored_rows(cycle_id) == recounted_rows(cycle_id)
    running = {cid: (v.units, v.list_cents) for cid, v in running_volumes.volumes(
        cycle_id, [shop.units.id, shop.spend.id]).items() if v.units}
    assert running == counted_from_the_lines(cycle_id)
    for contract in (db.session.get(Contract, shop.units.id), db.session.get(Contract, shop.spend.id)):
        progress = tier_progress.tier_progress(shop.procurement, contract.id, cycle_id)
        units, spend = counted_from_the_lines(cycle_id).get(contract.id, (0, 0))
        assert progress.volume == (units if contract.basis == "units" else spend)
        assert progress.savings_at_next_tier_cents == savings_from_the_lines(cycle_id, contract)
    db.session.commit()


# --- each kind of change ------------------------------------------------------------------


def test_savings_at_the_next_tier_round_each_line_by_hand(shop):
    """Two orders of 7 gloves (19.99): 7 x 19.99 = 139.93 at list, 7 x 17.991 = 125.937 ->
    125.94 at 10% off: each saves 13.99, together 27.98. Pooled first (14 x 17.991 =
    251.874 -> 251.87 against 279.86) it would be 27.99: the cent the rule keeps."""
    shop.order(shop.buyer, [(shop.gloves, 7)])
    shop.order(shop.buyer, [(shop.gloves, 7)])
    progress = tier_progress.tier_progress(shop.buyer, shop.units.id, shop.cycle_id)
    assert (progress.volume, progress.volume_to_next_tier, progress.savings_at_next_tier_cents) == (14, 86, 2798)
    assert savings_from_the_lines(shop.cycle_id, shop.units) == 2798
    volume = running_volumes.volumes(shop.cycle_id, [shop.units.id])[shop.units.id]
    # per tier: list 13993 x 2; 10% off 12594 x 2; 12.5% off 17.4913 x 7 = 122.4391 -> 12244 x 2
    assert volume == running_volumes.Volume(units=14, list_cents=27986, tier_cents=(27986, 25188, 24488))
    assert_agree(shop)


def test_placing_approving_editing_submitting_and_cancelling(shop):
    confirmed = shop.order(shop.buyer, [(shop.gloves, 60), (shop.masks, 20), (shop.server, 3)])
    assert confirmed.status == "confirmed"
    assert_agree(shop)

    clinical = shop.order(shop.buyer, [(shop.table, 1), (shop.gloves, 10)])
    assert clinical.status == "awaiting_approval"
    assert_agree(shop)  # waiting for a physician: counts nothing
    approved = transactional(ordering.approve_order)(shop.physician, clinical.id, {etag_for(clinical)})
    assert approved.status == "confirmed"
    assert_agree(shop)

    edited = shop.edit(shop.buyer, confirmed, [(shop.gloves, 45), (shop.server, 5)])
    assert edited.status == "confirmed"
    assert_agree(shop)
    back_to_waiting = shop.edit(shop.buyer, db.session.get(Order, approved.id), [(shop.table, 2)])
    assert back_to_waiting.status == "awaiting_approval"  # changed clinical lines need a physician again
    assert_agree(shop)

    draft = shop.order(shop.buyer, [(shop.masks, 200)], submit=False)
    assert_agree(shop)
    submitted = transactional(ordering.submit_order)(shop.buyer, draft.id)
    assert submitted.status == "confirmed"
    assert_agree(shop)

    transactional(ordering.cancel_order)(shop.buyer, edited.id)
    assert_agree(shop)
    by_physician = shop.order(shop.physician, [(shop.table, 3)])  # carries its approval
    assert by_physician.status == "confirmed"
    assert_agree(shop)
    # left confirmed: 200 masks and 3 tables, 203 units: 10% off
    progress = tier_progress.tier_progress(shop.buyer, shop.units.id, shop.cycle_id)
    assert (progress.volume, progress.achieved_tier["min_volume"]) == (203, 100)


def test_the_cart_counts_once_submitted(shop):
    added = transactional(cart.add_to_cart)(shop.buyer, shop.world.location.id, [
        {"product_id": shop.gloves.id, "quantity": 30}])
    transactional(cart.add_to_cart)(shop.buyer, shop.world.location.id, [{"product_id": shop.gloves.id, "quantity": 5}])
    assert_agree(shop)
    assert running_volumes.volumes(shop.cycle_id, [shop.units.id]) == {}
    transactional(ordering.submit_order)(shop.buyer, added.id)
    assert running_volumes.volumes(shop.cycle_id, [shop.units.id])[shop.units.id].units == 35
    assert_agree(shop)


def test_estimated_prices_follow_the_running_volume(shop):
    first = shop.order(shop.buyer, [(shop.gloves, 95)])
    assert first.lines[0].estimated_unit_price == D("19.9900")
    second = shop.order(shop.buyer, [(shop.gloves, 5)])  # 100 units: 10% off for both
    assert second.lines[0].estimated_unit_price == D("17.9910")
    assert ordering.get_order(shop.buyer, first.id).lines[0].estimated_unit_price == D("17.9910")
    transactional(ordering.cancel_order)(shop.buyer, second.id)
    assert ordering.get_order(shop.buyer, first.id).lines[0].estimated_unit_price == D("19.9900")


def test_tiers_agreed_while_the_cycle_is_open_price_the_lines_again(shop):
    shop.order(shop.buyer, [(shop.gloves, 7), (shop.masks, 10)])
    shop.order(shop.buyer, [(shop.gloves, 13)])
    db.session.add(Proposal(contract_id=shop.units.id, number=1, author_side="mso", author_label="mso",
                            tiers=UNIT_TIERS, admin_fee_percent=D("2.0"), status="accepted"))
    db.session.commit()
    renewed = [{"min_volume": 0, "discount_percent": D("1")}, {"min_volume": 25, "discount_percent": D("7.25")}]
    proposal = transactional(contracts.counter)(shop.vendor, shop.units.id, {
        "tiers": renewed, "admin_fee_percent": D("2.0")})
    transactional(contracts.accept)(shop.procurement, shop.units.id, proposal.number)
    assert_agree(shop)  # two tiers now, each line priced at 1% and 7.25% off
    volume = running_volumes.volumes(shop.cycle_id, [shop.units.id])[shop.units.id]
    assert len(volume.tier_cents) == 2 and volume.units == 30


def test_the_close_counts_what_the_running_volumes_say_and_they_are_dropped(shop):
    shop.order(shop.buyer, [(shop.gloves, 60), (shop.masks, 25), (shop.server, 410)])
    shop.order(shop.physician, [(shop.table, 1), (shop.gloves, 40)])
    waiting = shop.order(shop.buyer, [(shop.table, 2)])  # misses the cycle
    assert waiting.status == "awaiting_approval"
    assert_agree(shop)
    running = running_volumes.volumes(shop.cycle_id, [shop.units.id, shop.spend.id])
    expected = {shop.units.id: running[shop.units.id].units, shop.spend.id: running[shop.spend.id].list_cents}
    assert expected == {shop.units.id: 126, shop.spend.id: 50617268}  # 410 x 1234.5675 = 506172.675

    transactional(close_cycle)(shop.cycle_id)
    counted = dict(db.session.execute(select(CycleContractResult.contract_id, CycleContractResult.volume)
                                      .where(CycleContractResult.cycle_id == shop.cycle_id)).all())
    assert counted == expected
    assert db.session.scalar(select(func.count()).select_from(RunningVolume)) == 0  # nothing confirmed now
    assert tier_progress.tier_progress(shop.buyer, shop.units.id, shop.cycle_id).volume == 0


def test_recount_rebuilds_lines_written_with_sql(shop):
    order = shop.order(shop.buyer, [(shop.gloves, 10)])
    db.session.add(OrderLine(order_id=order.id, product_id=shop.masks.id, contract_id=shop.units.id, quantity=15,
                             list_price=shop.masks.list_price))  # as a bench writes lines: no delta
    db.session.commit()
    assert stored_rows(shop.cycle_id) != recounted_rows(shop.cycle_id)
    transactional(running_volumes.recount)(shop.cycle_id, shop.units.id)
    assert_agree(shop)


def test_the_cli_recounts_a_cycle(app, shop):
    shop.order(shop.buyer, [(shop.gloves, 10)])
    db.session.execute(RunningVolume.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["gpo", "recount-volumes", str(shop.cycle_id)])
    assert result.exit_code == 0, result.output
    assert "recounted" in result.output
    assert_agree(shop)
    assert app.test_cli_runner().invoke(args=["gpo", "recount-volumes", "999999"]).exit_code != 0


def test_the_migration_fills_them_from_the_confirmed_lines(shop):
    """0015_running_volumes, run on a database holding orders, writes the rows the
    orders would have kept (drafts and orders awaiting a physician count nothing)."""
    from flask_migrate import downgrade, upgrade

    shop.order(shop.buyer, [(shop.gloves, 7), (shop.masks, 10), (shop.server, 3)])
    shop.order(shop.physician, [(shop.table, 1), (shop.gloves, 13)])
    shop.order(shop.buyer, [(shop.table, 1)])
    shop.order(shop.buyer, [(shop.gloves, 50)], submit=False)
    kept = stored_rows(shop.cycle_id)
    assert kept == recounted_rows(shop.cycle_id) and kept
    db.session.commit()
    db.session.remove()
    downgrade(revision="0014_notifications")  # drops the table
    upgrade()  # creates it again and fills it from the lines
    assert stored_rows(shop.cycle_id) == kept


# --- any sequence of changes ---------------------------------------------------------------


ACTIONS = st.sampled_from(["place", "place", "approve", "cancel", "edit", "submit"])


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_sequence_of_changes_keeps_them_equal_to_the_lines(shop, data):
    """Random places (drafts, clinical or not, by a buyer or a physician), approvals,
    edits, submits and cancels on two contracts: after each, the running volumes
    agree with the lines. The examples share one cycle: the invariant holds throughout."""
    products = [(shop.gloves, st.integers(1, 40)), (shop.masks, st.sampled_from([10, 15, 50])),
                (shop.table, st.integers(1, 2)), (shop.server, st.integers(1, 300))]

    def some_lines():
        chosen = data.draw(st.lists(st.sampled_from(range(len(products))), min_size=1, max_size=3, unique=True))
        return [(products[i][0], data.draw(products[i][1])) for i in chosen]

    def open_orders(status=None):
        stmt = select(Order).where(Order.cycle_id == shop.cycle_id,
                                   Order.status.in_([status] if status else ["draft", "awaiting_approval", "confirmed"]))
        return db.session.scalars(stmt.order_by(Order.id)).all()

    for action in data.draw(st.lists(ACTIONS, min_size=1, max_size=5)):
        who = data.draw(st.sampled_from([shop.buyer, shop.physician]))
        if action == "place":
            shop.order(who, some_lines(), submit=data.draw(st.booleans()))
        else:
            status = {"approve": "awaiting_approval", "submit": "draft"}.get(action)
            candidates = open_orders(status)
            if not candidates:
                continue
            order = data.draw(st.sampled_from(candidates))
            if action == "approve":
                transactional(ordering.approve_order)(shop.physician, order.id, {etag_for(order)})
            elif action == "submit":
                transactional(ordering.submit_order)(who, order.id)
            elif action == "cancel":
                transactional(ordering.cancel_order)(who, order.id)
            else:
                shop.edit(who, order, some_lines())
        assert_agree(shop)
