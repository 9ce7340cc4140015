"""The console's member pages without a browser: practices (list, filter, admit one,
its locations, providers, users, fees and status), vendors (list by kind, add one,
its users, its kind, why its API keys are not listed) and the MSO's users. For each:
the MSO roles allowed; another face's user gets 404; a role that sees the page but
may not act reads why, and a POST sent anyway answers 403 with nothing written; bad
input is refused at its field with a 4xx and nothing written; a stale version 412."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.accounts.models import Location, Organization, Practice, Provider, User, Vendor
from gpo.audit import AuditEvent
from gpo.db import db
from gpo.etags import etag_for
from tests.factories import LocationFactory, PracticeFactory, ProviderFactory, UserFactory, VendorFactory
from tests.pages import Statements, same_count, text_of

GOOD_NPI, BAD_NPI = "1234567893", "1234567890"
PRACTICE = {"name": "Hillcrest Family Care", "tax_id": "39-1112223", "joined_on": "2026-03-01",
            "time_zone": "America/New_York"}
LOCATION = {"name": "North clinic", "line1": "9 Oak Ave", "city": "Madison", "state": "WI", "postal_code": "53704"}
PROVIDER = {"first_name": "Rosa", "last_name": "Diaz", "npi": GOOD_NPI, "specialty": "pediatrics",
            "active_from": "2026-02-01"}
USER = {"name": "Sam Front", "email": "sam@lakeside.test", "password": "a-long-password-1"}
OTHER_FACES = ("practice_admin", "practice_buyer", "vendor_admin")


def count(model, **where) -> int:
    db.session.commit()
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def html(response) -> str:
    return response.get_data(as_text=True)


def text(response) -> str:
    return text_of(html(response))


def rows() -> dict[str, int]:
    """Every table's row count: a refused POST leaves them all as they were."""
    db.session.commit()
    db.session.expire_all()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
            if t.name not in ("web_sessions", "audit_events", "login_failures")} | {
        "audit_events": db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action != "session.sign_in"))}


def fresh(obj):
    db.session.commit()
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("who", OTHER_FACES)
def test_a_practice_user_or_a_vendor_gets_404_on_every_member_page_and_writes_nothing(pages, world, who):
    page = pages.as_(who)
    for path in ("/console/practices", f"/console/practices/{world.practice.id}", "/console/vendors",
                 f"/console/vendors/{world.vendor.id}", "/console/users"):
        response = page.get(path)
        assert response.status_code == 404, path
        assert "There is no such page for" in text(response)
    before = rows()
    assert page.post("/console/practices", PRACTICE).status_code == 404
    assert page.post(f"/console/practices/{world.practice.id}/locations", LOCATION).status_code == 404
    assert page.post("/console/vendors", {"name": "Sneaky", "kind": "supplier"}).status_code == 404
    assert page.post("/console/users", {**USER, "roles": "mso_admin"}).status_code == 404
    assert rows() == before


def test_signed_out_the_console_pages_send_to_sign_in(pages):
    response = pages.anonymous().get("/console/practices")
    assert response.status_code == 302 and "/login?next=/console/practices" in response.headers["Location"]


@pytest.mark.parametrize("who", ("mso_admin", "mso_procurement", "mso_finance"))
def test_every_mso_role_has_the_members_nav_and_the_practice_list(pages, world, who):
    response = pages.as_(who).get("/console/practices")
    assert response.status_code == 200
    assert '<a href="/console/practices" aria-current="page">Members</a>' in html(response)
    body = text(response)
    assert "Lakeside" in body and "Riverbend" in body and "active member" in body
    # the MSO users' sub-page is linked for who may list users only
    assert ('href="/console/users"' in html(response)) == (who == "mso_admin")


# --- practices --------------------------------------------------------------------------------


def test_the_practice_list_filters_by_status_and_name(pages, world):
    world.other_practice.status = "suspended"
    db.session.commit()
    page = pages.as_("mso_procurement")
    body = text(page.get("/console/practices?status=suspended"))
    assert "Riverbend" in body and "Lakeside" not in body and "suspended: left out of membership billing" in body
    body = text(page.get("/console/practices?q=LAKE"))
    assert "Lakeside" in body and "Riverbend" not in body
    assert "No practice matches these filters" in text(page.get("/console/practices?q=100%25"))
    refused = page.get("/console/practices?status=closed")
    assert refused.status_code == 422
    assert 'id="filter-status" name="status" aria-invalid="true"' in html(refused)
    assert 'id="filter-status-error">Must be one of: active, suspended.' in html(refused)


