"""The portal's insurance pages for carriers, without a browser: a carrier's own
programs and their group progress; a program's enrollments with the underwriting
facts and premiums (exact cents) and nothing that says which practice or person they
are, in the HTML at all; another carrier's program (404); posting a program for itself
(refusals at their fields, nothing written); other kinds of vendors (not offered,
403), other faces (404), the start page, and statements that do not grow with rows."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.insurance.models import Enrollment, InsuranceProgram
from tests.factories import EnrollmentFactory, ProviderFactory
from tests.pages import Statements, same_count, text_of
from tests.scenarios import END, START, Insurance

FORM = {
    "name": "Keystone surgeons program", "period_start": str(START), "period_end": str(END),
    "limits_options": "1M/3M", "specialty_classes": "general_surgery: 6", "rates": "6, 1M/3M, 41,000.55",
    "step_factors": "0.5, 1", "group_discount_bands": "0, 0\n5, 2.5", "installment_options": ["12"],
}


@pytest.fixture
def ins(client, world, run_jobs):
    return Insurance(client, world, run_jobs)


def carrier(pages):
    return pages.sign_in("carrier_admin@example.test")


def programs() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(InsuranceProgram.id)))


def identities(world, ins) -> list[str]:
    """What names the practices of the enrollments or their users: never on a carrier's
    page (the API's carrier view has the provider it underwrites, not the practice)."""
    return [world.practice.name, world.other_practice.name, "practice_admin@example.test", "b-admin@example.test"]


def test_a_carrier_sees_its_own_programs_with_the_groups_progress(pages, world, ins):
    program = ins.program()
    ins.enrolled(program, world.provider)
    ins.program(who="other_carrier_admin", name="Granite physicians program")
    page = carrier(pages)
    response = page.get("/portal/programs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert '<a href="/portal/programs" aria-current="page">Programs</a>' in html
    assert "Physicians group program Malpractice" in text
    assert "open for enrollment 1 0% group discount now. 2 more providers to reach 5% (1 of 3)." in text
    assert "Granite" not in text  # another carrier's program is not listed
    assert world.practice.name not in text


def test_a_carrier_sees_enrollments_with_their_providers_but_never_the_practice(pages, world, ins):
    program = ins.program()
    ins.enrolled(program, world.provider)
    ins.enrolled(program, ins.b[0], headers=ins.b_admin, installments=4)
    ins.enrolled(program, ins.a[1], claims_free_years=3, fte="0.5")
    page = carrier(pages)
    response = page.get(f"/portal/programs/{program['id']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    for shown in identities(world, ins):
        assert shown not in html, shown
    # the provider underwritten, the facts and premiums, at the 5% the group of 3 reaches now, exact cents
    assert "3 enrollments" in text
    provider = world.provider
    assert f"{provider.first_name} {provider.last_name} NPI {provider.npi} family medicine class 1 1M/3M 1 5 0" in text
    assert f"NPI {ins.a[1].npi} family medicine class 1 1M/3M 0.5 5 3" in text
    assert text.count("$11,400.00 $11,400.00 at today's band") == 2  # 1,200,000 x 95%
    assert "$5,415.00 $5,415.00 at today's band" in text  # 1,200,000 x 0.5 x 95% x 95%
    assert "3 providers enrolled across the group: a group discount of 5% now." in text
    # the same, as the API shows it to the carrier: no practice there either
    api = ins.get(f"/api/v1/insurance/programs/{program['id']}/enrollments", "carrier_admin")
    assert all("practice_id" not in e for e in api) and sorted(e["premium_cents"] for e in api) == [541500, 1140000, 1140000]


def test_after_binding_the_carrier_sees_final_premiums_and_still_no_practice(pages, world, ins):
    program = ins.program()
    ins.enrolled(program, world.provider)
    ins.bind(program)
    html = carrier(pages).get(f"/portal/programs/{program['id']}").get_data(as_text=True)
    text = text_of(html)
    assert "Status bound: premiums are final" in text and "$12,000.00 $12,000.00 final" in text
    assert "invoice" not in text.lower()  # what the practices are billed is the MSO's
    for shown in identities(world, ins):
        assert shown not in html, shown


def test_another_carriers_program_is_404(pages, world, ins):
    theirs = ins.program(who="other_carrier_admin")
    ins.enrolled(theirs, world.provider)
    page = carrier(pages)
    assert page.get(f"/portal/programs/{theirs['id']}").status_code == 404
    assert page.get("/portal/programs/999999").status_code == 404
    # a supplier sees no carrier's program either
    assert pages.as_("vendor_admin").get(f"/portal/programs/{theirs['id']}").status_code == 404


def test_other_faces_get_404(pages, world, ins):
    program = ins.program()
    for who in ("mso_admin", "practice_admin"):
        page = pages.as_(who)
        for path in ("/portal/programs", f"/portal/programs/{program['id']}"):
            assert page.get(path).status_code == 404, (who, path)
        assert page.post("/portal/programs", FORM).status_code == 404
    assert programs() == 1


def test_a_carrier_posts_a_program_for_itself_in_exact_cents(pages, world, ins):
    page = carrier(pages)
    page.get("/portal/programs")
    # a carrier posts for itself only: another carrier named in the form is not taken
    response = page.post("/portal/programs", {**FORM, "carrier_vendor_id": str(ins.other_carrier.id)})
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:2000]
    program = db.session.scalars(select(InsuranceProgram).where(InsuranceProgram.name == FORM["name"])).one()
    assert response.headers["Location"].endswith(f"/portal/programs/{program.id}")
    assert program.carrier_vendor_id == ins.carrier.id
    assert program.rates == [{"specialty_class": "6", "limits": "1M/3M", "annual_rate_cents": 4100055}]
    assert program.group_discount_bands == [{"min_providers": 0, "percent": "0"}, {"min_providers": 5, "percent": "2.5"}]
    assert program.installment_options == [12] and program.claims_free_credits == []
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "Keystone surgeons program is posted: open for enrollment." in text
    assert "6 general surgery $41,000.55" in text and "2.5%" in text


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"step_factors": "0.5, 1.5"}, "step_factors", "each factor must be above 0 and at most 1"),
    ({"specialty_classes": "general_surgery 6"}, "specialty_classes", "line 1: write it as specialty: class"),
    ({"rates": "6, 2M/4M, 41000"}, "rates", "line 1: limits '2M/4M' is not one of limits_options"),
    ({"installment_options": ["5"]}, "installment_options", "entry 1: Must be one of"),
    ({"period_start": "next year"}, "period_start", "Not a valid date."),
])
def test_a_refused_program_shows_the_message_at_its_field_and_writes_nothing(pages, world, ins, changes, field,
                                                                             message):
    page = carrier(pages)
    page.get("/portal/programs")
    response = page.post("/portal/programs", {**FORM, **changes})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="f-{field}-error">' in html and message in text_of(html)
    assert re.search(rf'aria-describedby="[^"]*f-{field}-error"', html) and 'aria-invalid="true"' in html
    assert FORM["name"] in html  # shown again as typed
    assert programs() == 0


