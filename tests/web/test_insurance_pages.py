"""The insurance page without a browser: the programs and the group's progress, a
live quote that stores nothing, enrolling and cancelling, and what other roles and
other practices get (403, 404), each refused form changing nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.insurance.models import Enrollment
from tests.pages import text_of
from tests.scenarios import Insurance

TERMS = {"limits": "1M/3M", "fte": "0.5", "claims_made_year": "2", "claims_free_years": "4", "installments": "4"}


@pytest.fixture
def ins(client, world, run_jobs):
    return Insurance(client, world, run_jobs)


def enrollments() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(Enrollment.id)))


def test_the_insurance_page_shows_each_program_with_the_groups_progress(pages, world, ins):
    program = ins.program()
    ins.enrolled(program, ins.b[0], headers=ins.b_admin)  # another practice's provider counts for the group
    page = pages.as_("practice_buyer")
    response = page.get("/insurance")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Physicians group program" in text and "open for enrollment" in text
    assert "1 provider enrolled across the group: a group discount of 0% now." in text
    assert "2 more providers reach the next band: 5% off for everyone (from 3 providers)." in text
    assert '<a href="/insurance" aria-current="page">Insurance</a>' in response.get_data(as_text=True)
    detail = text_of(page.get(f"/insurance/programs/{program['id']}").get_data(as_text=True))
    assert "None of your providers is enrolled" in detail  # Riverbend's enrollment is not Lakeside's


def test_get_quote_shows_the_premium_breakdown_and_enrolls_nobody(pages, world, ins):
    program = ins.program()
    page = pages.as_("practice_admin")
    page.get(f"/insurance/programs/{program['id']}")
    response = page.post(f"/insurance/programs/{program['id']}/quote", {"provider_id": world.provider.id, **TERMS})
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    # 1,200,000 x 0.60 x 0.5 x (1 - 5%) x (1 - 0%) = 342,000 cents, in 4 installments of 85,500
    assert "Base rate (class 1, 1M/3M) $12,000.00" in text
    assert "Premium $3,420.00" in text and text.count("$855.00") == 4
    assert "not enrolled yet" in text
    assert enrollments() == 0


def test_enroll_then_the_enrollment_shows_with_its_quote_and_installments(pages, world, ins):
    program = ins.program()
    page = pages.as_("practice_admin")
    page.get(f"/insurance/programs/{program['id']}")
    response = page.post(f"/insurance/programs/{program['id']}/enroll", {"provider_id": world.provider.id, **TERMS})
    assert response.status_code == 302
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "is enrolled: 1M/3M, premium $3,420.00" in text
    assert "$855.00 due" in text and "quote at today's band" in text
    assert enrollments() == 1


def test_a_refused_form_shows_the_message_at_the_field_and_changes_nothing(pages, world, ins):
    program = ins.program()
    page = pages.as_("practice_admin")
    page.get(f"/insurance/programs/{program['id']}")
    for action in ("quote", "enroll"):
        response = page.post(f"/insurance/programs/{program['id']}/{action}",
                             {"provider_id": world.provider.id, **TERMS, "fte": "2"})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert 'id="f-fte" name="fte" type="text" value="2" aria-describedby="f-fte-error" aria-invalid="true"' in html
        assert 'id="f-fte-error">FTE must be between 0.1 and 1.0' in html
    # a provider of another practice: refused at the provider field, as the API refuses it
    response = page.post(f"/insurance/programs/{program['id']}/enroll", {"provider_id": ins.b[0].id, **TERMS})
    assert response.status_code == 422
    assert "is not a provider of your practice" in text_of(response.get_data(as_text=True))
    assert 'aria-describedby="f-provider_id-error"' in response.get_data(as_text=True)
    assert enrollments() == 0


def test_enrolling_twice_is_refused_with_409_and_the_page_says_why(pages, world, ins):
    program = ins.program()
    ins.enrolled(program, world.provider)
    page = pages.as_("practice_admin")
    page.get(f"/insurance/programs/{program['id']}")
    response = page.post(f"/insurance/programs/{program['id']}/enroll", {"provider_id": world.provider.id, **TERMS})
    assert response.status_code == 409
    assert "already enrolled" in text_of(response.get_data(as_text=True))
    assert enrollments() == 1


def test_other_roles_see_the_page_but_may_not_enroll_or_cancel(pages, world, ins):
    program = ins.program()
    enrollment = ins.enrolled(program, world.provider)
    page = pages.as_("practice_buyer")
    text = text_of(page.get(f"/insurance/programs/{program['id']}").get_data(as_text=True))
    assert "A practice admin enrolls providers." in text and "Get quote" not in text
    assert "A practice admin cancels enrollments." in text
    for action in ("quote", "enroll"):
        response = page.post(f"/insurance/programs/{program['id']}/{action}", {"provider_id": ins.a[1].id, **TERMS})
        assert response.status_code == 403, action
    assert page.post(f"/insurance/enrollments/{enrollment['id']}/cancel").status_code == 403
    assert enrollments() == 1
    assert db.session.get(Enrollment, enrollment["id"]).status == "active"


def test_another_practices_enrollment_is_404_and_stays_active(pages, world, ins):
    program = ins.program()
    enrollment = ins.enrolled(program, world.provider)
    page = pages.sign_in("b-admin@example.test")
    page.get("/insurance")
    response = page.post(f"/insurance/enrollments/{enrollment['id']}/cancel")
    assert response.status_code == 404
    db.session.commit()
    assert db.session.get(Enrollment, enrollment["id"]).status == "active"


def test_a_practice_admin_cancels_an_enrollment(pages, world, ins):
    program = ins.program()
    enrollment = ins.enrolled(program, world.provider)
    page = pages.as_("practice_admin")
    page.get(f"/insurance/programs/{program['id']}")
    response = page.post(f"/insurance/enrollments/{enrollment['id']}/cancel", {"reason": "left the practice"})
    assert response.status_code == 302
    assert "is cancelled from" in text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    db.session.commit()
    row = db.session.get(Enrollment, enrollment["id"])
    db.session.refresh(row)
    assert row.status == "cancelled" and row.cancel_reason == "left the practice"