def test_the_practice_list_pages(pages, world):
    for n in range(30):
        PracticeFactory(name=f"Member {n:02d}")
    db.session.commit()
    page = pages.as_("mso_finance")
    first = text(page.get("/console/practices"))
    assert "Page 1 of 2 (32 in all)" in first and "Member 22" in first and "Member 23" not in first
    assert "Member 29" in text(page.get("/console/practices?page=2"))


def test_an_mso_admin_admits_a_practice(pages, world):
    page = pages.as_("mso_admin")
    page.get("/console/practices")
    response = page.post("/console/practices", PRACTICE)
    assert response.status_code == 302
    db.session.commit()
    practice = db.session.scalars(select(Practice).where(Organization.name == "Hillcrest Family Care")).one()
    assert response.headers["Location"] == f"/console/practices/{practice.id}"
    assert practice.tax_id == "39-1112223" and practice.time_zone == "America/New_York"
    assert str(practice.joined_on) == "2026-03-01" and practice.status == "active"
    shown = text(page.get(response.headers["Location"]))
    assert "Hillcrest Family Care is a member practice now." in shown and "Mar 1, 2026" in shown
    assert count(AuditEvent, action="practice.create", object_id=practice.id) == 1


def test_a_bad_practice_is_refused_at_its_fields_and_nothing_is_written(pages, world):
    page = pages.as_("mso_admin")
    page.get("/console/practices")
    before = rows()
    response = page.post("/console/practices", {**PRACTICE, "tax_id": "391112223", "time_zone": "Mars/Olympus"})
    assert response.status_code == 422
    assert 'id="practice-tax_id-error">tax_id must look like 12-3456789' in html(response)
    assert 'id="practice-time_zone-error">time_zone must be an IANA time zone' in html(response)
    assert 'value="Hillcrest Family Care"' in html(response)  # what was typed stays
    assert "Lakeside" in text(response)  # the list is still shown
    assert rows() == before


@pytest.mark.parametrize("who", ("mso_procurement", "mso_finance"))
def test_other_mso_roles_read_why_they_cannot_admit_and_a_post_is_403(pages, world, who):
    page = pages.as_(who)
    body = text(page.get("/console/practices"))
    assert "Only MSO admins admit a member practice." in body and "Admit the practice" not in body
    before = rows()
    assert page.post("/console/practices", PRACTICE).status_code == 403
    assert rows() == before


def test_the_practice_page_shows_locations_providers_users_and_fees(pages, world, client):
    client.put(f"/api/v1/practices/{world.practice.id}/fee-schedule", headers=world.headers["mso_finance"],
               json={"service_fee_percent": "1.75", "pmpm_cents": 2550})
    page = pages.as_("mso_admin")
    response = page.get(f"/console/practices/{world.practice.id}")
    assert response.status_code == 200
    body = text(response)
    assert world.location.name in body and world.provider.npi in body
    assert world.users["practice_buyer"].email in body and "Buyer" in body
    assert world.users["other_practice_admin"].email not in body  # Riverbend's users are not Lakeside's
    assert "has its own fees (an override of the MSO default) for the service fee, the per-provider monthly fee" in body
    assert "service fee 1.75%, membership $0.00 a month, $25.50 per provider per month" in body
    other = text(page.get(f"/console/practices/{world.other_practice.id}"))
    assert "The MSO's default fees apply." in other


def test_the_fee_override_links_to_the_fee_schedules_page_where_the_console_has_one(pages, world, app, monkeypatch):
    from gpo.accounts import console_pages

    page = pages.as_("mso_finance")
    assert "fee schedules page" not in text(page.get(f"/console/practices/{world.practice.id}"))
    monkeypatch.setattr(console_pages, "_fee_schedules_url", lambda: "/console/fee-schedules")
    assert 'href="/console/fee-schedules"' in html(page.get(f"/console/practices/{world.practice.id}"))


def test_an_unknown_practice_is_404(pages):
    page = pages.as_("mso_admin")
    assert page.get("/console/practices/999999").status_code == 404
    before = rows()
    assert page.post("/console/practices/999999/locations", LOCATION).status_code == 404
    assert rows() == before


def test_procurement_reads_a_practice_and_why_it_cannot_change_it(pages, world):
    page = pages.as_("mso_procurement")
    practice_id = world.practice.id
    body = text(page.get(f"/console/practices/{practice_id}"))
    assert world.location.name in body and world.provider.npi in body
    for why in ("Only MSO admins suspend or reactivate a practice.", "add locations.", "add providers.",
                "Only MSO admins see and add an organization's users."):
        assert why in body
    assert world.users["practice_buyer"].email not in body
    assert "Add the location" not in body and "Add the provider" not in body and "Change the status" not in body
    before = rows()
    etag = etag_for(world.practice)
    for path, data in (("locations", LOCATION), ("providers", PROVIDER), ("users", {**USER, "roles": "practice_buyer"}),
                       ("status", {"status": "suspended", "etag": etag})):
        assert page.post(f"/console/practices/{practice_id}/{path}", data).status_code == 403, path
    assert rows() == before
    assert fresh(world.practice).status == "active"


