"""Webhook deliveries to a real receiver on a loopback port, which verifies every
request with the `standardwebhooks` package: the retry schedule (the clock is moved,
nobody sleeps), Retry-After, 410, forged copies, a secret's rotation, replays, and the
crashes that must lose no event and send none twice beyond the same webhook-id."""
import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from gpo.db import clock_shifted, db
from gpo.notifications import dispatcher
from gpo.notifications.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gpo.notifications.webhooks import schedule, sending
from tests.notifications.webhook_support import (
    Answer,
    Receiver,
    add_endpoint,
    deliveries_of,
    emit,
    fanned_and_delivered,
)

SECONDS = dt.timedelta(seconds=1)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def endpoint(client, world, receiver):
    """Acme's endpoint at the receiver, which verifies with its secret."""
    body, secret = add_endpoint(client, world, receiver.url)
    receiver.secrets = [secret]
    return body


def dispatch(shift: dt.timedelta = dt.timedelta(0)) -> dict:
    with clock_shifted(shift):
        return dispatcher.dispatch()


def test_500_then_429_with_retry_after_then_200_is_retried_on_schedule_and_succeeds_once(world, receiver, endpoint):
    receiver.answers = [Answer(500, body=b"database down"), Answer(429, {"Retry-After": "120"}), Answer(200)]
    event_id = emit(world)
    assert dispatch()["webhooks"] == 1
    [delivery] = deliveries_of(endpoint["id"])
    first = delivery.attempts[0]
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == ("pending", 1, 500)
    assert first.error == "the receiver answered 500: database down" and first.succeeded is False
    answered = first.attempted_at + dt.timedelta(milliseconds=first.duration_ms)
    assert delivery.next_attempt_at == answered + 5 * SECONDS  # the schedule's first delay
    assert dispatch()["webhooks"] == 0 and len(receiver.received) == 1  # not due yet

    assert dispatch(6 * SECONDS)["webhooks"] == 1
    [delivery] = deliveries_of(endpoint["id"])
    second = delivery.attempts[1]
    assert (delivery.status, delivery.attempt_count, second.status_code) == ("pending", 2, 429)
    # Retry-After: 120 replaces the schedule's 5 minutes
    assert delivery.next_attempt_at == second.attempted_at + dt.timedelta(milliseconds=second.duration_ms) + 120 * SECONDS
    assert dispatch(60 * SECONDS)["webhooks"] == 0

    assert dispatch(130 * SECONDS)["webhooks"] == 1
    [delivery] = deliveries_of(endpoint["id"])
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == ("succeeded", 3, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert [(a.status_code, a.succeeded, a.replay) for a in delivery.attempts] == [
        (500, False, False), (429, False, False), (200, True, False)]
    assert dispatch(dt.timedelta(days=2))["webhooks"] == 0  # succeeded once: never sent again

    # the receiver verified all three; the same id, body and event each time
    assert len(receiver.received) == 3 and all(r.verified_by == receiver.secrets for r in receiver.received)
    assert {r.webhook_id for r in receiver.received} == {f"msg_{event_id}"}
    assert len({r.body for r in receiver.received}) == 1
    body = json.loads(receiver.received[0].body)
    event = db.session.get(OutboxEvent, event_id)
    assert body == {"type": "purchase_order.created", "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
                    "data": {"object": "purchase_order", "id": world.vendor.id,
                             "summary": "purchase_order.created for Acme", "purchase_order_id": 7}}
    assert receiver.received[0].body == json.dumps(body, separators=(",", ":")).encode()  # compact, as signed
    headers = receiver.received[0].headers
    assert headers["content-type"] == "application/json" and headers["webhook-signature"].startswith("v1,")
    assert abs(int(headers["webhook-timestamp"]) - dt.datetime.now(dt.timezone.utc).timestamp()) < 60


def test_a_receiver_that_always_fails_gets_8_attempts_on_the_schedule_then_the_delivery_fails_for_good(
        world, receiver, endpoint):
    receiver.answers = [Answer(503) for _ in range(20)]
    emit(world)
    shift = dt.timedelta(0)
    assert dispatch(shift)["webhooks"] == 1
    for delay in schedule.RETRY_DELAYS:  # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
        [delivery] = deliveries_of(endpoint["id"])
        last = delivery.attempts[-1]
        assert delivery.next_attempt_at == last.attempted_at + dt.timedelta(milliseconds=last.duration_ms) + delay
        assert dispatch(shift + delay - 2 * SECONDS)["webhooks"] == 0  # not a moment early
        shift += delay + SECONDS
        assert dispatch(shift)["webhooks"] == 1
    [delivery] = deliveries_of(endpoint["id"])
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == ("failed", 8, None)
    assert len(delivery.attempts) == 8 == len(receiver.received)
    assert dispatch(shift + dt.timedelta(days=3))["webhooks"] == 0


def test_a_410_disables_the_endpoint_and_stops_its_other_deliveries(client, world, receiver, endpoint):
    receiver.answers = [Answer(410, body=b"gone")]
    first, second = emit(world), emit(world, "purchase_order.changed", change="claim_opened")
    assert dispatch()["webhooks"] == 1
    row = db.session.get(WebhookEndpoint, endpoint["id"])
    db.session.refresh(row)
    assert row.enabled is False and row.disabled_reason.startswith("the receiver answered 410 Gone on ")
    gone, stopped = deliveries_of(endpoint["id"])
    assert (gone.event_id, gone.status, gone.last_status_code, len(gone.attempts)) == (first, "failed", 410, 1)
    assert (stopped.event_id, stopped.status, stopped.attempts) == (second, "failed", [])
    assert len(receiver.received) == 1
    # new events are not fanned out to it, nothing is sent after a day either
    emit(world)
    assert fanned_and_delivered(dispatch(dt.timedelta(days=1))) == (1, 0)
    assert len(deliveries_of(endpoint["id"])) == 2 and len(receiver.received) == 1
    # the vendor's admin sees why, and turning it on clears it
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=world.headers["vendor_admin"])
    assert shown.get_json()["disabled_reason"] == row.disabled_reason
    on = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": True},
                      headers={**world.headers["vendor_admin"], "If-Match": shown.headers["ETag"]})
    assert on.status_code == 200 and (on.get_json()["enabled"], on.get_json()["disabled_reason"]) == (True, None)


