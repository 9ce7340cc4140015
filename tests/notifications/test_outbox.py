"""The outbox: an event exists exactly when the change that caused it committed, and
the dispatcher fans each event out once, however often it runs or crashes."""
import pytest
from sqlalchemy import func, select

from gpo.db import db, unit_of_work
from gpo.notifications import dispatcher, outbox
from gpo.notifications.models import OutboxEvent


@pytest.fixture
def recording_channel(app):
    """A channel that records what it is given (and can be told to crash once)."""
    seen: list[int] = []
    state = {"crash": False}

    def fan_out(event):
        seen.append(event.id)
        if state["crash"]:
            state["crash"] = False
            raise RuntimeError("the process died mid fan-out")

    channel = dispatcher.Channel("recording", fan_out, lambda limit: 0)
    dispatcher.add_channel(app, channel)
    yield seen, state
    app.extensions[dispatcher._CHANNELS].remove(channel)


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEvent))


def test_an_event_rolled_back_with_its_change_never_existed(db_ctx, world):
    with pytest.raises(RuntimeError):
        with unit_of_work():
            outbox.emit("settlement.sent", world.vendor, summary="sent", vendor_id=world.vendor.id)
            raise RuntimeError("the use case failed after emitting")
    assert _events() == 0


def test_the_dispatcher_fans_each_event_out_once_even_after_a_crash(db_ctx, world, recording_channel):
    seen, state = recording_channel
    with unit_of_work():
        first = outbox.emit("settlement.sent", world.vendor, summary="one", vendor_id=world.vendor.id).id
        second = outbox.emit("payment.failed", world.practice, summary="two", practice_id=world.practice.id).id
    db.session.remove()
    state["crash"] = True
    assert dispatcher.fan_out_pending() == 1  # the crash is logged; the later event goes on
    # the crashed event was rolled back whole: still waiting
    assert db.session.get(OutboxEvent, first).fanned_out_at is None
    assert db.session.get(OutboxEvent, second).fanned_out_at is not None
    db.session.remove()
    assert dispatcher.fan_out_pending() == 1
    assert dispatcher.fan_out_pending() == 0
    assert seen == [first, second, first]


def test_people_only_events_have_no_vendor_audience_and_types_are_known(db_ctx, world):
    with unit_of_work():
        with pytest.raises(ValueError):
            outbox.emit("payment.failed", world.practice, summary="x", vendor_id=world.vendor.id)
        with pytest.raises(KeyError):
            outbox.emit("order.teleported", world.practice, summary="x")


def test_inline_mode_dispatches_right_after_the_commit(app, db_ctx, world, recording_channel, monkeypatch):
    seen, _ = recording_channel
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", "inline")
    with unit_of_work():
        event_id = outbox.emit("settlement.sent", world.vendor, summary="now", vendor_id=world.vendor.id).id
        assert seen == []  # not before the commit
    assert seen == [event_id]


def test_the_webhook_body_carries_ids_and_a_summary(db_ctx, world):
    with unit_of_work():
        event = outbox.emit("purchase_order.created", world.vendor, summary="PO 7 for Acme",
                            vendor_id=world.vendor.id, data={"purchase_order_id": 7}, subject_type="purchase_order")
        body = outbox.webhook_body(event)
    assert body["type"] == "purchase_order.created"
    assert body["timestamp"].endswith("Z")
    assert body["data"] == {"object": "purchase_order", "id": world.vendor.id, "summary": "PO 7 for Acme",
                            "purchase_order_id": 7}


def test_an_event_with_a_dedupe_key_is_emitted_once(db_ctx, world):
    with unit_of_work():
        assert outbox.emit("cycle.closing_soon", world.practice, summary="closes soon",
                           practice_id=world.practice.id, dedupe_key="closing:1:2") is not None
    with unit_of_work():
        assert outbox.emit("cycle.closing_soon", world.practice, summary="closes soon",
                           practice_id=world.practice.id, dedupe_key="closing:1:2") is None
    assert _events() == 1