def test_a_supplier_is_not_offered_programs_and_may_not_post_one(pages, world, ins):
    page = pages.as_("vendor_admin")  # Acme, a supplier
    home = page.get("/portal").get_data(as_text=True)
    assert 'href="/portal/programs"' not in home  # not in its navigation
    text = text_of(page.get("/portal/programs").get_data(as_text=True))
    assert "Only an insurance carrier posts malpractice programs." in text and "Post program" not in text
    assert page.post("/portal/programs", FORM).status_code == 403
    assert programs() == 0


def test_the_start_page_counts_the_carriers_programs_open_for_enrollment(pages, world, ins):
    ins.program()
    ins.program(name="Second program")
    ins.program(who="other_carrier_admin")
    html = carrier(pages).get("/portal").get_data(as_text=True)
    assert '<a href="/portal/programs">2 programs open for enrollment</a>' in html
    assert "open for enrollment" not in pages.as_("vendor_admin").get("/portal").get_data(as_text=True)


def test_a_programs_page_sends_as_many_statements_for_more_enrollments(pages, world, ins):
    program = ins.program()
    ins.enrolled(program, world.provider)
    statements = Statements(carrier(pages))

    def more():
        row = db.session.get(InsuranceProgram, program["id"])
        for practice in (world.practice, world.other_practice, world.other_practice):
            EnrollmentFactory(program=row, provider=ProviderFactory(practice_id=practice.id))

    same_count(statements, f"/portal/programs/{program['id']}", more)
    same_count(statements, "/portal/programs", lambda: ins.program(name="Another"))
    assert db.session.scalar(select(func.count(Enrollment.id))) == 4