def test_a_forged_copy_is_rejected_by_the_receiver(world, receiver, endpoint):
    import urllib.error
    import urllib.request

    emit(world)
    dispatch()
    [genuine] = receiver.received
    assert genuine.verified_by == receiver.secrets

    def post(body: bytes, headers: dict) -> int:
        request = urllib.request.Request(receiver.url, data=body, headers=headers, method="POST")
        try:
            return urllib.request.urlopen(request, timeout=5).status
        except urllib.error.HTTPError as error:
            return error.code

    altered = genuine.body.replace(b'"purchase_order_id":7', b'"purchase_order_id":8')
    assert altered != genuine.body
    assert post(altered, genuine.headers) == 400  # the body was changed: the signature no longer matches
    wrong_secret = Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB")  # someone else's secret
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    forged = {**genuine.headers, "webhook-timestamp": str(now), "webhook-signature": wrong_secret.sign(
        genuine.webhook_id, dt.datetime.fromtimestamp(now, dt.timezone.utc), genuine.body.decode())}
    assert post(genuine.body, forged) == 400
    old = {**genuine.headers, "webhook-timestamp": str(now - 3600)}
    assert post(genuine.body, old) == 400  # a replayed copy an hour old: outside the tolerance
    assert [r.verified_by for r in receiver.received] == [receiver.secrets, [], [], []]
    assert "No matching signature found" == receiver.received[1].error == receiver.received[2].error
    assert receiver.received[3].error == "Message timestamp too old"


def test_a_rotation_sends_both_signatures_for_24_hours(client, world, receiver, endpoint):
    old_secret = receiver.secrets[0]
    rotated = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
                          headers=world.headers["vendor_admin"])
    assert rotated.status_code == 200
    new_secret = rotated.get_json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    receiver.secrets = [old_secret, new_secret]
    emit(world)
    dispatch()
    [during] = receiver.received
    assert during.verified_by == [old_secret, new_secret]  # each secret alone verifies it
    assert len(during.signatures) == 2 and all(s.startswith("v1,") for s in during.signatures)
    for secret in (old_secret, new_secret):
        Webhook(secret).verify(during.body, during.headers)

    emit(world, "purchase_order.changed")
    dispatch(dt.timedelta(hours=24, seconds=1))  # the old secret's 24 hours are over
    after = receiver.received[1]
    assert after.verified_by == [new_secret] and len(after.signatures) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(after.body, after.headers)