def test_an_mso_admin_adds_a_location_a_provider_and_a_user(pages, world):
    page = pages.as_("mso_admin")
    practice_id = world.practice.id
    page.get(f"/console/practices/{practice_id}")
    response = page.post(f"/console/practices/{practice_id}/locations", LOCATION)
    assert response.status_code == 302 and response.headers["Location"].endswith("#locations")
    response = page.post(f"/console/practices/{practice_id}/providers", PROVIDER)
    assert response.status_code == 302
    response = page.post(f"/console/practices/{practice_id}/users", {**USER, "roles": ["practice_buyer", "practice_physician"]})
    assert response.status_code == 302
    body = text(page.get(f"/console/practices/{practice_id}"))
    assert "Sam Front (sam@lakeside.test) can now sign in." in body
    assert "North clinic" in body and "9 Oak Ave, Madison, WI 53704" in body
    assert "Rosa Diaz" in body and GOOD_NPI in body and "Buyer, Physician" in body
    assert count(Location, practice_id=practice_id, name="North clinic") == 1
    assert count(Provider, practice_id=practice_id, npi=GOOD_NPI) == 1
    user = db.session.scalars(select(User).where(User.email == "sam@lakeside.test")).one()
    assert user.organization_id == practice_id and user.roles == ["practice_buyer", "practice_physician"]


def test_bad_members_are_refused_at_their_fields_and_nothing_is_written(pages, world):
    page = pages.as_("mso_admin")
    practice_id = world.practice.id
    page.get(f"/console/practices/{practice_id}")
    before = rows()
    response = page.post(f"/console/practices/{practice_id}/locations", {**LOCATION, "state": "Wisconsin"})
    assert response.status_code == 422
    assert 'id="location-state-error">state must be a two-letter code' in html(response)
    response = page.post(f"/console/practices/{practice_id}/locations", {**LOCATION, "name": world.location.name})
    assert response.status_code == 409 and "already has a location named" in text(response)
    response = page.post(f"/console/practices/{practice_id}/providers", {**PROVIDER, "npi": BAD_NPI})
    assert response.status_code == 422 and 'id="provider-npi-error">not a valid NPI' in html(response)
    assert 'value="Rosa"' in html(response)
    response = page.post(f"/console/practices/{practice_id}/users", {**USER, "roles": "mso_admin"})
    assert response.status_code == 422 and "do not belong to a practice" in text(response)
    assert "a-long-password-1" not in html(response)  # a password is never sent back
    response = page.post(f"/console/practices/{practice_id}/users",
                         {**USER, "email": world.users["vendor_admin"].email, "roles": "practice_buyer"})
    assert response.status_code == 409 and "this e-mail address cannot be used" in text(response)
    assert rows() == before


def test_an_mso_admin_suspends_a_practice_under_its_version(pages, world):
    page = pages.as_("mso_admin")
    practice_id = world.practice.id
    stale = etag_for(world.practice)
    page.get(f"/console/practices/{practice_id}")
    response = page.post(f"/console/practices/{practice_id}/status", {"status": "suspended", "etag": stale})
    assert response.status_code == 302
    assert "is now: suspended: left out of membership billing" in text(page.get(f"/console/practices/{practice_id}"))
    assert fresh(world.practice).status == "suspended"
    assert count(AuditEvent, action="practice.update", object_id=practice_id) == 1
    # the same (now stale) form again: the API's 412, nothing changes
    before = rows()
    response = page.post(f"/console/practices/{practice_id}/status", {"status": "active", "etag": stale})
    assert response.status_code == 412 and "the object changed since you read it" in text(response)
    response = page.post(f"/console/practices/{practice_id}/status",
                         {"status": "closed", "etag": etag_for(fresh(world.practice))})
    assert response.status_code == 422 and 'id="practice-status-error">Must be one of' in html(response)
    assert rows() == before and fresh(world.practice).status == "suspended"


def test_the_practice_page_sends_as_many_statements_with_more_members(pages, world):
    practice = world.practice

    def grow():
        for n in range(5):
            LocationFactory(practice=practice, name=f"Site {n}")
            ProviderFactory(practice_id=practice.id)
            UserFactory(organization_id=practice.id, roles=["practice_buyer", "practice_physician"])

    same_count(Statements(pages.as_("mso_admin")), f"/console/practices/{practice.id}", grow)


# --- vendors ------------------------------------------------------------------------------------


