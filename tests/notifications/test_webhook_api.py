"""The webhook endpoints API: who may do what (another vendor's endpoint is 404, a role
that may only read gets 403), the secret shown only by the creation and the rotation
(never by a GET, an audit event or a log line), validation at the field, If-Match,
deliveries with their attempts, replays, and the audit trail."""
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.db import clock_shifted, db, utcnow
from gpo.notifications import dispatcher
from gpo.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gpo.notifications.outbox import PUBLIC_EVENT_TYPES
from tests.helpers import assert_error
from tests.notifications.webhook_support import (
    Answer,
    Receiver,
    add_endpoint,
    deliveries_of,
    emit,
    fanned_and_delivered,
)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def _collection(world, vendor=None) -> str:
    return f"/api/v1/vendors/{(vendor or world.vendor).id}/webhook-endpoints"


def _audit() -> list[AuditEvent]:
    db.session.commit()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_type.like("webhook_%"))
                                   .order_by(AuditEvent.id)))


def test_a_vendor_admin_adds_an_endpoint_and_sees_its_secret_once(client, world, receiver):
    response = client.post(_collection(world), headers=world.headers["vendor_admin"], json={
        "url": receiver.url, "description": "ERP", "event_types": ["purchase_order.changed", "purchase_order.created"]})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    secret = body.pop("secret")
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44  # base64 of 32 random bytes
    assert body == {"id": body["id"], "vendor_id": world.vendor.id, "url": receiver.url, "description": "ERP",
                    "event_types": ["purchase_order.created", "purchase_order.changed"],  # the catalogue's order
                    "enabled": True, "disabled_reason": None, "previous_secret_signs_until": None,
                    "created_by": "vendor_admin@example.test", "created_at": body["created_at"]}
    assert response.headers["ETag"]
    # never again: not in the list, the item, the deliveries or the audit trail
    for who in ("vendor_admin", "mso_admin", "mso_finance"):
        listed = client.get(_collection(world), headers=world.headers[who])
        assert listed.status_code == 200 and secret not in listed.get_data(as_text=True)
        assert json.loads(listed.headers["X-Pagination"])["total"] == 1
        item = client.get(f"/api/v1/webhook-endpoints/{body['id']}", headers=world.headers[who])
        assert item.status_code == 200 and item.get_json() == body and secret not in item.get_data(as_text=True)
    [created] = _audit()
    assert (created.action, created.organization_id, created.actor_label) == (
        "webhook_endpoint.create", world.vendor.id, "vendor_admin@example.test")
    assert created.details == {"url": receiver.url, "event_types": ["purchase_order.created", "purchase_order.changed"],
                               "enabled": True}
    assert secret.removeprefix("whsec_") not in json.dumps(created.details)
    audit_api = client.get("/api/v1/audit-events?object_type=webhook_endpoints", headers=world.headers["vendor_admin"])
    assert audit_api.status_code == 200 and len(audit_api.get_json()) == 1


def test_the_mso_admin_may_add_an_endpoint_for_a_vendor_other_mso_staff_only_read(client, world, receiver):
    body = {"url": receiver.url}
    assert client.post(_collection(world), json=body, headers=world.headers["mso_admin"]).status_code == 201
    for who in ("mso_procurement", "mso_finance"):
        assert_error(client.post(_collection(world), json=body, headers=world.headers[who]), 403,
                     contains="your role may not create webhook endpoints")
        assert client.get(_collection(world), headers=world.headers[who]).status_code == 200
    assert_error(client.post(_collection(world), json=body, headers=world.headers["vendor_key"]), 403)
    assert_error(client.get(_collection(world), headers=world.headers["vendor_key"]), 403)
    for who in ("other_vendor_admin", "practice_admin"):
        assert_error(client.post(_collection(world), json=body, headers=world.headers[who]), 404)
        assert_error(client.get(_collection(world), headers=world.headers[who]), 404)
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1


def test_another_vendors_endpoint_is_not_found_anywhere(client, world, receiver):
    theirs, _ = add_endpoint(client, world, receiver.url)
    emit(world)
    dispatcher.dispatch()
    [delivery] = deliveries_of(theirs["id"])
    headers = {**world.headers["other_vendor_admin"], "If-Match": '"x"'}
    item = f"/api/v1/webhook-endpoints/{theirs['id']}"
    for method, url in (("GET", item), ("PATCH", item), ("DELETE", item), ("POST", f"{item}/rotate-secret"),
                        ("GET", f"{item}/deliveries"), ("POST", f"/api/v1/webhook-deliveries/{delivery.id}/retry")):
        json_body = {"enabled": False} if method == "PATCH" else None
        assert_error(client.open(url, method=method, json=json_body, headers=headers), 404,
                     contains="not found")
    assert len(receiver.received) == 1