def test_event_types_choose_what_an_endpoint_receives(client, world, receiver):
    orders, _ = add_endpoint(client, world, receiver.url + "/orders", event_types=["purchase_order.created"])
    everything, _ = add_endpoint(client, world, receiver.url + "/all")
    off, _ = add_endpoint(client, world, receiver.url + "/off", enabled=False)
    emit(world, "purchase_order.created")
    emit(world, "settlement.sent")
    emit(world, vendor=world.other_vendor)  # another vendor's event: none of Acme's endpoints
    assert fanned_and_delivered(dispatch()) == (3, 3)
    assert [d.event.event_type for d in deliveries_of(orders["id"])] == ["purchase_order.created"]
    assert [d.event.event_type for d in deliveries_of(everything["id"])] == ["purchase_order.created", "settlement.sent"]
    assert deliveries_of(off["id"]) == []
    assert sorted(r.path for r in receiver.received) == ["/hooks/all", "/hooks/all", "/hooks/orders"]


def test_a_crash_between_the_change_and_the_dispatch_loses_nothing(app, world, receiver, endpoint, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", "inline")
    real_fan_out = dispatcher.fan_out_pending
    crashes = []

    def dies(*args, **kwargs):
        crashes.append(1)
        raise RuntimeError("the process died right after the commit")

    monkeypatch.setattr(dispatcher, "fan_out_pending", dies)
    event_id = emit(world)  # the change commits; its inline dispatch dies
    assert crashes == [1] and receiver.received == []
    assert db.session.get(OutboxEvent, event_id).fanned_out_at is None  # the event is kept, waiting
    monkeypatch.setattr(dispatcher, "fan_out_pending", real_fan_out)
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", "manual")
    assert fanned_and_delivered(dispatch()) == (1, 1)  # the next dispatch (flask gpo tick) delivers it
    assert fanned_and_delivered(dispatch(dt.timedelta(hours=1))) == (0, 0)
    assert [r.webhook_id for r in receiver.received] == [f"msg_{event_id}"]
    [delivery] = deliveries_of(endpoint["id"])
    assert delivery.status == "succeeded" and len(delivery.attempts) == 1


def test_a_crash_between_the_delivery_and_its_record_resends_under_the_same_id_once(world, receiver, endpoint,
                                                                                     monkeypatch):
    real_record = sending.record
    crashed = []

    def dies_once(*args, **kwargs):
        if not crashed:
            crashed.append(1)
            raise RuntimeError("the process died before recording the attempt")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(sending, "record", dies_once)
    event_id = emit(world)
    dispatch()
    assert crashed == [1] and len(receiver.received) == 1  # it was delivered, not recorded
    [claimed] = deliveries_of(endpoint["id"])
    assert (claimed.status, claimed.attempt_count, claimed.attempts) == ("sending", 1, [])
    assert dispatch(dt.timedelta(seconds=30))["webhooks"] == 0  # the claim's lease holds
    lease = sending.lease() + SECONDS
    assert dispatch(lease)["webhooks"] == 1  # lapsed: sent again
    assert dispatch(lease + dt.timedelta(days=1))["webhooks"] == 0
    [delivery] = deliveries_of(endpoint["id"])
    assert (delivery.status, delivery.attempt_count, len(delivery.attempts)) == ("succeeded", 2, 1)
    assert [r.webhook_id for r in receiver.received] == [f"msg_{event_id}"] * 2  # the same id: at least once
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def test_a_replay_keeps_the_webhook_id_and_is_recorded_as_one(client, world, receiver, endpoint):
    event_id = emit(world)
    dispatch()
    [delivery] = deliveries_of(endpoint["id"])
    response = client.post(f"/api/v1/webhook-deliveries/{delivery.id}/retry", headers=world.headers["vendor_admin"])
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["attempt_count"], body["webhook_id"]) == ("succeeded", 1, f"msg_{event_id}")
    assert [(a["status_code"], a["replay"]) for a in body["attempts"]] == [(200, False), (200, True)]
    assert [r.webhook_id for r in receiver.received] == [f"msg_{event_id}"] * 2
    assert receiver.received[0].body == receiver.received[1].body
    assert all(r.verified_by == receiver.secrets for r in receiver.received)