def test_the_vendor_list_filters_by_kind(pages, world):
    VendorFactory(name="Keystone Mutual", kind="carrier")
    db.session.commit()
    page = pages.as_("mso_finance")
    body = text(page.get("/console/vendors"))
    assert "Acme" in body and "Bolt" in body and "Keystone Mutual insurance carrier" in body
    body = text(page.get("/console/vendors?kind=carrier"))
    assert "Keystone Mutual" in body and "Acme" not in body
    assert "No vendor of this kind." in text(page.get("/console/vendors?kind=staffing"))
    refused = page.get("/console/vendors?kind=wholesaler")
    assert refused.status_code == 422 and 'id="filter-kind-error">Must be one of' in html(refused)


@pytest.mark.parametrize("who", ("mso_admin", "mso_procurement"))
def test_admins_and_procurement_add_a_vendor(pages, world, who):
    page = pages.as_(who)
    page.get("/console/vendors")
    response = page.post("/console/vendors", {"name": "StaffRight Health", "kind": "staffing"})
    assert response.status_code == 302
    vendor = db.session.scalars(select(Vendor).where(Organization.name == "StaffRight Health")).one()
    assert vendor.kind == "staffing" and response.headers["Location"] == f"/console/vendors/{vendor.id}"
    assert "StaffRight Health is added (staffing agency)." in text(page.get(response.headers["Location"]))


def test_a_bad_vendor_is_refused_at_its_field_and_finance_may_not_add_one(pages, world):
    page = pages.as_("mso_procurement")
    page.get("/console/vendors")
    before = rows()
    response = page.post("/console/vendors", {"name": "Wholesale Co"})
    assert response.status_code == 422 and 'id="vendor-kind-error">Missing data for required field.' in html(response)
    assert 'value="Wholesale Co"' in html(response)
    finance = pages.as_("mso_finance")
    body = text(finance.get("/console/vendors"))
    assert "Only MSO admins and procurement add vendors." in body and "Add the vendor" not in body
    assert finance.post("/console/vendors", {"name": "Wholesale Co", "kind": "supplier"}).status_code == 403
    assert rows() == before


def test_the_vendor_page_shows_its_users_and_to_mso_admins_its_keys(pages, world):
    page = pages.as_("mso_admin")
    response = page.get(f"/console/vendors/{world.vendor.id}")
    assert response.status_code == 200
    body = text(response)
    assert world.users["vendor_admin"].email in body and "Vendor admin" in body
    assert world.users["other_vendor_admin"].email not in body
    # the keys as the vendor's admin sees them in the portal, never the key itself
    assert f"{world.api_key.prefix}…{world.api_key.last4}" in body and "active" in body and "never" in body
    assert "only its own admins create and revoke them" in body and "Revoke" not in body
    assert (f'href="/console/audit?object_type=api_keys&amp;organization_id={world.vendor.id}"') in html(response)
    procurement = text(pages.as_("mso_procurement").get(f"/console/vendors/{world.vendor.id}"))
    assert "Only MSO admins see and add an organization's users." in procurement
    assert "Only MSO admins see Acme" in procurement and world.api_key.prefix not in procurement
    assert world.users["vendor_admin"].email not in procurement and "in the audit log" not in procurement


def test_vendor_overview_lists_keys_only_where_policy_lets_the_role(world):
    from gpo.accounts import services
    from gpo.auth.sessions import principal_for_user
    from gpo.errors import NotFound

    mso = services.vendor_overview(principal_for_user(world.users["mso_admin"]), world.vendor.id)
    assert [k.id for k in mso.api_keys.items] == [world.api_key.id]
    assert [u.email for u in mso.users.items] == ["vendor_admin@example.test"]
    procurement = services.vendor_overview(principal_for_user(world.users["mso_procurement"]), world.vendor.id)
    assert procurement.api_keys is None
    own = services.vendor_overview(principal_for_user(world.users["vendor_admin"]), world.vendor.id)
    assert [k.id for k in own.api_keys.items] == [world.api_key.id]
    with pytest.raises(NotFound):
        services.vendor_overview(principal_for_user(world.users["vendor_admin"]), world.other_vendor.id)


def test_list_practices_matches_a_part_of_the_name_literally(world):
    from gpo.accounts import services
    from gpo.auth.sessions import principal_for_user

    PracticeFactory(name="100% Pediatrics")
    PracticeFactory(name="Lake_side Annex")
    principal = principal_for_user(world.users["mso_finance"])

    def names(**filters):
        return [p.name for p in services.list_practices(principal, 1, 50, **filters).items]

    assert names(name="%") == ["100% Pediatrics"]
    assert names(name="e_s") == ["Lake_side Annex"]  # "_" is not a wildcard
    assert names(name="lake") == ["Lakeside", "Lake_side Annex"]
    assert names(name="lake", status="suspended") == []
