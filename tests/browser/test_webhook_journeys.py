"""Webhooks in a real browser, by role and accessible name. THE JOURNEY: Acme's admin
opens Webhooks, adds an endpoint for purchase orders at the company's receiver (a real
server on loopback that verifies every signature) and copies the secret shown once; a
purchase order's event reaches the receiver, which answers 500; the endpoint's page
shows the attempt, and "Send again" delivers it under the same webhook-id; the admin
rotates the secret and sees the new one once, the old one signing for 24 hours. MSO
staff find the endpoint in the console's Webhooks. axe-core on every page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gpo.notifications import dispatcher
from tests.browser.conftest import assert_accessible, screenshot
from tests.notifications.webhook_support import Answer, Receiver, deliveries_of, emit


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_a_vendor_admin_adds_an_endpoint_sends_a_failed_delivery_again_and_rotates_the_secret(web, world, receiver):
    vendor = web.sign_in(world.users["vendor_admin"].email)
    vendor.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(vendor.get_by_role("main")).to_contain_text("No webhook endpoint yet.")
    assert_accessible(vendor, "the empty webhooks page")
    form = vendor.get_by_role("form", name="Add an endpoint")
    form.get_by_label("URL").fill(receiver.url)
    form.get_by_label("Description").fill("ERP order intake")
    form.get_by_label("purchase_order.created").check()
    form.get_by_role("button", name="Add the endpoint").click()
    secret_box = vendor.get_by_label("The signing secret (copy it now)")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert secret.startswith("whsec_")
    expect(vendor.get_by_role("status").filter(has_text="This is the only time it is shown.")).to_be_visible()
    assert_accessible(vendor, "the secret shown once")
    screenshot(vendor, "portal-webhook-secret-once", docs=True)
    receiver.secrets = [secret]

    receiver.answers = [Answer(500, body=b"ERP is down")]
    event_id = emit(world)
    web.settle()
    dispatcher.dispatch()
    vendor.get_by_role("link", name="Go to the endpoint").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text("Webhook endpoint")
    row = vendor.get_by_role("row", name=f"msg_{event_id}", exact=False)
    expect(row).to_contain_text("waiting for its next attempt")
    expect(row).to_contain_text("the receiver answered 500: ERP is down")
    assert_accessible(vendor, "the endpoint with a failed attempt")
    [delivery] = web.query(lambda: deliveries_of(_endpoint_id(world)))
    row.get_by_role("button", name=f"Send delivery {delivery.id} again (purchase_order.created)").click()
    expect(vendor.get_by_text(f"Sent again (msg_{event_id}): the receiver answered 200.")).to_be_visible()
    row = vendor.get_by_role("row", name=f"msg_{event_id}", exact=False)
    expect(row).to_contain_text("delivered")
    expect(row).to_contain_text("(sent again by hand)")
    assert_accessible(vendor, "the delivered event")
    screenshot(vendor, "portal-webhook-deliveries", docs=True)
    assert [r.webhook_id for r in receiver.received] == [f"msg_{event_id}"] * 2
    assert all(r.verified_by == [secret] for r in receiver.received)

    vendor.get_by_role("button", name="Rotate the secret").click()
    assert web.dialogs and web.dialogs[-1].startswith("Rotate the signing secret?")
    new_box = vendor.get_by_label("The new signing secret (copy it now)")
    expect(new_box).to_be_visible()
    assert new_box.input_value().startswith("whsec_") and new_box.input_value() != secret
    expect(vendor.get_by_role("main")).to_contain_text("The old secret keeps signing until")
    assert_accessible(vendor, "the rotated secret")

    mso = web.sign_in(world.users["mso_procurement"].email)
    mso.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks", exact=True).click()
    expect(mso.get_by_role("heading", level=1)).to_have_text("Webhooks")
    endpoints_table = mso.get_by_role("region", name="Webhook endpoints")
    expect(endpoints_table).to_contain_text("Acme")
    assert_accessible(mso, "the console's webhooks")
    endpoints_table.get_by_role("link", name=receiver.url).click()
    expect(mso.get_by_role("heading", level=1)).to_have_text("Webhook endpoint of Acme")
    expect(mso.get_by_role("main")).to_contain_text("Only the MSO's admin sends a delivery again.")
    expect(mso.get_by_role("button", name="Send again")).to_have_count(0)
    assert_accessible(mso, "the console's endpoint page")
    screenshot(mso, "console-webhook-endpoint", docs=True)


def _endpoint_id(world) -> int:
    from sqlalchemy import select

    from gpo.db import db
    from gpo.notifications.models import WebhookEndpoint

    return db.session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.vendor_id == world.vendor.id)).one()
