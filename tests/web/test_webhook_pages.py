"""The portal's and the console's Webhooks pages without a browser: a vendor admin adds
an endpoint and sees its secret once (not on a GET, not after a reload, never in the
session cookie), changes it, turns it off and on, rotates the secret (shown once, the
old one signing for 24 h), sends a delivery again and deletes the endpoint; a refused
URL or event type is said at its field; the start page says when an endpoint was
disabled or deliveries failed for good; MSO staff see every vendor's endpoints,
failing ones first, and only the MSO's admin sends again."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.notifications import dispatcher
from gpo.notifications.models import WebhookDelivery, WebhookEndpoint
from gpo.notifications.outbox import PUBLIC_EVENT_TYPES
from tests.notifications.webhook_support import Answer, Receiver, add_endpoint, deliveries_of, emit
from tests.pages import text_of

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_ETAG = re.compile(r'name="etag" value="([^"]+)"')
_SECRET = re.compile(r'id="new-secret" type="text" readonly value="(whsec_[^"]+)"')


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def html(response) -> str:
    return response.get_data(as_text=True)


def text(response) -> str:
    return text_of(html(response))


def endpoints() -> list[WebhookEndpoint]:
    db.session.commit()
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def session_of(page, app) -> dict:
    cookie = page.client.get_cookie("gpo_session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def _add(page, url: str, **more):
    token = _TOKEN.search(html(page.get("/portal/webhooks"))).group(1)
    return page.post("/portal/webhooks", {"url": url, "form_token": token, **more})


def test_a_vendor_admin_adds_an_endpoint_and_sees_its_secret_once(pages, world, app, receiver):
    page = pages.as_("vendor_admin")
    listed = page.get("/portal/webhooks")
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert '<a href="/portal/webhooks" aria-current="page">Webhooks</a>' in html(listed)
    assert "No webhook endpoint yet." in text(listed)
    assert all(f'value="{t}"' in html(listed) for t in PUBLIC_EVENT_TYPES)
    response = _add(page, receiver.url, description="ERP", event_types=["purchase_order.created"])
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    secret = _SECRET.search(html(response)).group(1)
    assert "This is the only time it is shown." in text(response)
    [row] = endpoints()
    assert (row.vendor_id, row.url, row.description, row.event_types, row.secret) == (
        world.vendor.id, receiver.url, "ERP", ["purchase_order.created"], secret)
    assert secret not in str(session_of(page, app))
    again = page.get("/portal/webhooks")
    assert secret not in html(again) and 'id="new-secret"' not in html(again)
    assert f"{receiver.url} ERP purchase_order.created enabled 0 0 0 never" in text(again)
    shown = page.get(f"/portal/webhooks/{row.id}")
    assert shown.status_code == 200 and secret not in html(shown)
    assert "never shown again after it is created or rotated" in text(shown)


def test_a_reload_of_the_answer_adds_no_second_endpoint(pages, receiver):
    page = pages.as_("vendor_admin")
    token = _TOKEN.search(html(page.get("/portal/webhooks"))).group(1)
    body = {"url": receiver.url, "form_token": token}
    assert page.post("/portal/webhooks", body).status_code == 201
    resent = page.post("/portal/webhooks", body)
    assert resent.status_code == 303 and resent.headers["Location"] == "/portal/webhooks"
    assert len(endpoints()) == 1
    assert "That form was used already or is out of date, so nothing was changed by it." in text(page.get("/portal/webhooks"))


def test_a_refused_url_and_an_unknown_type_are_said_at_their_fields(pages, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_URLS", False)
    page = pages.as_("vendor_admin")
    refused = _add(page, "https://169.254.169.254/latest/meta-data/")
    assert refused.status_code == 422
    assert ('id="endpoint-url" name="url" type="text" value="https://169.254.169.254/latest/meta-data/" '
            'aria-describedby="endpoint-url-hint endpoint-url-error" aria-invalid="true"') in html(refused)
    assert ('id="endpoint-url-error">the URL&#39;s host is not a public internet address (loopback, private, '
            'link-local and metadata addresses are refused).') in html(refused)
    http = _add(page, "http://hooks.acme.example/")
    assert "the URL must start with https://." in text(http)
    typed = _add(page, "https://8.8.8.8/hooks", event_types=["order.teleported"])
    assert typed.status_code == 422 and 'id="types-error">unknown event type order.teleported: choose from' in html(typed)
    assert endpoints() == []


def test_the_endpoint_page_changes_it_turns_it_off_and_on(pages, world, client, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    page = pages.as_("vendor_admin")
    url = f"/portal/webhooks/{endpoint['id']}"
    etag = _ETAG.search(html(page.get(url))).group(1)
    saved = page.post(url, {"etag": etag, "url": receiver.url, "description": "ERP orders",
                            "event_types": ["purchase_order.created", "settlement.sent"]})  # no "enabled": off
    assert saved.status_code == 303
    assert "Saved. The endpoint is disabled: nothing is sent to it." in text(page.get(url))
    [row] = endpoints()
    assert (row.enabled, row.description, row.event_types) == (False, "ERP orders",
                                                               ["purchase_order.created", "settlement.sent"])
    stale = page.post(url, {"etag": etag, "url": receiver.url, "enabled": "on"})
    assert stale.status_code == 412 and "the object changed since you read it" in text(stale)
    row.disabled_reason = "the receiver answered 410 Gone on 2027-01-12 15:04 UTC"
    db.session.commit()
    shown = page.get(url)
    assert "disabled — the receiver answered 410 Gone on 2027-01-12 15:04 UTC" in text(shown)
    assert "Turning it on again clears why it was disabled." in text(shown)
    on = page.post(url, {"etag": _ETAG.search(html(shown)).group(1), "url": receiver.url, "enabled": "on"})
    assert on.status_code == 303
    [row] = endpoints()
    assert (row.enabled, row.disabled_reason, row.event_types, row.description) == (True, None, [], "")
    bad = page.post(url, {"etag": _ETAG.search(html(page.get(url))).group(1), "url": "ftp://x.example/"})
    assert bad.status_code == 422 and 'id="endpoint-url-error">the URL must start with https:// or http://.' in html(bad)


def test_rotating_shows_the_new_secret_once_and_a_reload_rotates_nothing(pages, world, client, receiver, app):
    endpoint, first = add_endpoint(client, world, receiver.url)
    page = pages.as_("vendor_admin")
    url = f"/portal/webhooks/{endpoint['id']}"
    form = {"etag": _ETAG.search(html(page.get(url))).group(1)}
    rotated = page.post(f"{url}/rotate-secret", form)
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    second = _SECRET.search(html(rotated)).group(1)
    [row] = endpoints()
    assert (row.secret, row.previous_secret) == (second, first)
    assert "The old secret keeps signing until" in text(rotated) and "(24 hours)" in text(rotated)
    assert second not in str(session_of(page, app))
    resent = page.post(f"{url}/rotate-secret", form)
    assert resent.status_code == 303 and endpoints()[0].secret == second
    later = page.get(url)
    assert second not in html(later) and "the previous secret also signs until" in text(later)


def test_deliveries_show_every_attempt_and_send_again_replays_under_the_same_id(pages, world, client, receiver):
    endpoint, secret = add_endpoint(client, world, receiver.url)
    receiver.secrets = [secret]
    receiver.answers = [Answer(500, body=b"database down")]
    event_id = emit(world)
    dispatcher.dispatch()
    page = pages.as_("vendor_admin")
    url = f"/portal/webhooks/{endpoint['id']}"
    shown = text(page.get(url))
    assert f"purchase_order.created purchase_order.created for Acme msg_{event_id}" in shown
    assert "waiting for its next attempt next attempt" in shown
    assert "answered 500 in" in shown and "the receiver answered 500: database down" in shown
    [delivery] = deliveries_of(endpoint["id"])
    sent = page.post(f"/portal/webhooks/deliveries/{delivery.id}/retry")
    assert sent.status_code == 303 and sent.headers["Location"] == f"{url}#delivery-{delivery.id}"
    after = text(page.get(url))
    assert f"Sent again (msg_{event_id}): the receiver answered 200." in after
    assert "delivered" in after and "answered 200 in" in after and "(sent again by hand)" in after
    assert [r.webhook_id for r in receiver.received] == [f"msg_{event_id}"] * 2
    assert all(r.verified_by == [secret] for r in receiver.received)


def test_deleting_the_endpoint_from_its_page(pages, world, client, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    emit(world)
    dispatcher.dispatch()
    page = pages.as_("vendor_admin")
    url = f"/portal/webhooks/{endpoint['id']}"
    shown = page.get(url)
    assert 'data-confirm="Delete the endpoint' in html(shown)
    gone = page.post(f"{url}/delete", {"etag": _ETAG.search(html(shown)).group(1)})
    assert gone.status_code == 303 and gone.headers["Location"] == "/portal/webhooks"
    assert f"The endpoint {receiver.url} is deleted, with its deliveries" in text(page.get("/portal/webhooks"))
    assert endpoints() == [] and db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert page.get(url).status_code == 404


def test_the_start_page_says_when_an_endpoint_was_disabled_or_deliveries_failed(pages, world, client, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    page = pages.as_("vendor_admin")
    assert "Nothing is waiting for you right now." in text(page.get("/portal"))
    receiver.answers = [Answer(410)]
    emit(world)
    emit(world, "purchase_order.changed")
    dispatcher.dispatch()
    home = page.get("/portal")
    assert (f"The webhook endpoint {receiver.url} was disabled: the receiver answered 410 Gone on" in text(home))
    assert "2 webhook deliveries failed for good this week" in text(home)
    assert f'href="/portal/webhooks/{endpoint["id"]}"' in html(home)


def test_the_console_lists_every_vendors_endpoints_failing_first(pages, world, client, receiver):
    healthy, _ = add_endpoint(client, world, receiver.url + "/healthy")
    emit(world)
    dispatcher.dispatch()
    other = client.post(f"/api/v1/vendors/{world.other_vendor.id}/webhook-endpoints", json={"url": receiver.url + "/bolt"},
                        headers=world.headers["other_vendor_admin"]).get_json()
    receiver.answers = [Answer(503)]
    emit(world, vendor=world.other_vendor)
    dispatcher.dispatch()
    page = pages.as_("mso_procurement")
    listed = page.get("/console/webhooks")
    assert listed.status_code == 200 and '<a href="/console/webhooks" aria-current="page">Webhooks</a>' in html(listed)
    rows = text(listed)
    assert rows.index("Bolt") < rows.index("Acme")  # retrying first
    assert f"Bolt {receiver.url}/bolt every event type enabled 0 1 0" in rows
    assert f"Acme {receiver.url}/healthy every event type enabled 0 0 1" in rows
    detail = page.get(f"/console/webhooks/{other['id']}")
    assert detail.status_code == 200 and "Webhook endpoint of Bolt" in text(detail)
    assert "Only the MSO's admin sends a delivery again." in text(detail) and "Send again" not in text(detail)
    [delivery] = deliveries_of(other["id"])
    assert page.post(f"/console/webhooks/deliveries/{delivery.id}/retry").status_code == 403
    admin = pages.as_("mso_admin")
    assert "Send again" in text(admin.get(f"/console/webhooks/{other['id']}"))
    sent = admin.post(f"/console/webhooks/deliveries/{delivery.id}/retry")
    assert sent.status_code == 303 and sent.headers["Location"].startswith(f"/console/webhooks/{other['id']}")
    assert deliveries_of(other["id"])[0].status == "succeeded" and healthy["id"] != other["id"]


def test_other_faces_and_vendors_have_no_such_pages(pages, world, client, receiver):
    endpoint, _ = add_endpoint(client, world, receiver.url)
    assert pages.as_("other_vendor_admin").get(f"/portal/webhooks/{endpoint['id']}").status_code == 404
    assert pages.as_("practice_admin").get("/portal/webhooks").status_code == 404
    assert pages.as_("vendor_admin").get("/console/webhooks").status_code == 404
    assert "Webhooks" not in text(pages.as_("practice_admin").get("/shop"))


def test_the_pages_cost_the_same_with_more_deliveries_and_endpoints(pages, world, client, receiver):
    from tests.pages import Statements, same_count

    endpoint, _ = add_endpoint(client, world, receiver.url)
    receiver.answers = [Answer(500)]
    emit(world)
    dispatcher.dispatch()

    def grow():
        add_endpoint(client, world, receiver.url + "/more")
        receiver.answers = [Answer(503), Answer(429)]
        for _ in range(3):
            emit(world)
        dispatcher.dispatch()

    vendor = Statements(pages.as_("vendor_admin"))
    same_count(vendor, f"/portal/webhooks/{endpoint['id']}", grow)
    same_count(vendor, "/portal/webhooks", grow)
    same_count(Statements(pages.as_("mso_admin")), "/console/webhooks", grow)
