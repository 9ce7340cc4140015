"""The console's audit log without a browser: MSO admins read every event, newest
first, in the console's time zone, with the organization's name and each change as
old -> new; filters as GET /audit-events takes them (action, object type and id,
actor, organization) and by days (the console's midnights); bad filters refused at
their field with 422; other MSO roles get 403 (no nav link), other faces 404."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.db import db
from tests.pages import Statements, same_count, text_of

UTC = dt.timezone.utc


def html(response) -> str:
    return response.get_data(as_text=True)


def text(response) -> str:
    return text_of(html(response))


def event(world, at: str, action="practice.update", actor="mso_admin", obj=None, **fields):
    """An event at `at` (ISO, UTC) by world.users[actor] about `obj` (default: Lakeside)."""
    user = world.users[actor]
    obj = obj if obj is not None else world.practice
    row = AuditEvent(at=dt.datetime.fromisoformat(at).replace(tzinfo=UTC), actor_type="user",
                     actor_user_id=user.id, actor_label=user.email, organization_id=obj.tenant_id, action=action,
                     object_type=obj.__tablename__, object_id=obj.id, **fields)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def log(world):
    """Three events: Lakeside suspended on Jul 4 at 12:30 PM CDT; a location of Lakeside
    added by procurement that evening (10:00 PM CDT, Jul 5 in UTC); Acme's kind changed
    after midnight (1:00 AM CDT on Jul 5)."""
    return {
        "suspended": event(world, "2026-07-04T17:30:00", details={"status": ["active", "suspended"]}),
        "location": event(world, "2026-07-05T03:00:00", action="location.create", actor="mso_procurement",
                          obj=world.location, details={"name": world.location.name}),
        "kind": event(world, "2026-07-05T06:00:00", action="vendor.update", obj=world.vendor,
                      details={"kind": ["supplier", "carrier"]}),
    }


def ids_shown(response) -> list[str]:
    """The events' object links in the order shown: "practices #2", "locations #1"..."""
    import re

    return re.findall(r'title="Show only these events">((?:practices|locations|vendors) #\d+)</a>', html(response))


def test_an_mso_admin_reads_the_log_newest_first_in_local_time(pages, world, log):
    response = pages.as_("mso_admin").get("/console/audit")
    assert response.status_code == 200
    assert '<a href="/console/audit" aria-current="page">Audit log</a>' in html(response)
    assert ids_shown(response) == [f"vendors #{world.vendor.id}", f"locations #{world.location.id}",
                                   f"practices #{world.practice.id}"]
    body = text(response)
    assert "Jul 4, 2026, 12:30 PM CDT" in body and "Jul 4, 2026, 10:00 PM CDT" in body
    assert "Jul 5, 2026, 1:00 AM CDT" in body and "times in America/Chicago" in body
    assert "status: active → suspended" in body and "kind: supplier → carrier" in body
    assert f"mso_procurement@example.test location.create locations #{world.location.id} Lakeside" in body
    assert f'href="/console/audit?actor_user_id={world.users["mso_procurement"].id}"' in html(response)
    assert f'href="/console/audit?organization_id={world.vendor.id}"' in html(response)


def test_the_filters_are_the_apis(pages, world, log):
    page = pages.as_("mso_admin")
    practice, location, vendor = (f"practices #{world.practice.id}", f"locations #{world.location.id}",
                                  f"vendors #{world.vendor.id}")
    assert ids_shown(page.get("/console/audit?action=location.create")) == [location]
    assert ids_shown(page.get("/console/audit?object_type=practices")) == [practice]
    assert ids_shown(page.get(f"/console/audit?object_type=vendors&object_id={world.vendor.id}")) == [vendor]
    assert ids_shown(page.get(f"/console/audit?actor_user_id={world.users['mso_procurement'].id}")) == [location]
    assert ids_shown(page.get(f"/console/audit?organization_id={world.practice.id}")) == [location, practice]
    assert "No event matches these filters." in text(page.get("/console/audit?action=invoice.void"))
    shown = page.get("/console/audit?action=location.create")
    assert 'id="filter-action" name="action" type="text" value="location.create"' in html(shown)
    assert "Clear the filters" in text(shown)


def test_days_are_the_consoles_days(pages, world, log):
    """Jul 4 in Chicago runs from 05:00 UTC on Jul 4 to 05:00 UTC on Jul 5: the evening
    event (03:00 UTC on Jul 5) is in it, the one after midnight is not."""
    page = pages.as_("mso_admin")
    practice, location, vendor = (f"practices #{world.practice.id}", f"locations #{world.location.id}",
                                  f"vendors #{world.vendor.id}")
    assert ids_shown(page.get("/console/audit?from=2026-07-04&to=2026-07-04")) == [location, practice]
    assert ids_shown(page.get("/console/audit?from=2026-07-05")) == [vendor]
    assert ids_shown(page.get("/console/audit?to=2026-07-03")) == []


