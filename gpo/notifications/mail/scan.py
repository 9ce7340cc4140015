"""What time alone makes worth an e-mail: a draft order still unsubmitted in an open
cycle that closes within 24 hours. `flask gpo tick` runs this scan every minute (in
its own unit of work, `dispatcher.add_scan`); each draft is told once per cycle
(the event's dedupe key), however often the scan runs."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select

from gpo.accounts.models import User
from gpo.db import db, utcnow
from gpo.notifications import outbox
from gpo.notifications.models import OutboxEvent
from gpo.orders.models import Cycle, Order, OrderLine

CLOSING_SOON = dt.timedelta(hours=24)


def dedupe_key(order_id: int, cycle_id: int) -> str:
    return f"cycle.closing_soon:{order_id}:{cycle_id}"


def closing_soon() -> int:
    """Emit cycle.closing_soon for each draft (with lines) in an open cycle closing
    within 24 h, not told yet; how many were emitted."""
    now = utcnow()
    drafts = db.session.execute(
        select(Order, Cycle).join(Cycle, Cycle.id == Order.cycle_id)
        .where(Cycle.status == "open", Cycle.closes_at > now, Cycle.closes_at <= now + CLOSING_SOON,
               Order.status == "draft", exists().where(OrderLine.order_id == Order.id))
        .order_by(Order.id)).all()
    keys = {order.id: dedupe_key(order.id, cycle.id) for order, cycle in drafts}
    told = set(db.session.scalars(select(OutboxEvent.dedupe_key).where(OutboxEvent.dedupe_key.in_(keys.values())))) \
        if keys else set()
    drafts = [(order, cycle) for order, cycle in drafts if keys[order.id] not in told]
    placed_by = _users_who_placed([order for order, _ in drafts])
    emitted = 0
    for order, cycle in drafts:
        data = {"order_id": order.id, "cycle_id": cycle.id, "closes_at": cycle.closes_at.isoformat()}
        started_by = placed_by.get((order.placed_by.lower(), order.practice_id))
        if started_by is not None:
            data["user_id"] = started_by
        event = outbox.emit("cycle.closing_soon", order, practice_id=order.practice_id, data=data,
                            summary=f"Your draft order {order.id} in {cycle.name} is not submitted yet, and the "
                                    "cycle closes within 24 hours.",
                            dedupe_key=keys[order.id])
        emitted += event is not None
    return emitted


def _users_who_placed(orders: list[Order]) -> dict[tuple[str, int], int]:
    """(e-mail, practice) -> the user who started each draft (an order keeps the
    e-mail it was placed by; a user of another organization is not its author)."""
    emails = {order.placed_by.lower() for order in orders}
    if not emails:
        return {}
    return {(email, organization_id): user_id for user_id, email, organization_id in db.session.execute(
        select(User.id, User.email, User.organization_id).where(User.email.in_(sorted(emails))))}
