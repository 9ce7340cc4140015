"""The closing-soon scan (`flask gpo tick`): a draft order still unsubmitted in an open
cycle closing within 24 hours is told once, to whoever started it, however often the
scan runs; submitted orders, empty drafts and cycles closing later are not.

Driven through `dispatcher.tick()` (the scan is gpo.orders.cycles.tell_closing_soon),
down to the e-mails it causes."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gpo.db import clock_shifted, db, utcnow
from gpo.notifications import dispatcher
from gpo.notifications.models import EmailMessage, OutboxEvent
from tests.factories import CycleFactory, OrderFactory


def _draft(world, placed_by: str, **fields):
    return OrderFactory(location=world.location, status="draft", submitted_at=None, placed_by=placed_by, **fields)


def _tick() -> dict:
    db.session.commit()
    result = dispatcher.tick()
    db.session.expire_all()
    return result


def _events() -> list[OutboxEvent]:
    return list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "cycle.closing_soon")
                                   .order_by(OutboxEvent.id)))


def _mailed() -> list[tuple[int, str]]:
    return [(m.event_id, m.to_address) for m in db.session.scalars(select(EmailMessage).order_by(EmailMessage.id))]


def test_each_draft_is_told_once_to_who_started_it_however_often_the_scan_runs(world):
    cycle = CycleFactory(closes_at=utcnow() + dt.timedelta(hours=12))
    by_buyer = _draft(world, "practice_buyer@example.test")
    by_someone_gone = _draft(world, "left-the-practice@example.test")
    _draft(world, "practice_buyer@example.test", items=[])  # an empty cart: nothing to submit
    OrderFactory(location=world.location, placed_by="practice_buyer@example.test")  # submitted: confirmed
    assert _tick()["scanned_events"] == 2
    assert _tick()["scanned_events"] == 0
    first, second = _events()
    assert (first.subject_type, first.subject_id, first.practice_id, first.vendor_id) == (
        "order", by_buyer.id, world.practice.id, None)
    assert {k: first.data[k] for k in ("order_id", "cycle_id", "closes_at", "user_id")} == {
        "order_id": by_buyer.id, "cycle_id": cycle.id, "closes_at": cycle.closes_at.isoformat(),
        "user_id": world.users["practice_buyer"].id}
    assert first.dedupe_key is not None and f"Your draft order {by_buyer.id} " in first.summary
    assert second.data.get("user_id") is None and second.subject_id == by_someone_gone.id
    assert _mailed() == [(first.id, "practice_buyer@example.test"),
                         (second.id, "practice_admin@example.test"), (second.id, "practice_buyer@example.test")]


def test_a_cycle_closing_later_is_not_told_until_it_is_within_24_hours(world):
    CycleFactory(closes_at=utcnow() + dt.timedelta(hours=30))
    draft = _draft(world, "practice_buyer@example.test")
    assert _tick()["scanned_events"] == 0
    with clock_shifted(dt.timedelta(hours=5)):  # 25 hours before the close
        assert _tick()["scanned_events"] == 0
    with clock_shifted(dt.timedelta(hours=7)):  # 23 hours before
        assert _tick()["scanned_events"] == 1
        assert _tick()["scanned_events"] == 0
    assert [e.subject_id for e in _events()] == [draft.id]


@pytest.mark.parametrize("status, closes_in", [("closed", -1), ("closing", -1), ("scheduled", 12)])
def test_a_cycle_that_is_not_open_is_not_told(world, status, closes_in):
    cycle = CycleFactory(status=status, opens_at=utcnow() - dt.timedelta(days=7),
                         closes_at=utcnow() + dt.timedelta(hours=closes_in))
    _draft(world, "practice_buyer@example.test", cycle=cycle)
    assert _tick()["scanned_events"] == 0
    assert _events() == []


def test_a_draft_submitted_meanwhile_is_not_told_again_or_at_all(world):
    CycleFactory(closes_at=utcnow() + dt.timedelta(hours=2))
    draft = _draft(world, "practice_buyer@example.test")
    draft.status, draft.submitted_at = "confirmed", utcnow()
    db.session.commit()
    assert _tick()["scanned_events"] == 0
