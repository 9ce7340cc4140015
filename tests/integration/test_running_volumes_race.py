"""32 orders placed at once on one contract (PostgreSQL: real concurrent transactions):
none waits for another's running-volume row, and none loses a unit."""
from __future__ import annotations

import threading
import time
from decimal import Decimal as D

from sqlalchemy import func, select, text

from gpo.auth.services import principal_for_user
from gpo.db import db, unit_of_work
from gpo.orders import ordering, running_volumes
from gpo.orders.close import close_cycle
from gpo.orders.models import CycleContractResult, Order, OrderLine, RunningVolume
from tests.factories import ContractFactory, CycleFactory, ProductFactory

ORDERS = 32
HELD = 0.3  # seconds each order keeps its transaction open after adding to its slot


def test_32_orders_at_once_on_one_contract_neither_wait_nor_lose_a_unit(app, world, postgresql_only):
    """Each order runs in its own thread, app context, session and transaction, with
    `SET LOCAL lock_timeout = '100ms'`, and keeps its transaction open for 300 ms after
    placing (its running-volume rows locked, uncommitted). They all start together, and
    the pool lets 15 run at once. With one counter row per contract, the second order
    would wait for the first's row lock for up to 300 ms and fail at 100 ms
    (LockNotAvailable); with slots (order id % 64) each order updates rows no other
    order in flight holds, so all 32 commit. Then the running volume is the lines'
    units, the 32 orders used 32 slots, and the close counts the same."""
    gloves = ProductFactory(vendor_id=world.vendor.id, list_price=D("19.99"))
    contract_id = ContractFactory(vendor_id=world.vendor.id, products=[gloves]).id
    cycle_id = CycleFactory().id
    gloves_id, location_id = gloves.id, world.location.id
    buyer = principal_for_user(world.users["practice_buyer"])
    db.session.commit()
    start = threading.Barrier(ORDERS)
    errors: list[BaseException] = []

    def place(quantity: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=30)
                with unit_of_work():
                    db.session.execute(text("SET LOCAL lock_timeout = '100ms'"))
                    ordering.place_order(buyer, {"location_id": location_id,
                                                 "lines": [{"product_id": gloves_id, "quantity": quantity}]})
                    time.sleep(HELD)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 (reported below, with every other)
            errors.append(exc)

    run_together(place, range(1, ORDERS + 1))
    assert errors == []

    db.session.expire_all()
    units = db.session.scalar(select(func.sum(OrderLine.quantity)).join(Order).where(
        Order.cycle_id == cycle_id, Order.status == "confirmed"))
    assert units == sum(range(1, ORDERS + 1)) == 528
    assert running_volumes.volumes(cycle_id, [contract_id])[contract_id].units == 528
    assert db.session.scalar(select(func.count(func.distinct(RunningVolume.slot))).where(
        RunningVolume.cycle_id == cycle_id)) == ORDERS
    with unit_of_work():
        close_cycle(cycle_id)
    assert db.session.get(CycleContractResult, (cycle_id, contract_id)).volume == 528


def test_edits_cancels_and_approvals_of_the_same_orders_at_once_keep_them_equal_to_the_lines(
        app, world, postgresql_only):
    """24 threads edit, cancel or approve 4 orders at once (each order's row lock and its
    ETag let one change win at a time; the others answer 412 or 409): whatever won,
    the running volume is what the confirmed lines add up to, and a recount agrees."""
    import random

    from gpo.errors import DomainError
    from gpo.etags import etag_for

    gloves = ProductFactory(vendor_id=world.vendor.id, list_price=D("19.99"))
    table = ProductFactory(vendor_id=world.vendor.id, list_price=D("3400.00"), clinical=True)
    contract_id = ContractFactory(vendor_id=world.vendor.id, products=[gloves, table]).id
    cycle_id = CycleFactory().id
    ids, location_id = (gloves.id, table.id), world.location.id
    buyer = principal_for_user(world.users["practice_buyer"])
    physician = principal_for_user(world.users["practice_physician"])
    order_ids = []
    for quantity in (3, 5, 7, 11):
        with unit_of_work():
            order_ids.append(ordering.place_order(buyer, {"location_id": location_id, "lines": [
                {"product_id": ids[0], "quantity": quantity}, {"product_id": ids[1], "quantity": 1}]}).id)
    start = threading.Barrier(24)
    errors: list[BaseException] = []

    def change(seed: int) -> None:
        rng = random.Random(seed)
        order_id = rng.choice(order_ids)
        try:
            with app.app_context():
                start.wait(timeout=30)
                try:
                    with unit_of_work():
                        etag = {etag_for(db.session.get(Order, order_id))}
                        action = rng.choice(["edit", "edit", "approve", "cancel"])
                        if action == "approve":
                            ordering.approve_order(physician, order_id, etag)
                        elif action == "cancel":
                            ordering.cancel_order(buyer, order_id)
                        else:
                            lines = [{"product_id": ids[0], "quantity": rng.randint(1, 20)}]
                            if rng.random() < 0.5:
                                lines.append({"product_id": ids[1], "quantity": 1})
                            ordering.edit_order(rng.choice([buyer, physician]), order_id, {"lines": lines}, etag)
                except DomainError:
                    pass  # stale ETag (412) or cancelled already (409): this change lost
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    run_together(change, range(24))
    assert errors == []

    db.session.expire_all()
    units = db.session.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0)).join(Order).where(
        Order.cycle_id == cycle_id, Order.status == "confirmed"))
    assert running_volumes.volumes(cycle_id, [contract_id]).get(contract_id, running_volumes.NOTHING).units == units
    kept = db.session.execute(select(RunningVolume.slot, RunningVolume.tier_index, RunningVolume.units,
                                     RunningVolume.tier_cents).where(RunningVolume.units != 0)
                              .order_by(RunningVolume.slot, RunningVolume.tier_index)).all()
    with unit_of_work() as unit:
        running_volumes.recount(cycle_id)
        assert db.session.execute(select(RunningVolume.slot, RunningVolume.tier_index, RunningVolume.units,
                                         RunningVolume.tier_cents).where(RunningVolume.units != 0)
                                  .order_by(RunningVolume.slot, RunningVolume.tier_index)).all() == kept
        unit.discard()


def run_together(target, arguments) -> None:
    """`target(argument)` for each argument, each in its own thread, all at once."""
    threads = [threading.Thread(target=target, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