def test_a_failed_replay_of_a_failed_delivery_leaves_it_failed_and_a_good_one_delivers_it(client, world, receiver,
                                                                                         endpoint):
    receiver.answers = [Answer(400)]  # a 4xx is retried too, except 410
    emit(world)
    dispatch()
    [delivery] = deliveries_of(endpoint["id"])
    db.session.get(WebhookDelivery, delivery.id).status = "failed"  # as if the schedule had run out
    db.session.get(WebhookDelivery, delivery.id).next_attempt_at = None
    db.session.commit()
    receiver.answers = [Answer(500)]
    url = f"/api/v1/webhook-deliveries/{delivery.id}/retry"
    failed = client.post(url, headers=world.headers["mso_admin"]).get_json()
    assert (failed["status"], failed["attempt_count"], failed["next_attempt_at"]) == ("failed", 1, None)
    assert [(a["status_code"], a["replay"]) for a in failed["attempts"]] == [(400, False), (500, True)]
    good = client.post(url, headers=world.headers["mso_admin"]).get_json()
    assert (good["status"], good["last_status_code"]) == ("succeeded", 200)
    assert dispatch(dt.timedelta(days=1))["webhooks"] == 0
    assert len(receiver.received) == 3


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(client, world, receiver):
    with Receiver() as target:
        receiver.answers = [Answer(302, {"Location": target.url + "/stolen"})]
        body, secret = add_endpoint(client, world, receiver.url)
        receiver.secrets = [secret]
        emit(world)
        dispatch()
        [delivery] = deliveries_of(body["id"])
        [attempt] = delivery.attempts
        assert (delivery.status, attempt.status_code, attempt.succeeded) == ("pending", 302, False)
        assert attempt.error == f"the receiver answered 302: redirect not followed (to {target.url}/stolen)"
        assert target.received == []


def test_a_slow_receiver_is_cut_at_the_timeout(app, world, receiver, endpoint, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 1)
    receiver.delay = 2.5
    emit(world)
    dispatch()
    [delivery] = deliveries_of(endpoint["id"])
    [attempt] = delivery.attempts
    assert (attempt.status_code, attempt.error, delivery.status) == (None, "timed out after 1 s", "pending")
    assert 900 <= attempt.duration_ms < 2400


def test_the_secret_never_reaches_the_logs_or_the_attempts(world, receiver, endpoint, caplog, monkeypatch):
    # the migrations' logging.config (alembic.ini) turned the app's loggers off in this test run
    monkeypatch.setattr(sending.log, "disabled", False)
    caplog.set_level("DEBUG")
    receiver.answers = [Answer(500)]
    emit(world)
    dispatch()
    dispatch(6 * SECONDS)
    secret = receiver.secrets[0]
    assert "webhook delivery" in caplog.text and secret not in caplog.text
    raw = secret.removeprefix("whsec_")
    assert raw not in caplog.text
    assert not [a for a in db.session.scalars(select(WebhookAttempt)) if a.error and raw in a.error]


def test_a_deleted_endpoint_s_claimed_delivery_records_nothing(client, world, receiver, endpoint, monkeypatch):
    """A delivery in flight when its endpoint is deleted: the attempt finds it gone."""
    real_send = sending.send

    def delete_meanwhile(claim):
        answer = real_send(claim)
        etag = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=world.headers["vendor_admin"]).headers["ETag"]
        assert client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}",
                             headers={**world.headers["vendor_admin"], "If-Match": etag}).status_code == 204
        return answer

    monkeypatch.setattr(sending, "send", delete_meanwhile)
    emit(world)
    assert dispatch()["webhooks"] == 1
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == 0
