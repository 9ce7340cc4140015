"""The vendor portal's staff pages without a browser: a staffing vendor sees the
people it supplies to the pool and their upcoming shifts, never another vendor's (404,
on the page and in the API), the MSO's own employees neither; the navigation offers
"Staff" to staffing vendors only; other faces get 404."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gpo.accounts.models import User
from gpo.db import db
from gpo.staffing.models import StaffMember
from tests.conftest import TEST_SECRET
from tests.factories import UserFactory, VendorFactory, token_for
from tests.pages import text_of
from tests.scenarios import Staffing

STARTS, ENDS = "2027-01-12T14:00:00Z", "2027-01-12T22:00:00Z"


@pytest.fixture
def st(client, world, run_jobs, monkeypatch):
    return Staffing(client, world, run_jobs, monkeypatch)


@pytest.fixture
def agencies(world, st):
    """StaffRight supplies Eli Park; CareForce supplies Mia Chen; Dana is the MSO's own."""
    staffright = VendorFactory(name="StaffRight", kind="staffing")
    careforce = VendorFactory(name="CareForce", kind="staffing")
    UserFactory(organization_id=staffright.id, roles=["vendor_admin"], email="admin@staffright.test")
    UserFactory(organization_id=careforce.id, roles=["vendor_admin"], email="admin@careforce.test")
    db.session.commit()
    for person, vendor in ((st.eli, staffright), (st.mia, careforce)):
        etag = st.client.get(f"/api/v1/staffing/staff/{person['id']}", headers=world.headers["scheduler"]).headers["ETag"]
        response = st.client.patch(f"/api/v1/staffing/staff/{person['id']}", json={"vendor_id": vendor.id},
                                   headers={**world.headers["scheduler"], "If-Match": etag})
        assert response.status_code == 200, response.get_data(as_text=True)
    return staffright, careforce


def html(response) -> str:
    return response.get_data(as_text=True)


def test_a_staffing_vendor_sees_its_own_people_and_their_upcoming_shifts(pages, world, st, agencies):
    st.booked(STARTS, ENDS, st.eli)
    st.assign(st.requested("2027-01-13T14:00:00Z", "2027-01-13T18:00:00Z"), st.dana)
    page = pages.sign_in("admin@staffright.test")
    response = page.get("/portal/staff")
    assert response.status_code == 200
    text = text_of(html(response))
    assert "Eli Park" in text and "Billing specialist" in text and "$30.00 an hour" in text
    assert "Dana Reyes" not in text and "Mia Chen" not in text
    assert (f"Jan 12, 2027, 8:00 AM CST to Jan 12, 2027, 4:00 PM CST Lakeside, {world.location.name} "
            "accepted by the practice") in text
    person = page.get(f"/portal/staff/{st.eli['id']}")
    assert person.status_code == 200 and "Eli Park" in text_of(html(person))
    assert 'href="/portal/staff"' in html(page.get("/portal"))  # the nav's "Staff"


def test_another_vendors_person_and_the_msos_own_are_not_found(pages, world, st, agencies):
    page = pages.sign_in("admin@staffright.test")
    for person in (st.mia, st.dana):
        assert page.get(f"/portal/staff/{person['id']}").status_code == 404
    assert page.get("/portal/staff/999999").status_code == 404
    other = pages.sign_in("admin@careforce.test")
    assert "Mia Chen" in text_of(html(other.get("/portal/staff")))
    assert other.get(f"/portal/staff/{st.eli['id']}").status_code == 404


def test_the_api_scopes_the_pool_to_the_vendors_own_people(client, pages, world, st, agencies):
    user = db.session.scalars(select(User).where(User.email == "admin@staffright.test")).one()
    headers = {"Authorization": f"Bearer {token_for(user, TEST_SECRET)}"}
    listed = client.get("/api/v1/staffing/staff", headers=headers)
    assert listed.status_code == 200 and [p["name"] for p in listed.get_json()] == ["Eli Park"]
    assert client.get(f"/api/v1/staffing/staff/{st.mia['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/staffing/staff/{st.eli['id']}", headers=headers).status_code == 200
    # reading is all: the pool is MSO scheduling's to change
    assert client.patch(f"/api/v1/staffing/staff/{st.eli['id']}", json={"name": "X"},
                        headers={**headers, "If-Match": "x"}).status_code == 403
    assert db.session.get(StaffMember, st.eli["id"]).name == "Eli Park"


def test_a_supplier_is_not_offered_staff_and_has_no_people(pages, world, st, agencies):
    page = pages.as_("vendor_admin")  # Acme, a supplier
    assert 'href="/portal/staff"' not in html(page.get("/portal"))
    text = text_of(html(page.get("/portal/staff")))
    assert "None of your people is in the pool yet." in text and "Eli Park" not in text
    assert page.get(f"/portal/staff/{st.eli['id']}").status_code == 404


@pytest.mark.parametrize("who", ["mso_admin", "practice_admin"])
def test_other_faces_get_404_on_the_portals_staff_pages(pages, st, agencies, who):
    page = pages.as_(who)
    assert page.get("/portal/staff").status_code == 404
    assert page.get(f"/portal/staff/{st.eli['id']}").status_code == 404


def test_a_staff_member_supplied_by_a_vendor_shows_it_in_the_console(pages, st, agencies):
    page = pages.sign_in("scheduler@example.test")
    text = text_of(html(page.get("/console/staffing/staff")))
    assert "Eli Park Billing specialist $30.00 StaffRight active" in text
    assert "Dana Reyes Billing specialist $32.50 the MSO active" in text