@pytest.mark.parametrize("body, field, message", [
    ({"url": "ftp://hooks.acme.example/"}, "url", "the URL must start with https:// or http://."),
    ({"url": "https://user:secret@hooks.acme.example/"}, "url", "the URL may not contain a user name or password"),
    ({"url": "https:///no-host"}, "url", "the URL has no host name."),
    ({"url": ""}, "url", "Length must be between 1 and 2048."),
    ({}, "url", "Missing data for required field."),
    ({"url": "http://127.0.0.1/", "event_types": ["order.teleported"]}, "event_types",
     "unknown event type order.teleported: choose from " + ", ".join(PUBLIC_EVENT_TYPES)),
    ({"url": "http://127.0.0.1/", "event_types": ["cycle.closing_soon", "invoice.issued"]}, "event_types",
     "unknown event types cycle.closing_soon, invoice.issued: choose from"),  # e-mail only
    ({"url": "http://127.0.0.1/", "event_types": "purchase_order.created"}, "event_types", "Not a valid list."),
    ({"url": "http://127.0.0.1/", "description": "x" * 201}, "description", "Longer than maximum length 200."),
    ({"url": "http://127.0.0.1/", "secret": "whsec_mine"}, "secret", "Unknown field."),
])
def test_bad_input_is_refused_at_its_field_and_nothing_is_created(client, world, body, field, message):
    body = assert_error(client.post(_collection(world), json=body, headers=world.headers["vendor_admin"]), 422)
    [said] = body["errors"]["json"][field]
    assert said.startswith(message), said
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_changes_need_the_current_etag(client, world, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    etag = client.get(url, headers=world.headers["vendor_admin"]).headers["ETag"]
    assert_error(client.patch(url, json={"description": "x"}, headers=world.headers["vendor_admin"]), 428)
    assert_error(client.delete(url, headers=world.headers["vendor_admin"]), 428)
    changed = client.patch(url, json={"description": "ERP", "event_types": ["settlement.sent"]},
                           headers={**world.headers["vendor_admin"], "If-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert (changed.get_json()["description"], changed.get_json()["event_types"]) == ("ERP", ["settlement.sent"])
    stale = {**world.headers["vendor_admin"], "If-Match": etag}
    assert_error(client.patch(url, json={"description": "y"}, headers=stale), 412)
    assert_error(client.delete(url, headers=stale), 412)
    assert_error(client.patch(url, json={"description": "y"}, headers={**stale, "If-Match": "*"}), 428)
    assert client.get(url, headers=world.headers["vendor_admin"]).get_json()["description"] == "ERP"
    update = [e for e in _audit() if e.action == "webhook_endpoint.update"]
    assert [e.details for e in update] == [{"description": ["", "ERP"],
                                            "event_types": ["[]", "['settlement.sent']"]}]


def test_disabling_stops_waiting_deliveries_and_enabling_clears_the_reason(client, world, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    with clock_shifted(dt.timedelta(hours=-1)):
        emit(world)
        db.session.add(WebhookDelivery(endpoint_id=endpoint["id"], event_id=emit(world), status="pending",
                                       attempt_count=0, next_attempt_at=utcnow() + dt.timedelta(hours=3)))
        db.session.commit()
    dispatcher.fan_out_pending()  # the first event's delivery, due now; the second has its own
    etag = client.get(url, headers=world.headers["vendor_admin"]).headers["ETag"]
    off = client.patch(url, json={"enabled": False}, headers={**world.headers["mso_admin"], "If-Match": etag})
    assert off.status_code == 200 and off.get_json()["enabled"] is False
    assert [d.status for d in deliveries_of(endpoint["id"])] == ["failed", "failed"]
    assert dispatcher.dispatch()["webhooks"] == 0 and receiver.received == []
    [change] = [e for e in _audit() if e.action == "webhook_endpoint.update"]
    assert change.details == {"enabled": ["True", "False"], "deliveries_stopped": [None, "2"]}
    # gpo disabled it after a 410: enabling it again clears why
    row = db.session.get(WebhookEndpoint, endpoint["id"])
    row.disabled_reason = "the receiver answered 410 Gone on 2027-01-12 15:04 UTC"
    db.session.commit()
    etag = client.get(url, headers=world.headers["vendor_admin"]).headers["ETag"]
    on = client.patch(url, json={"enabled": True}, headers={**world.headers["vendor_admin"], "If-Match": etag})
    assert (on.get_json()["enabled"], on.get_json()["disabled_reason"]) == (True, None)


def test_rotating_the_secret_is_the_vendor_admins_and_shows_the_new_secret_once(client, world, receiver):
    endpoint, first = add_endpoint(client, world, receiver.url)
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"
    assert_error(client.post(url, headers=world.headers["mso_admin"]), 403,
                 contains="your role may not rotate the secrets of webhook endpoints")
    rotated = client.post(url, headers=world.headers["vendor_admin"])
    assert rotated.status_code == 200
    body = rotated.get_json()
    second = body.pop("secret")
    assert second.startswith("whsec_") and second != first
    row = db.session.get(WebhookEndpoint, endpoint["id"])
    db.session.refresh(row)
    assert (row.secret, row.previous_secret) == (second, first)
    assert body["previous_secret_signs_until"] == row.previous_secret_expires_at.isoformat()
    assert dt.timedelta(hours=23, minutes=59) < row.previous_secret_expires_at - utcnow() <= dt.timedelta(hours=24)
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=world.headers["vendor_admin"])
    assert first not in shown.get_data(as_text=True) and second not in shown.get_data(as_text=True)
    assert shown.get_json()["previous_secret_signs_until"] == body["previous_secret_signs_until"]
    with clock_shifted(dt.timedelta(hours=24, seconds=1)):
        later = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=world.headers["vendor_admin"])
    assert later.get_json()["previous_secret_signs_until"] is None
    rotation = [e for e in _audit() if e.action == "webhook_endpoint.rotate_secret"]
    assert [e.details for e in rotation] == [{"previous_secret_signs_until": body["previous_secret_signs_until"]}]
    every_detail = json.dumps([e.details for e in _audit()])
    assert first.removeprefix("whsec_") not in every_detail and second.removeprefix("whsec_") not in every_detail


def test_deleting_an_endpoint_removes_its_deliveries_and_attempts(client, world, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    emit(world)
    dispatcher.dispatch()
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    etag = client.get(url, headers=world.headers["vendor_admin"]).headers["ETag"]
    assert_error(client.delete(url, headers={**world.headers["mso_finance"], "If-Match": etag}), 403)
    response = client.delete(url, headers={**world.headers["vendor_admin"], "If-Match": etag})
    assert response.status_code == 204
    assert_error(client.get(url, headers=world.headers["vendor_admin"]), 404)
    for model in (WebhookEndpoint, WebhookDelivery, WebhookAttempt):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    [deleted] = [e for e in _audit() if e.action == "webhook_endpoint.delete"]
    assert deleted.details == {"url": receiver.url, "deliveries_removed": 1}
    emit(world)
    assert fanned_and_delivered(dispatcher.dispatch()) == (1, 0)


def test_deliveries_page_newest_first_with_every_attempt(client, world, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    receiver.answers = [Answer(500, body=b"oops")]
    first = emit(world)
    second = emit(world, "purchase_order.changed")
    dispatcher.dispatch()
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries?page_size=1"
    for who in ("vendor_admin", "mso_finance", "mso_procurement"):
        response = client.get(url, headers=world.headers[who])
        assert response.status_code == 200
        assert json.loads(response.headers["X-Pagination"])["total"] == 2
    [newest] = response.get_json()
    [row] = [d for d in deliveries_of(endpoint["id"]) if d.event_id == second]
    [attempt] = row.attempts
    assert newest == {
        "id": row.id, "endpoint_id": endpoint["id"], "event_id": second, "event_type": "purchase_order.changed",
        "webhook_id": f"msg_{second}", "status": "succeeded", "attempt_count": 1,
        "next_attempt_at": None, "last_status_code": 200, "delivered_at": row.delivered_at.isoformat(),
        "created_at": row.created_at.isoformat(),
        "attempts": [{"id": attempt.id, "attempted_at": attempt.attempted_at.isoformat(),
                      "duration_ms": attempt.duration_ms, "status_code": 200, "error": None, "succeeded": True,
                      "replay": False}]}
    older = client.get(url + "&page=2", headers=world.headers["vendor_admin"]).get_json()
    assert [(d["event_id"], d["status"], d["attempts"][0]["error"]) for d in older] == [
        (first, "pending", "the receiver answered 500: oops")]
    assert_error(client.get(url, headers=world.headers["vendor_key"]), 403)


def test_a_retry_is_idempotent_with_its_key_and_refused_for_a_disabled_endpoint(client, world, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    emit(world)
    dispatcher.dispatch()
    [delivery] = deliveries_of(endpoint["id"])
    url = f"/api/v1/webhook-deliveries/{delivery.id}/retry"
    keyed = {**world.headers["vendor_admin"], "Idempotency-Key": "replay-1"}
    first, again = client.post(url, headers=keyed), client.post(url, headers=keyed)
    assert first.status_code == again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert len(receiver.received) == 2  # the keyed retry was sent once
    assert_error(client.post(url, headers=world.headers["mso_finance"]), 403,
                 contains="your role may not retry webhook deliveries")
    etag = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=world.headers["vendor_admin"]).headers["ETag"]
    client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": False},
                 headers={**world.headers["vendor_admin"], "If-Match": etag})
    assert_error(client.post(url, headers=world.headers["vendor_admin"]), 409,
                 contains="the endpoint is disabled: enable it before sending a delivery again")
    assert len(receiver.received) == 2
    [retry, _] = [e for e in _audit() if e.action == "webhook_delivery.retry"] * 2
    assert retry.details == {"webhook_id": delivery.event.webhook_id, "event_type": "purchase_order.created",
                             "status_before": "succeeded"}
    assert retry.organization_id == world.vendor.id
