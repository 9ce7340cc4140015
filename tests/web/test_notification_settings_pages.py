"""The Notifications page of every face without a browser: the kinds the user could
receive as checkboxes, essential ones on and not changeable with the reason; saving
turns a kind off with "Saved"; a refused form shows the reason at the kind's checkbox
and changes nothing; another face's page is 404 and the form needs its CSRF token."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gpo.db import db
from gpo.notifications.models import NotificationSetting
from tests.pages import text_of


def _html(response) -> str:
    return response.get_data(as_text=True)


def _stored() -> list[tuple[int, str, bool]]:
    db.session.expire_all()
    return [(s.user_id, s.kind, s.enabled) for s in db.session.scalars(
        select(NotificationSetting).order_by(NotificationSetting.user_id, NotificationSetting.kind))]


def _checkbox(html: str, kind: str) -> str:
    match = re.search(r'<input type="checkbox" id="kind-{}"[^>]*>'.format(kind.replace(".", "-")), html)
    assert match, f"no checkbox for {kind}"
    return match.group(0)


@pytest.mark.parametrize("who, path, kinds", [
    ("practice_admin", "/settings/notifications", ["Substitutes to decide", "Draft orders when the cycle closes soon",
                                                  "Invoices issued", "Failed payments", "Timesheets to approve"]),
    ("mso_finance", "/console/settings/notifications", ["Failed payments"]),
    ("vendor_admin", "/portal/settings/notifications", ["New purchase orders"]),
])
def test_every_face_links_its_notifications_page_in_the_navigation(pages, who, path, kinds):
    page = pages.as_(who)
    home = _html(page.get({"practice_admin": "/shop", "mso_finance": "/console", "vendor_admin": "/portal"}[who]))
    assert f'<a href="{path}">Notifications</a>' in home
    response = page.get(path)
    html, text = _html(response), text_of(_html(response))
    assert response.status_code == 200
    assert f'href="{path}" aria-current="page">Notifications' in html
    assert f"The e-mails gpo sends you at {pages.world.users[who].email}" in text
    labels = re.findall(r'<label for="kind-[^"]+"><input[^>]*>\s*([^<]+?)</label>', html)
    assert labels == kinds


def test_an_essential_kind_is_on_and_not_changeable_with_the_reason(pages):
    html = _html(pages.as_("practice_admin").get("/settings/notifications"))
    essential = _checkbox(html, "payment.failed")
    assert " checked" in essential and " disabled" in essential
    assert 'name="shown" value="payment.failed"' not in html
    assert ("A payment of an invoice failed. Always sent: A failed payment needs someone to act before the invoice "
            "is overdue: it is always sent.") in text_of(html)
    assert " disabled" not in _checkbox(html, "invoice.issued") and " checked" in _checkbox(html, "invoice.issued")


def test_unticking_a_kind_saves_it_off(pages, world):
    page = pages.as_("practice_admin")
    page.get("/settings/notifications")
    shown = ["substitution.offered", "cycle.closing_soon", "invoice.issued", "timesheet.submitted"]
    response = page.post("/settings/notifications", {"shown": shown, "enabled": [
        "substitution.offered", "cycle.closing_soon", "timesheet.submitted"]})
    assert response.status_code == 302 and response.headers["Location"] == "/settings/notifications"
    html = _html(page.get(response.headers["Location"]))
    assert "Saved. Turned off: Invoices issued." in text_of(html)
    assert " checked" not in _checkbox(html, "invoice.issued")
    assert " checked" in _checkbox(html, "substitution.offered")
    assert _stored() == [(world.users["practice_admin"].id, "invoice.issued", False)]
    # and ticking it again turns it back on
    response = page.post("/settings/notifications", {"shown": shown, "enabled": shown})
    assert "Saved. You receive every e-mail listed." in text_of(_html(page.get(response.headers["Location"])))
    assert _stored() == [(world.users["practice_admin"].id, "invoice.issued", True)]


def test_the_console_and_the_portal_save_on_their_own_pages(pages, world):
    page = pages.as_("mso_admin")
    page.get("/console/settings/notifications")
    response = page.post("/console/settings/notifications", {"shown": ["payment.failed"]})
    assert response.status_code == 422  # the form never shows it so: an essential kind is not turned off
    assert _stored() == []
    page = pages.as_("vendor_admin")
    page.get("/portal/settings/notifications")
    response = page.post("/portal/settings/notifications", {})
    assert response.status_code == 302 and response.headers["Location"] == "/portal/settings/notifications"


def test_a_refused_form_shows_the_reason_at_the_kind_and_changes_nothing(pages):
    page = pages.as_("practice_admin")
    page.get("/settings/notifications")
    response = page.post("/settings/notifications", {"shown": ["invoice.issued", "payment.failed"],
                                                     "enabled": []})
    html = _html(response)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in _checkbox(html, "payment.failed")
    assert ('<p class="field-error" id="kind-payment-failed-error">payment.failed is essential and cannot be turned '
            'off: A failed payment needs someone to act before the invoice is overdue: it is always sent.</p>') in html
    assert 'aria-invalid' not in _checkbox(html, "invoice.issued")
    assert _stored() == []


def test_a_kind_the_page_never_showed_is_refused_at_the_top(pages):
    page = pages.as_("practice_buyer")
    page.get("/settings/notifications")
    response = page.post("/settings/notifications", {"shown": ["invoice.issued"]})
    assert response.status_code == 422
    assert "invoice.issued is not an e-mail your organization and roles receive" in text_of(_html(response))
    assert _stored() == []


@pytest.mark.parametrize("who, path", [
    ("practice_buyer", "/console/settings/notifications"), ("practice_buyer", "/portal/settings/notifications"),
    ("vendor_admin", "/settings/notifications"), ("mso_finance", "/portal/settings/notifications"),
])
def test_another_faces_page_is_404(pages, who, path):
    page = pages.as_(who)
    assert page.get(path).status_code == 404
    assert page.post(path, {"shown": ["invoice.issued"]}).status_code == 404
    assert _stored() == []


def test_signing_in_is_required_and_the_form_needs_its_csrf_token(pages):
    response = pages.anonymous().get("/settings/notifications")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = pages.as_("practice_admin")
    response = page.post("/settings/notifications", {"shown": ["invoice.issued"]}, csrf=False)
    assert response.status_code == 400
    assert _stored() == []


def test_a_role_that_receives_no_email_is_told_so(pages):
    response = pages.as_("mso_procurement").get("/console/settings/notifications")
    assert response.status_code == 200
    assert "No e-mail is sent to your role yet." in text_of(_html(response))
    assert "Save settings" not in _html(response)
