"""The shared-space pages without a browser: the console's suites and "New shared
space" (the rent in dollars, exact cents, refusals at their fields, nothing written),
a suite's page with its occupancies, adding and ending them (the API's 409 and 422 at
the form), the month's split with the vacancy as the MSO's share; the storefront's
page for a practice (its own share, no other practice's name); and who gets 403/404."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.leasing.models import Occupancy, Space
from tests.factories import OccupancyFactory, SpaceFactory
from tests.pages import text_of

FORM = {"name": "Suite 500", "address": "2 Clinic Way", "square_feet": "2500", "base_rent": "$10,000.00",
        "escalation_percent": "3%", "starts_on": "2025-01-01"}


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def shared(world):
    """Suite 200 (2,500 sq ft, $10,000.00 from 2025, 3% a year): Lakeside 1,200 sq ft,
    Riverbend 800, 500 vacant."""
    space = SpaceFactory(name="Suite 200")
    mine = OccupancyFactory(space=space, practice_id=world.practice.id, square_feet=1200)
    theirs = OccupancyFactory(space=space, practice_id=world.other_practice.id, square_feet=800)
    db.session.commit()
    return space, mine, theirs


# --- the console's list and "New shared space" --------------------------------------------


def test_the_console_lists_suites_with_this_months_rent_and_offers_the_form_to_finance(pages, world, shared):
    space, _, _ = shared
    page = pages.as_("mso_finance")
    response = page.get("/console/leasing/spaces")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert f'href="/console/leasing/spaces/{space.id}">Suite 200</a>' in html
    # December 2026, the second year: $10,000.00 x 1.03
    assert "Suite 200 1 Medical Plaza 2,500 $10,000.00 3% " in text and "$10,300.00" in text
    assert "New shared space" in text and "Create shared space" in text
    procurement = text_of(pages.as_("mso_procurement").get("/console/leasing/spaces").get_data(as_text=True))
    assert "Suite 200" in procurement and "Create shared space" not in procurement
    assert "Only MSO finance and admins create shared spaces and occupancies." in procurement


def test_finance_creates_a_suite_from_the_form_in_exact_cents(pages, world):
    page = pages.as_("mso_finance")
    page.get("/console/leasing/spaces")
    response = page.post("/console/leasing/spaces", FORM)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:1500]
    space = db.session.scalars(select(Space)).one()
    assert (space.base_rent_cents, space.escalation_percent, space.square_feet, space.created_by) == (
        1000000, 3, 2500, "mso_finance@example.test")
    assert response.headers["Location"].endswith(f"/console/leasing/spaces/{space.id}")
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "Suite 500 is created: 2,500 sq ft at $10,000.00 a month." in text


@pytest.mark.parametrize("changes, field, message", [
    ({"base_rent": "10,000.005"}, "base_rent", "at most 2 decimal places (whole cents)"),
    ({"base_rent": "ten thousand"}, "base_rent", "an amount in dollars and cents, like 1,250.00"),
    ({"base_rent": "0"}, "base_rent", "a monthly rent from $0.01 to $"),
    ({"square_feet": "0"}, "square_feet", "Must be greater than or equal to 1"),
    ({"escalation_percent": "150"}, "escalation_percent", "between 0 and 100"),
    ({"name": ""}, "name", "Missing data for required field."),
])
def test_a_refused_suite_shows_the_message_at_its_field_and_writes_nothing(pages, world, changes, field, message):
    page = pages.as_("mso_admin")
    page.get("/console/leasing/spaces")
    response = page.post("/console/leasing/spaces", {**FORM, **changes})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="f-{field}-error">' in html and message in text_of(html), text_of(html)[:1500]
    assert 'aria-invalid="true"' in html
    assert "2 Clinic Way" in html  # the form comes back as typed
    assert count(Space) == 0


def test_who_may_not_create_or_see_the_console_pages(pages, world, shared):
    space, mine, _ = shared
    assert pages.as_("mso_procurement").post("/console/leasing/spaces", FORM).status_code == 403
    for who in ("practice_admin", "vendor_admin"):
        page = pages.as_(who)
        for path in ("/console/leasing/spaces", f"/console/leasing/spaces/{space.id}"):
            assert page.get(path).status_code == 404, (who, path)
        assert page.post("/console/leasing/spaces", FORM).status_code == 404
        assert page.post(f"/console/leasing/occupancies/{mine.id}/end", {"ends_on": "2027-01-31"}).status_code == 404
    response = pages.anonymous().get("/console/leasing/spaces")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(Space) == 1


# --- a suite's page ------------------------------------------------------------------------


def test_a_suite_shows_its_occupancies_and_the_chosen_months_split_with_the_vacancy(pages, world, shared):
    space, mine, _ = shared
    page = pages.as_("mso_procurement")
    response = page.get(f"/console/leasing/spaces/{space.id}?month=2027-01")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Rent for January 2027: $10,609.00 for 2,500 sq ft over 31 days" in text
    assert "Lakeside 1,200 31 37,200 $5,092.32 not billed yet" in text
    assert "Riverbend 800 31 24,800 $3,394.88" in text
    assert "Vacant: the MSO's share 500 31 15,500 $2,121.80 never invoiced" in text
    assert "Billed to the practices $8,487.20" in text
    assert "Lakeside 1,200 Jan 1, 2025 no end yet" in text
    assert "Add occupancy" in text and "Only MSO finance and admins" in text  # procurement: not offered
    assert page.get("/console/leasing/spaces/999999").status_code == 404
    assert page.post(f"/console/leasing/spaces/{space.id}/occupancies",
                     {"practice_id": str(world.practice.id), "square_feet": "1", "starts_on": "2027-01-01"}).status_code == 403
    assert page.post(f"/console/leasing/occupancies/{mine.id}/end", {"ends_on": "2027-01-31"}).status_code == 403
    # a month not like YYYY-MM: this month's split
    shown = page.get(f"/console/leasing/spaces/{space.id}?month=13").get_data(as_text=True)
    assert "The split of December 2026" in text_of(shown)


def test_finance_adds_an_occupancy_and_refusals_show_at_the_form(pages, world, shared):
    space, _, _ = shared
    page = pages.as_("mso_finance")
    html = page.get(f"/console/leasing/spaces/{space.id}").get_data(as_text=True)
    assert f'<option value="{world.practice.id}">Lakeside</option>' in html
    url = f"/console/leasing/spaces/{space.id}/occupancies"
    # 500 are free: 501 more is the API's 409, at the square feet
    response = page.post(url, {"practice_id": str(world.mso.id + 1000), "square_feet": "501", "starts_on": "2027-01-01"})
    assert response.status_code == 422 and 'id="f-practice_id-error">' in response.get_data(as_text=True)
    from tests.factories import PracticeFactory

    hillcrest = PracticeFactory(name="Hillcrest")
    db.session.commit()
    response = page.post(url, {"practice_id": str(hillcrest.id), "square_feet": "501", "starts_on": "2027-01-01"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="f-square_feet-error">at most 500 sq ft are free on Jan 1, 2027' in html
    assert "Suite 200 has 2,500 sq ft: on Jan 1, 2027 2,000 are occupied, so 501 more would make 2,501" in text_of(html)
    response = page.post(url, {"practice_id": str(world.practice.id), "square_feet": "100", "starts_on": "2027-01-01"})
    assert response.status_code == 409 and "never overlap" in text_of(response.get_data(as_text=True))
    response = page.post(url, {"practice_id": str(hillcrest.id), "square_feet": "0", "starts_on": "2027-01-01"})
    assert response.status_code == 422 and 'id="f-square_feet-error">' in response.get_data(as_text=True)
    response = page.post(url, {"practice_id": str(hillcrest.id), "square_feet": "10", "starts_on": "2027-02-01",
                               "ends_on": "2027-01-01"})
    assert response.status_code == 422 and 'id="f-ends_on-error">before the first day' in response.get_data(as_text=True)
    assert count(Occupancy) == 2
    response = page.post(url, {"practice_id": str(hillcrest.id), "square_feet": "500", "starts_on": "2027-01-01"})
    assert response.status_code == 302
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "Hillcrest occupies 500 sq ft from Jan 1, 2027." in text
    assert count(Occupancy) == 3


def test_finance_ends_an_occupancy_and_a_refusal_shows_at_its_form(pages, world, shared):
    space, mine, _ = shared
    page = pages.as_("mso_finance")
    page.get(f"/console/leasing/spaces/{space.id}")
    end = f"/console/leasing/occupancies/{mine.id}/end"
    response = page.post(end, {"ends_on": "2024-12-31"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="f-ends_on-{mine.id}-error">before the occupancy&#39;s start on Jan 1, 2025' in html
    response = page.post(end, {"ends_on": "2027-01-16"})
    assert response.status_code == 302
    assert f"Occupancy {mine.id} ends on Jan 16, 2027." in text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Occupancy, mine.id).ends_on == dt.date(2027, 1, 16)
    response = page.post(end, {"ends_on": "2027-02-28"})
    assert response.status_code == 409 and "already ends on Jan 16, 2027" in text_of(response.get_data(as_text=True))


# --- the storefront ------------------------------------------------------------------------


def test_a_practice_sees_its_suites_square_feet_and_share_and_no_other_practice(pages, world, shared):
    space, _, _ = shared
    SpaceFactory(name="Suite 900")  # nobody's: not shown
    page = pages.as_("practice_buyer")
    response = page.get("/leasing/spaces")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    # December 2026: 1,030,000 x 1,200 / 2,500 = 494,400
    assert "Suite 200, 1 Medical Plaza" in text and "2,500 sq ft, $10,300.00 rent for December 2026" in text
    assert "Your share of December 2026 $4,944.00: 1,200 sq ft for 31 of 31 days" in text
    assert "Riverbend" not in html and "Suite 900" not in html and "$3,296.00" not in text
    other = text_of(pages.as_("other_practice_admin").get("/leasing/spaces").get_data(as_text=True))
    assert "$3,296.00: 800 sq ft" in other and "Lakeside" not in other
    for who in ("mso_finance", "vendor_admin"):
        assert pages.as_(who).get("/leasing/spaces").status_code == 404


def test_a_practice_without_shared_space_is_told_so(pages, world):
    text = text_of(pages.as_("practice_admin").get("/leasing/spaces").get_data(as_text=True))
    assert "Your practice occupies no shared suite." in text


def test_the_pages_send_as_many_statements_with_more_suites_and_occupancies(pages, world, shared):
    from tests.factories import PracticeFactory
    from tests.pages import Statements, same_count

    space, _, _ = shared

    def more_suites():
        for _ in range(3):
            OccupancyFactory(space=SpaceFactory(), practice_id=world.practice.id, square_feet=100)

    def more_occupancies():
        for _ in range(3):
            OccupancyFactory(space=space, practice_id=PracticeFactory().id, square_feet=100)

    same_count(Statements(pages.as_("mso_finance")), "/console/leasing/spaces", more_suites)
    same_count(Statements(pages.as_("mso_finance")), f"/console/leasing/spaces/{space.id}", more_occupancies)
    same_count(Statements(pages.as_("practice_admin")), "/leasing/spaces", more_suites)
