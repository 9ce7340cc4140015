"""Two dispatchers at once (PostgreSQL: row locks, SKIP LOCKED): they share the events
and the deliveries, neither waits for the other, and every event reaches the receiver
once, with one delivery row and one attempt each."""
import threading

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.notifications import dispatcher
from gpo.notifications.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from tests.notifications.webhook_support import Receiver, add_endpoint, deliveries_of, emit

EVENTS = 30


@pytest.fixture
def receiver():
    with Receiver() as running:
        running.delay = 0.02  # slow enough that the two dispatchers overlap
        yield running


def _in_two_dispatchers(app, work) -> list:
    """Run `work()` in two threads, each its own app context (its own session), at once."""
    start, results, errors = threading.Barrier(2), [], []

    def run():
        with app.app_context():
            try:
                start.wait(timeout=10)
                results.append(work())
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def test_two_dispatchers_deliver_every_event_once(app, postgresql_only, client, world, receiver):
    endpoint, secret = add_endpoint(client, world, receiver.url)
    receiver.secrets = [secret]
    event_ids = [emit(world, data_index=i) for i in range(EVENTS)]
    db.session.commit()
    results = _in_two_dispatchers(app, dispatcher.dispatch)
    assert sum(r["fanned_out"] for r in results) == EVENTS
    assert sum(r["webhooks"] for r in results) == EVENTS
    assert sorted(r.webhook_id for r in receiver.received) == sorted(f"msg_{i}" for i in event_ids)
    assert all(r.verified_by == [secret] for r in receiver.received)
    rows = deliveries_of(endpoint["id"])
    assert len(rows) == EVENTS and {(d.status, d.attempt_count, len(d.attempts)) for d in rows} == {("succeeded", 1, 1)}
    assert db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == EVENTS
    assert db.session.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.fanned_out_at.is_(None))) == 0


def test_a_claimed_delivery_is_skipped_not_waited_for(app, postgresql_only, client, world, receiver):
    """While one dispatcher holds a delivery's row lock, another passes it by at once."""
    from gpo.db import unit_of_work
    from gpo.notifications.webhooks import sending

    endpoint, _ = add_endpoint(client, world, receiver.url)
    emit(world)
    dispatcher.fan_out_pending()
    [delivery] = deliveries_of(endpoint["id"])
    held, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with app.app_context():
            with unit_of_work():
                db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.id == delivery.id)
                                   .with_for_update()).one()
                held.set()
                release.wait(timeout=30)
            db.session.remove()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert held.wait(timeout=10)
        with unit_of_work():
            assert sending.claim_due(delivery.id) is None  # SKIP LOCKED: not blocked, not claimed
    finally:
        release.set()
        holder.join(timeout=30)
    assert dispatcher.dispatch()["webhooks"] == 1 and len(receiver.received) == 1
