"""`GET/PUT /me/notifications`: each user's kinds of e-mail, given their organization
and roles; turning one off (audited), refusals at the field with nothing changed
(an essential kind, an unknown kind, one the user does not receive); users only."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gpo.audit import AuditEvent
from gpo.db import db
from gpo.notifications.models import NotificationSetting
from tests.helpers import assert_error

URL = "/api/v1/me/notifications"


def _kinds(client, world, who) -> dict[str, tuple[bool, bool]]:
    response = client.get(URL, headers=world.headers[who])
    assert response.status_code == 200, response.get_data(as_text=True)
    return {n["kind"]: (n["essential"], n["enabled"]) for n in response.get_json()["notifications"]}


@pytest.mark.parametrize("who, kinds", [
    ("practice_admin", ["substitution.offered", "cycle.closing_soon", "invoice.issued", "payment.failed",
                        "timesheet.submitted"]),
    ("practice_buyer", ["substitution.offered", "cycle.closing_soon"]),
    ("practice_physician", ["substitution.offered", "order.awaiting_physician", "shift_request.awaiting_physician",
                            "cycle.closing_soon", "timesheet.submitted"]),
    ("vendor_admin", ["purchase_order.created"]),
    ("mso_finance", ["payment.failed"]),
    ("mso_admin", ["payment.failed"]),
    ("mso_procurement", []),
])
def test_each_user_sees_the_kinds_their_organization_and_roles_receive(client, world, who, kinds):
    essential = {"purchase_order.created", "payment.failed"}
    assert _kinds(client, world, who) == {kind: (kind in essential, True) for kind in kinds}


def test_the_answer_describes_each_kind(client, world):
    body = client.get(URL, headers=world.headers["vendor_admin"]).get_json()
    assert body == {"notifications": [{
        "kind": "purchase_order.created", "label": "New purchase orders",
        "description": "A new purchase order for your company to acknowledge and ship.", "essential": True,
        "enabled": True, "essential_reason": "A purchase order is how the MSO orders from you: it is always sent."}]}


def test_turning_a_kind_off_and_on_again_is_kept_and_audited(client, world):
    admin = world.users["practice_admin"]
    response = client.put(URL, headers=world.headers["practice_admin"], json={"notifications": [
        {"kind": "invoice.issued", "enabled": False}, {"kind": "substitution.offered", "enabled": True}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    enabled = {n["kind"]: n["enabled"] for n in response.get_json()["notifications"]}
    assert enabled == {"substitution.offered": True, "cycle.closing_soon": True, "invoice.issued": False,
                       "payment.failed": True, "timesheet.submitted": True}
    assert _kinds(client, world, "practice_admin")["invoice.issued"] == (False, False)
    # another user's settings are theirs alone
    assert _kinds(client, world, "other_practice_admin")["invoice.issued"] == (False, True)
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notification_setting.update")).all()
    assert (event.object_type, event.object_id, event.organization_id, event.actor_user_id) == (
        "users", admin.id, world.practice.id, admin.id)
    assert event.details == {"changes": {"invoice.issued": [True, False]}}
    # saying the same again changes nothing and audits nothing
    assert client.put(URL, headers=world.headers["practice_admin"],
                      json={"notifications": [{"kind": "invoice.issued", "enabled": False}]}).status_code == 200
    response = client.put(URL, headers=world.headers["practice_admin"],
                          json={"notifications": [{"kind": "invoice.issued", "enabled": True}]})
    assert {n["kind"]: n["enabled"] for n in response.get_json()["notifications"]}["invoice.issued"] is True
    db.session.expire_all()
    changes = [e.details["changes"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "notification_setting.update").order_by(AuditEvent.id))]
    assert changes == [{"invoice.issued": [True, False]}, {"invoice.issued": [False, True]}]


def test_turning_an_essential_kind_on_is_fine_and_changes_nothing(client, world):
    response = client.put(URL, headers=world.headers["vendor_admin"],
                          json={"notifications": [{"kind": "purchase_order.created", "enabled": True}]})
    assert response.status_code == 200
    assert db.session.scalars(select(NotificationSetting)).all() == []


@pytest.mark.parametrize("who, choices, index, message", [
    ("vendor_admin", [{"kind": "purchase_order.created", "enabled": False}], 0,
     "purchase_order.created is essential and cannot be turned off: A purchase order is how the MSO orders from "
     "you: it is always sent."),
    ("practice_admin", [{"kind": "invoice.issued", "enabled": False}, {"kind": "payment.failed", "enabled": False}], 1,
     "payment.failed is essential and cannot be turned off: A failed payment needs someone to act before the "
     "invoice is overdue: it is always sent."),
    ("practice_buyer", [{"kind": "order.teleported", "enabled": False}], 0,
     "'order.teleported' is not a kind of e-mail: the kinds are purchase_order.created, substitution.offered, "
     "order.awaiting_physician, shift_request.awaiting_physician, cycle.closing_soon, invoice.issued, payment.failed, "
     "timesheet.submitted"),
    ("practice_buyer", [{"kind": "invoice.issued", "enabled": False}], 0,
     "invoice.issued is not an e-mail your organization and roles receive"),
    ("vendor_admin", [{"kind": "substitution.offered", "enabled": False}], 0,
     "substitution.offered is not an e-mail your organization and roles receive"),
    ("practice_admin", [{"kind": "invoice.issued", "enabled": False}, {"kind": "invoice.issued", "enabled": True}], 1,
     "invoice.issued is named twice"),
])
def test_refused_choices_answer_422_at_the_field_and_change_nothing(client, world, who, choices, index, message):
    body = assert_error(client.put(URL, headers=world.headers[who], json={"notifications": choices}), 422)
    assert body["message"] == message
    assert body["errors"] == {"json": {"notifications": {str(index): {"kind": [message]}}}}
    assert db.session.scalars(select(NotificationSetting)).all() == []
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notification_setting.update")).all() == []


@pytest.mark.parametrize("body, field", [
    ({}, "notifications"),
    ({"notifications": []}, "notifications"),
    ({"notifications": [{"kind": "invoice.issued"}]}, "notifications"),
    ({"notifications": [{"kind": "invoice.issued", "enabled": False, "extra": 1}]}, "notifications"),
    ({"notifications": [{"kind": "", "enabled": False}]}, "notifications"),
])
def test_a_malformed_body_is_422(client, world, body, field):
    answer = assert_error(client.put(URL, headers=world.headers["practice_admin"], json=body), 422)
    assert field in answer["errors"]["json"]


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_an_api_key_has_no_mailbox(client, world, method):
    body = assert_error(client.open(URL, method=method, headers=world.headers["vendor_key"],
                                    json={"notifications": [{"kind": "purchase_order.created", "enabled": True}]}), 403)
    assert body["message"] == ("your role may not see notification settings" if method == "GET"
                               else "your role may not update notification settings")


def test_signing_in_is_required(client, world):
    assert_error(client.get(URL), 401)
    assert_error(client.put(URL, json={"notifications": [{"kind": "invoice.issued", "enabled": False}]}), 401)


def test_the_openapi_document_has_both_operations_with_examples(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    item = spec["paths"]["/api/v1/me/notifications"]
    assert item["get"]["operationId"] == "get_my_notification_settings"
    assert item["put"]["operationId"] == "update_my_notification_settings"
    assert item["put"]["requestBody"]["content"]["application/json"]["example"] == {"notifications": [
        {"kind": "invoice.issued", "enabled": False}, {"kind": "substitution.offered", "enabled": True}]}
    assert item["get"]["responses"]["200"]["content"]["application/json"]["example"]["notifications"][2]["essential"]
    assert {"401", "403", "422"} <= set(item["put"]["responses"])
