"""Accounts' use cases called directly (no HTTP), each in its own unit of work: who may
change a practice's status, unique locations and NPIs, users with their organization's
roles only, the ETag on every update, a vendor's kind."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gpo.accounts import services
from gpo.accounts.models import Mso, Practice, Vendor
from gpo.audit import AuditEvent
from gpo.auth.services import principal_for_user
from gpo.db import db, unit_of_work
from gpo.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from gpo.etags import etag_for
from tests.factories import MsoFactory, PracticeFactory, UserFactory, VendorFactory

VALID_NPI = "1234567893"


@pytest.fixture
def people(db_ctx):
    mso = MsoFactory()
    practice = PracticeFactory(name="Lakeside")
    return {
        "mso_admin": principal_for_user(UserFactory(organization_id=mso.id, roles=("mso_admin",))),
        "procurement": principal_for_user(UserFactory(organization_id=mso.id, roles=("mso_procurement",))),
        "practice_admin": principal_for_user(UserFactory(organization_id=practice.id, roles=("practice_admin",))),
        "practice": practice,
        "mso": mso,
    }


def test_an_mso_admin_creates_a_practice_with_its_audit_event(people):
    with unit_of_work():
        practice = services.create_practice(people["mso_admin"], {"name": "Northside", "tax_id": "12-3456789",
                                                                  "status": "active", "joined_on": dt.date(2026, 3, 1)})
        practice_id = practice.id
    practice = db.session.get(Practice, practice_id)
    assert (practice.status, practice.joined_on) == ("active", dt.date(2026, 3, 1))
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "practice.create")).one()
    assert (event.object_id, event.organization_id, event.details) == (practice_id, practice_id, {"name": "Northside"})
    with pytest.raises(Forbidden), unit_of_work():
        services.create_practice(people["practice_admin"], {"name": "Mine", "tax_id": "12-0000001", "status": "active",
                                                            "joined_on": dt.date(2026, 3, 1)})


def test_only_an_mso_admin_changes_a_practices_status_and_every_update_names_its_version(people):
    practice = people["practice"]
    with unit_of_work():
        renamed = services.update_practice(people["practice_admin"], practice.id, {"name": "Lakeside Clinic"},
                                           {etag_for(practice)})
        assert renamed.name == "Lakeside Clinic"
    practice = db.session.get(Practice, practice.id)
    with pytest.raises(PreconditionFailed), unit_of_work():
        services.update_practice(people["practice_admin"], practice.id, {"name": "Stale"}, {"not-the-etag"})
    with pytest.raises(Forbidden), unit_of_work():
        services.update_practice(people["practice_admin"], practice.id, {"status": "suspended"}, {etag_for(practice)})
    with unit_of_work():
        suspended = services.update_practice(people["mso_admin"], practice.id, {"status": "suspended"},
                                             {etag_for(practice)})
        assert suspended.status == "suspended"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "practice.update")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details == {"status": ["active", "suspended"]}


def test_a_location_name_and_a_providers_npi_are_unique_in_a_practice(people):
    practice_id = people["practice"].id
    location = {"name": "Main clinic", "line1": "100 Lake St", "line2": None, "city": "Madison", "state": "WI",
                "postal_code": "53703"}
    with unit_of_work():
        assert services.create_location(people["practice_admin"], practice_id, location).line2 is None
    with pytest.raises(Conflict, match="already has a location named 'Main clinic'"), unit_of_work():
        services.create_location(people["practice_admin"], practice_id, location)
    provider = {"first_name": "Ana", "last_name": "Ortiz", "npi": VALID_NPI, "specialty": "family_medicine",
                "active_from": dt.date(2026, 1, 1), "active_to": None}
    with unit_of_work():
        provider_id = services.create_provider(people["practice_admin"], practice_id, provider).id
    with pytest.raises(Conflict, match=f"NPI {VALID_NPI} is already a provider"), unit_of_work():
        services.create_provider(people["practice_admin"], practice_id, provider)
    row = services.get_provider(people["practice_admin"], provider_id)
    with pytest.raises(Invalid, match="active_to must not be before active_from"), unit_of_work():
        services.update_provider(people["practice_admin"], provider_id, {"active_to": dt.date(2025, 12, 31)},
                                 {etag_for(row)})


def test_a_user_gets_only_roles_of_their_organizations_kind_and_a_taken_email_says_nothing(people):
    practice_id = people["practice"].id
    data = {"email": "Buyer@Lakeside.example", "name": "Sam", "password": "correct-horse-battery",
            "roles": ["practice_buyer", "practice_physician"]}
    with unit_of_work():
        user = services.create_user(people["practice_admin"], Practice, practice_id, data)
        assert (user.email, sorted(user.roles)) == ("buyer@lakeside.example", ["practice_buyer", "practice_physician"])
    with pytest.raises(Invalid, match="roles mso_finance do not belong to a practice"), unit_of_work():
        services.create_user(people["practice_admin"], Practice, practice_id,
                             {**data, "email": "x@lakeside.example", "roles": ["mso_finance"]})
    with pytest.raises(Conflict) as taken, unit_of_work():
        services.create_user(people["mso_admin"], Mso, None, {**data, "email": "buyer@lakeside.example",
                                                              "roles": ["mso_finance"]})
    assert taken.value.message == services.EMAIL_UNAVAILABLE


def test_a_practice_admin_never_sees_another_practice(people):
    other = PracticeFactory()
    with pytest.raises(NotFound):
        services.get_practice(people["practice_admin"], other.id)
    assert [p.id for p in services.list_practices(people["practice_admin"], 1, 50).items] == [people["practice"].id]


def test_only_mso_staff_change_what_kind_of_vendor_it_is(people):
    with unit_of_work():
        vendor_id = services.create_vendor(people["procurement"], {"name": "Acme", "kind": "supplier"}).id
    vendor_user = principal_for_user(UserFactory(organization_id=vendor_id, roles=("vendor_admin",)))
    vendor = db.session.get(Vendor, vendor_id)
    with pytest.raises(Forbidden), unit_of_work():
        services.update_vendor(vendor_user, vendor_id, {"kind": "carrier"}, {etag_for(vendor)})
    with unit_of_work():
        assert services.update_vendor(vendor_user, vendor_id, {"name": "Acme Medical"}, {etag_for(vendor)}).kind == "supplier"
    vendor = db.session.get(Vendor, vendor_id)
    with unit_of_work():
        assert services.update_vendor(people["procurement"], vendor_id, {"kind": "carrier"},
                                      {etag_for(vendor)}).kind == "carrier"
    assert VendorFactory().kind == "supplier"