@pytest.mark.parametrize("query, field, message", [
    ("from=2026-13-01", "from", "Not a valid date."),
    ("from=2026-07-05&to=2026-07-04", "to", "the last day must not be before the first"),
    ("actor_user_id=abc", "actor_user_id", "Not a valid integer."),
    ("object_id=0", "object_id", "Must be greater than or equal to 1"),
    ("organization_id=99999999999999999999", "organization_id", "Must be greater than or equal to 1"),
])
def test_a_bad_filter_is_refused_at_its_field(pages, world, log, query, field, message):
    response = pages.as_("mso_admin").get(f"/console/audit?{query}")
    assert response.status_code == 422
    assert f'id="filter-{field}"' in html(response) and f'id="filter-{field}-error">{message}' in html(response)
    assert 'aria-invalid="true"' in html(response)
    assert ids_shown(response) == []


def test_the_log_pages_by_fifty(pages, world):
    for n in range(60):
        event(world, f"2026-07-01T{n // 60:02d}:{n % 60:02d}:00", details={"n": n})
    page = pages.as_("mso_admin")
    first = text(page.get("/console/audit?object_type=practices"))
    assert "Page 1 of 2 (60 in all)" in first and "n: 59" in first and "n: 9 " not in first
    second = page.get("/console/audit?object_type=practices&page=2")
    assert "n: 9 " in text(second) and 'href="/console/audit?object_type=practices&amp;page=1"' in html(second)


def test_a_change_made_in_the_console_is_in_the_log(pages, world):
    page = pages.as_("mso_admin")
    page.get(f"/console/practices/{world.practice.id}")
    page.post(f"/console/practices/{world.practice.id}/locations",
              {"name": "Annex", "line1": "2 Elm St", "city": "Madison", "state": "WI", "postal_code": "53703"})
    body = text(page.get("/console/audit?action=location.create"))
    assert "mso_admin@example.test location.create" in body and "name: Annex" in body and "Lakeside" in body
    page.post(f"/console/practices/{world.practice.id}/users", {"name": "Sam Front", "email": "sam@lakeside.test",
              "password": "a-long-password-1", "roles": ["practice_buyer", "practice_physician"]})
    body = text(page.get("/console/audit?action=user.create"))
    assert "roles: practice_buyer, practice_physician" in body and "a-long-password-1" not in body


def test_an_api_keys_event_names_the_key(pages, world):
    event_row = AuditEvent(actor_type="api_key", actor_api_key_id=world.api_key.id,
                           actor_label=f"api key {world.api_key.prefix}...{world.api_key.last4}",
                           organization_id=world.vendor.id, action="product.create", object_type="products",
                           object_id=1, details={"sku": "GLV"})
    db.session.add(event_row)
    db.session.commit()
    body = text(pages.as_("mso_admin").get("/console/audit?object_type=products"))
    assert f"api key {world.api_key.prefix}...{world.api_key.last4} product.create products #1 Acme sku: GLV" in body


@pytest.mark.parametrize("who", ("mso_procurement", "mso_finance"))
def test_other_mso_roles_get_403_and_no_nav_link(pages, world, log, who):
    page = pages.as_(who)
    response = page.get("/console/audit")
    assert response.status_code == 403
    assert "The audit log is read by MSO admins" in text(response)
    assert 'href="/console/audit"' not in html(page.get("/console"))
    assert "status: active → suspended" not in text(response)


@pytest.mark.parametrize("who", ("practice_admin", "vendor_admin"))
def test_another_faces_admin_gets_404_although_the_api_shows_them_their_own(pages, world, log, who):
    response = pages.as_(who).get("/console/audit")
    assert response.status_code == 404 and "There is no such page for" in text(response)


def test_a_get_writes_nothing(pages, world, log):
    page = pages.as_("mso_admin")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    page.get("/console/audit?action=practice.update")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_log_sends_as_many_statements_with_more_events(pages, world, log):
    def grow():
        for n in range(20):
            event(world, f"2026-07-06T10:{n:02d}:00", obj=world.other_practice if n % 2 else world.other_vendor,
                  actor="mso_finance", details={"n": n})

    same_count(Statements(pages.as_("mso_admin")), "/console/audit", grow)
