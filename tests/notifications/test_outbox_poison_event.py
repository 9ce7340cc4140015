"""fan_out_pending has no per-event guard. One event whose fan-out raises (any
fault in a channel's recipients, a row the database refuses) makes dispatch() raise
before any channel delivers, and since it is the oldest event not fanned out, every
dispatch and every `flask gpo tick` after hits it first: all webhooks and e-mails of
every vendor and practice stop. (The e-mail channel guards rendering for exactly this
reason, "must not hold the event (its webhooks) back", but not the rest.)"""
from types import SimpleNamespace

import pytest

from gpo.db import db, unit_of_work
from gpo.notifications import dispatcher, outbox
from gpo.notifications.mail import kinds
from tests.notifications.webhook_support import Receiver, add_endpoint, emit


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_one_event_whose_fan_out_fails_does_not_stop_every_other_event(world, client, receiver, monkeypatch):
    endpoint, secret = add_endpoint(client, world, receiver.url)
    receiver.secrets = [secret]
    with unit_of_work():
        outbox.emit("invoice.issued", SimpleNamespace(id=9), subject_type="invoice", practice_id=world.practice.id,
                    summary="An invoice", data={"invoice_id": 9})
    emit(world)  # another vendor-facing event, later
    real = kinds.for_event

    def faulty(event_type):
        if event_type == "invoice.issued":
            raise RuntimeError("a fault in this one event's fan-out")
        return real(event_type)

    monkeypatch.setattr(kinds, "for_event", faulty)
    db.session.commit()
    try:
        dispatcher.dispatch()
    except RuntimeError:
        pass
    try:
        dispatcher.dispatch()  # the next tick
    except RuntimeError:
        pass
    assert len(receiver.received) == 1, "the purchase order's webhook never went: one bad event stops all"
