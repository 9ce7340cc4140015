"""The practice page without a browser: practice admins add locations, providers (NPI
checked, refused at the field) and users; other roles get a 403 page saying who it is
for, and no nav link; a refused form changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from gpo.accounts.models import Location, Provider, User
from gpo.db import db
from tests.pages import text_of

GOOD_NPI, BAD_NPI = "1234567893", "1234567890"
PROVIDER = {"first_name": "Rosa", "last_name": "Diaz", "specialty": "pediatrics", "active_from": "2026-02-01"}


def count(model, **where) -> int:
    db.session.commit()
    stmt = select(func.count(model.id))
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def test_the_practice_page_lists_locations_providers_and_users(pages, world):
    page = pages.as_("practice_admin")
    response = page.get("/practice")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<a href="/practice" aria-current="page">Practice</a>' in html
    text = text_of(html)
    assert world.location.name in text and world.provider.npi in text
    assert world.users["practice_buyer"].email in text and "Buyer" in text
    assert world.users["other_practice_admin"].email not in text  # Riverbend's users are not Lakeside's


def test_other_roles_get_a_403_page_and_no_nav_link(pages, world):
    for name in ("practice_buyer", "practice_physician"):
        page = pages.as_(name)
        response = page.get("/practice")
        assert response.status_code == 403
        assert "The practice page is for practice admins" in text_of(response.get_data(as_text=True))
        assert 'href="/practice"' not in response.get_data(as_text=True)
        page.get("/login")  # a CSRF token from a page they may see
        assert page.post("/practice/providers", {**PROVIDER, "npi": GOOD_NPI}).status_code == 403
    assert count(Provider, npi=GOOD_NPI) == 0


def test_a_bad_npi_is_refused_at_the_field_then_a_good_one_is_added(pages, world):
    page = pages.as_("practice_admin")
    page.get("/practice")
    response = page.post("/practice/providers", {**PROVIDER, "npi": BAD_NPI})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ('id="provider-npi" name="npi" type="text" value="1234567890" aria-describedby="provider-npi-hint '
            'provider-npi-error" aria-invalid="true"') in html
    assert 'id="provider-npi-error">not a valid NPI: 10 digits with a Luhn check digit' in html
    assert 'value="Rosa"' in html  # what was typed stays
    assert count(Provider, npi=BAD_NPI) == 0
    response = page.post("/practice/providers", {**PROVIDER, "npi": GOOD_NPI})
    assert response.status_code == 302
    assert "Rosa Diaz (NPI 1234567893) is added." in text_of(page.get("/practice").get_data(as_text=True))
    assert count(Provider, npi=GOOD_NPI, practice_id=world.practice.id) == 1
    # the same NPI twice in the practice: 409, at the top of the form
    response = page.post("/practice/providers", {**PROVIDER, "npi": GOOD_NPI})
    assert response.status_code == 409
    assert "is already a provider of practice" in text_of(response.get_data(as_text=True))
    assert count(Provider, npi=GOOD_NPI) == 1


def test_a_location_is_added_and_a_refused_one_changes_nothing(pages, world):
    page = pages.as_("practice_admin")
    page.get("/practice")
    body = {"name": "North clinic", "line1": "9 Oak Ave", "city": "Madison", "state": "WI", "postal_code": "53704"}
    response = page.post("/practice/locations", {**body, "state": "Wisconsin"})
    assert response.status_code == 422 and 'id="location-state-error"' in response.get_data(as_text=True)
    assert count(Location, name="North clinic") == 0
    assert page.post("/practice/locations", body).status_code == 302
    assert count(Location, name="North clinic", practice_id=world.practice.id) == 1


def test_a_user_is_added_with_roles_and_a_refused_one_changes_nothing(pages, world):
    page = pages.as_("practice_admin")
    page.get("/practice")
    body = {"name": "Sam Front", "email": "sam@lakeside.test", "password": "a-long-password-1"}
    response = page.post("/practice/users", body)  # no role
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="user-roles-error"' in html and "a-long-password-1" not in html
    response = page.post("/practice/users", {**body, "roles": "mso_admin"})  # not a practice role
    assert response.status_code == 422 and "do not belong to a practice" in text_of(response.get_data(as_text=True))
    assert count(User, email="sam@lakeside.test") == 0
    response = page.post("/practice/users", {**body, "roles": ["practice_buyer", "practice_physician"]})
    assert response.status_code == 302
    db.session.commit()
    user = db.session.scalars(select(User).where(User.email == "sam@lakeside.test")).one()
    assert user.organization_id == world.practice.id and user.roles == ["practice_buyer", "practice_physician"]
    text = text_of(page.get("/practice").get_data(as_text=True))
    assert "Sam Front (sam@lakeside.test) can now sign in." in text and "Buyer, Physician" in text
