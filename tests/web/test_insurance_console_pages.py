"""The console's insurance pages without a browser: the programs with their carrier
and the group's progress, posting a program from the form (exact cents, refusals at
their fields, nothing written), a program's enrollments by practice, binding with the
job's progress and result (asked twice: the API's 409, nothing created twice), the
roles that may see but not act (not offered, 403), other faces (404), the start
page's "Waiting for you", and statements that do not grow with the rows."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gpo import jobs
from gpo.billing.models import Invoice
from gpo.db import db
from gpo.insurance.models import Enrollment, InsuranceProgram
from tests.factories import EnrollmentFactory, InsuranceProgramFactory, ProviderFactory, UserFactory
from tests.pages import Statements, same_count, text_of
from tests.scenarios import END, START, Insurance

FORM = {
    "name": "Surgeons group program", "period_start": str(START), "period_end": str(END),
    "limits_options": "1M/3M, 2M/4M",
    "specialty_classes": "family_medicine: 1\ngeneral_surgery: 6",
    "rates": "1, 1M/3M, $12,345.67\n1, 2M/4M, 15000\n6, 1M/3M, 41000.10\n6, 2M/4M, 49000.00",
    "step_factors": "0.35, 0.60, 1.00",
    "claims_free_credits": "3, 5%",
    "group_discount_bands": "0, 0\n10, 5",
    "installment_options": ["1", "4"],
}


@pytest.fixture
def ins(client, world, run_jobs):
    return Insurance(client, world, run_jobs)


@pytest.fixture
def scheduler(world):
    """An MSO scheduler: reads the insurance pages, may neither post nor bind."""
    return UserFactory(organization_id=world.mso.id, roles=["mso_scheduler"], email="mso_scheduler@example.test")


def form(**changes):
    return {**FORM, **changes}


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(model.id)))


def insurance_invoices() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(Invoice.id)).where(Invoice.kind == "insurance"))


def program_row(program_id: int) -> InsuranceProgram:
    db.session.commit()
    row = db.session.get(InsuranceProgram, program_id)
    db.session.refresh(row)
    return row


def enrolled_two(ins, world):
    """Keystone's program with Lakeside's and Riverbend's providers enrolled (1M/3M, full
    time, year 5, none claims-free, one payment: $12,000.00 each at 0%)."""
    program = ins.program()
    ins.enrolled(program, world.provider)
    ins.enrolled(program, ins.b[0], headers=ins.b_admin)
    return program


# --- the programs -------------------------------------------------------------------------


def test_the_programs_show_carrier_line_period_status_and_the_groups_progress(pages, world, ins):
    program = enrolled_two(ins, world)
    ins.program(who="other_carrier_admin", name="Granite physicians program")
    page = pages.as_("mso_procurement")
    response = page.get("/console/insurance")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert '<a href="/console/insurance" aria-current="page">Insurance</a>' in html
    assert f'href="/console/insurance/programs/{program["id"]}">Physicians group program</a>' in html
    assert "Physicians group program Keystone Mutual Malpractice" in text
    assert "Granite physicians program Granite Casualty Malpractice" in text
    assert "open for enrollment 2 0% group discount now. 1 more provider to reach 5% (2 of 3)." in text
    assert "open for enrollment 0 0% group discount now. 3 more providers to reach 5% (0 of 3)." in text
    # procurement may post a program for any carrier
    assert "Post program" in text and '<option value="' + str(ins.carrier.id) + '">Keystone Mutual</option>' in html


def test_a_program_shows_its_bands_enrollments_by_practice_and_the_groups_progress(pages, world, ins):
    program = enrolled_two(ins, world)
    ins.enrolled(program, ins.a[1], claims_free_years=3, fte="0.5")  # 12,000 x 0.5 x 95%, at 5% now
    page = pages.as_("mso_finance")
    response = page.get(f"/console/insurance/programs/{program['id']}")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Carrier Keystone Mutual" in text and "Line Malpractice" in text and "Status open for enrollment" in text
    assert "3 providers enrolled across the group: a group discount of 5% now." in text
    assert "2 more providers reach the next band: 10% off for everyone (from 5 providers)." in text
    assert "0 or more 0% yes 3 or more 5% yes 5 or more 10% not yet" in text
    provider, other = world.provider, ins.b[0]
    assert (f"Lakeside {provider.first_name} {provider.last_name} NPI {provider.npi} family medicine class 1 1M/3M"
            in text)
    assert f"Riverbend {other.first_name} {other.last_name} NPI {other.npi}" in text
    # at the 5% the group reaches now: 1,200,000 x 95% = $11,400.00; 1,200,000 x 0.5 x 95% x 95% = $5,415.00
    assert text.count("$11,400.00 quoted at 5% group discount") == 2
    assert "$5,415.00 quoted at 5% group discount" in text
    assert "3 enrollments across the MSO's practices" in text
    assert "8 obgyn $12,345.67 $16,000.00" in text  # the rate table, exact cents
    assert "Bind program" in text  # finance may bind


def test_an_unknown_program_is_404(pages, world, ins):
    page = pages.as_("mso_admin")
    assert page.get("/console/insurance/programs/999999").status_code == 404
    assert page.post("/console/insurance/programs/999999/bind").status_code == 404


def test_other_faces_get_404_and_nobody_signed_in_goes_to_sign_in(pages, world, ins):
    program = ins.program()
    for who in ("practice_admin", "vendor_admin"):
        page = pages.as_(who)
        for path in ("/console/insurance", f"/console/insurance/programs/{program['id']}"):
            assert page.get(path).status_code == 404, (who, path)
        assert page.post(f"/console/insurance/programs/{program['id']}/bind").status_code == 404
        assert page.post("/console/insurance/programs", form(carrier_vendor_id=str(ins.carrier.id))).status_code == 404
    carrier = pages.sign_in("carrier_admin@example.test")
    assert carrier.get(f"/console/insurance/programs/{program['id']}").status_code == 404
    response = pages.anonymous().get("/console/insurance")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert program_row(program["id"]).status == "open" and count(InsuranceProgram) == 1


# --- posting a program --------------------------------------------------------------------


def test_procurement_posts_a_program_for_a_carrier_with_rates_in_exact_cents(pages, world, ins):
    page = pages.as_("mso_procurement")
    page.get("/console/insurance")
    response = page.post("/console/insurance/programs", form(carrier_vendor_id=str(ins.carrier.id)))
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:2000]
    program = db.session.scalars(select(InsuranceProgram).where(InsuranceProgram.name == "Surgeons group program")).one()
    assert response.headers["Location"].endswith(f"/console/insurance/programs/{program.id}")
    assert program.carrier_vendor_id == ins.carrier.id and program.status == "open"
    assert program.rates == [
        {"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 1234567},
        {"specialty_class": "1", "limits": "2M/4M", "annual_rate_cents": 1500000},
        {"specialty_class": "6", "limits": "1M/3M", "annual_rate_cents": 4100010},
        {"specialty_class": "6", "limits": "2M/4M", "annual_rate_cents": 4900000}]
    assert program.step_factors == ["0.35", "0.60", "1.00"]
    assert program.claims_free_credits == [{"min_years": 3, "percent": "5"}]
    assert program.group_discount_bands == [{"min_providers": 0, "percent": "0"}, {"min_providers": 10, "percent": "5"}]
    assert program.installment_options == [1, 4] and program.created_by == "mso_procurement@example.test"
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert "Surgeons group program is posted: open for enrollment." in text
    assert "6 general surgery $41,000.10 $49,000.00" in text and "1 family medicine $12,345.67 $15,000.00" in text


@pytest.mark.parametrize(("changes", "field", "message", "status"), [
    # the form's own reading: a fraction of a cent, a line that is not "class, limits, rate"
    ({"rates": "1, 1M/3M, 12000.005\n1, 2M/4M, 15000"}, "rates",
     "line 1: '12000.005' is not an amount in dollars and cents (like 12000.00)", 422),
    ({"rates": "1, 1M/3M"}, "rates", "line 1: write it as class, limits, annual rate in dollars", 422),
    # the API's schema, at the line it names
    ({"group_discount_bands": "0, 0\n10, 150"}, "group_discount_bands", "line 2, percent: must be between 0 and 100", 422),
    ({"name": ""}, "name", "Missing data for required field.", 422),
    # the service's whole-terms check and carrier rule, at the fields they name
    ({"rates": "1, 1M/3M, 12000\n1, 2M/4M, 15000\n6, 1M/3M, 41000"}, "rates",
     "class '6' has no rate for limits '2M/4M'", 422),
])
def test_a_refused_program_shows_the_message_at_its_field_and_writes_nothing(pages, world, ins, changes, field,
                                                                             message, status):
    page = pages.as_("mso_admin")
    page.get("/console/insurance")
    response = page.post("/console/insurance/programs", form(carrier_vendor_id=str(ins.carrier.id), **changes))
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'aria-describedby="f-{field}-hint f-{field}-error" aria-invalid="true"' in html or \
        f'aria-describedby="f-{field}-error" aria-invalid="true"' in html, html[:200]
    assert f'id="f-{field}-error">' in html and message in text_of(html)
    assert "Please correct the fields marked below." in text_of(html) or "not valid" in text_of(html)
    # the form comes back as typed
    assert "Surgeons group program" in html or field == "name"
    assert count(InsuranceProgram) == 0


def test_a_program_for_a_vendor_that_is_no_carrier_or_ending_before_it_starts_is_refused(pages, world, ins):
    page = pages.as_("mso_procurement")
    page.get("/console/insurance")
    response = page.post("/console/insurance/programs", form(carrier_vendor_id=str(world.vendor.id)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="f-carrier_vendor_id-error">vendor {world.vendor.id} is not an insurance carrier' in html
    response = page.post("/console/insurance/programs", form(carrier_vendor_id=str(ins.carrier.id),
                                                              period_end=str(START - dt.timedelta(days=1))))
    assert response.status_code == 422
    assert 'id="f-period_end-error">before period_start' in response.get_data(as_text=True)
    assert count(InsuranceProgram) == 0


# --- binding ------------------------------------------------------------------------------


def test_binding_shows_the_jobs_progress_then_what_it_bound_and_invoiced(pages, world, ins, monkeypatch):
    program = enrolled_two(ins, world)
    queued: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", queued.append)  # the job waits until the test runs it
    page = pages.as_("mso_procurement")
    page.get(f"/console/insurance/programs/{program['id']}")
    response = page.post(f"/console/insurance/programs/{program['id']}/bind")
    assert response.status_code == 302
    html = page.get(response.headers["Location"]).get_data(as_text=True)
    text = text_of(html)
    (job_id,) = queued
    assert "Binding Physicians group program (job #" in text and "Status being bound" in text
    assert f"Binding (job {job_id}): waiting to start" in text
    assert f'hx-get="/jobs/{job_id}/progress?label=Binding"' in html and "Bind program" not in text
    assert insurance_invoices() == 0
    monkeypatch.undo()
    assert jobs.run(job_id)["status"] == "bound"
    text = text_of(page.get(f"/console/insurance/programs/{program['id']}").get_data(as_text=True))
    assert "Status bound: premiums are final" in text
    assert ("Bound: premiums are final Providers bound 2 Group discount 0% Premiums bound $24,000.00 "
            "Installment invoices created 2 invoices with 2 installments") in text
    assert f"Binding job #{job_id} finished" in text
    assert text.count("$12,000.00 final") == 2
    assert insurance_invoices() == 2


def test_binding_twice_shows_the_apis_answer_and_creates_nothing_twice(pages, world, ins):
    program = enrolled_two(ins, world)
    page = pages.as_("mso_admin")
    page.get(f"/console/insurance/programs/{program['id']}")
    assert page.post(f"/console/insurance/programs/{program['id']}/bind").status_code == 302
    ins.run_jobs(program_row(program["id"]).bind_job_id)
    assert program_row(program["id"]).status == "bound" and insurance_invoices() == 2
    jobs_before = count(jobs.Job)
    response = page.post(f"/console/insurance/programs/{program['id']}/bind")
    assert response.status_code == 409
    text = text_of(response.get_data(as_text=True))
    assert f"program {program['id']} is bound: it is bound once" in text
    assert "Premiums bound $24,000.00" in text  # the page as it is
    assert insurance_invoices() == 2 and count(jobs.Job) == jobs_before


def test_a_binding_that_failed_for_good_says_why_and_may_be_asked_again(pages, world, ins, monkeypatch):
    from gpo.insurance import binding

    program = enrolled_two(ins, world)
    queued: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", queued.append)
    page = pages.as_("mso_admin")
    page.get(f"/console/insurance/programs/{program['id']}")
    assert page.post(f"/console/insurance/programs/{program['id']}/bind").status_code == 302
    (job_id,) = queued

    def broken(*args):
        raise RuntimeError("the rating service is down")

    monkeypatch.setattr(binding, "make_final", broken)
    attempts = db.session.get(jobs.Job, job_id).max_attempts
    db.session.commit()
    for _ in range(attempts):
        with pytest.raises(RuntimeError):
            jobs.run(job_id)
    db.session.commit()
    assert db.session.get(jobs.Job, job_id).status == "failed"
    text = text_of(page.get(f"/console/insurance/programs/{program['id']}").get_data(as_text=True))
    assert f"Binding (job {job_id}): failed (nothing it did was kept)" in text
    assert f"Why it stopped: internal error (RuntimeError); attempt {attempts} of {attempts}" in text
    assert "Status open for enrollment" in text and "Bind program" in text  # asked again, it may bind
    assert insurance_invoices() == 0


def test_a_program_with_no_enrollment_is_not_bound(pages, world, ins):
    program = ins.program()
    page = pages.as_("mso_finance")
    page.get(f"/console/insurance/programs/{program['id']}")
    response = page.post(f"/console/insurance/programs/{program['id']}/bind")
    assert response.status_code == 409
    assert f"program {program['id']} has no active enrollments to bind" in text_of(response.get_data(as_text=True))
    assert program_row(program["id"]).status == "open" and count(jobs.Job) == 0


def test_a_role_that_may_read_sees_why_it_may_not_post_or_bind_and_is_refused(pages, world, ins, scheduler):
    program = enrolled_two(ins, world)
    page = pages.sign_in(scheduler.email)
    text = text_of(page.get("/console/insurance").get_data(as_text=True))
    assert "Physicians group program" in text
    assert "Only MSO admins and procurement post programs for a carrier." in text and "Post program" not in text
    response = page.post("/console/insurance/programs", form(carrier_vendor_id=str(ins.carrier.id)))
    assert response.status_code == 403
    text = text_of(page.get(f"/console/insurance/programs/{program['id']}").get_data(as_text=True))
    assert "Only MSO admins, procurement and finance bind programs." in text and "Bind program" not in text
    assert page.post(f"/console/insurance/programs/{program['id']}/bind").status_code == 403
    assert count(InsuranceProgram) == 1 and program_row(program["id"]).status == "open" and count(jobs.Job) == 0
    # finance binds but does not post: the form is not offered, a post is 403
    finance = pages.as_("mso_finance")
    assert "Only MSO admins and procurement post programs" in text_of(finance.get("/console/insurance").get_data(as_text=True))
    assert finance.post("/console/insurance/programs", form(carrier_vendor_id=str(ins.carrier.id))).status_code == 403
    assert count(InsuranceProgram) == 1


# --- the start page -----------------------------------------------------------------------


def test_the_start_page_says_which_programs_are_ready_to_bind(pages, world, ins, scheduler):
    program = enrolled_two(ins, world)
    ins.program(name="Nobody enrolled yet")  # nothing to bind: not waiting
    html = pages.as_("mso_procurement").get("/console").get_data(as_text=True)
    start = f"{START:%b} {START.day}, {START.year}"
    assert (f'<a href="/console/insurance/programs/{program["id"]}">Physicians group program: 2 enrollments, '
            f"to bind before cover starts on {start}</a>") in html
    assert "Nobody enrolled yet" not in html
    # a role that may not bind is not asked to
    assert "Physicians group program: 2 enrollments" not in pages.sign_in(scheduler.email).get("/console").get_data(as_text=True)


# --- statements that do not grow with the rows ---------------------------------------------


def test_the_programs_and_a_programs_page_send_as_many_statements_for_more_rows(pages, world):
    program = InsuranceProgramFactory()
    EnrollmentFactory(program=program, provider=ProviderFactory(practice_id=world.practice.id))
    page = pages.as_("mso_admin")
    statements = Statements(page)

    def more_programs():
        for _ in range(3):
            EnrollmentFactory(program=InsuranceProgramFactory(), provider=ProviderFactory(practice_id=world.other_practice.id))

    def more_enrollments():
        for practice in (world.practice, world.other_practice, world.practice):
            EnrollmentFactory(program=program, provider=ProviderFactory(practice_id=practice.id))

    same_count(statements, "/console/insurance", more_programs)
    same_count(statements, f"/console/insurance/programs/{program.id}", more_enrollments)
    assert db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.program_id == program.id)) == 4


# --- reading the form ---------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "cents"), [
    ("12000", 1200000), ("$12,345.67", 1234567), ("0.10", 10), ("41000.1", 4100010),
    ("12000.005", None), ("twelve", None), ("NaN", None), ("", None),
])
def test_rates_in_dollars_become_exact_cents(typed, cents):
    from gpo.insurance.program_form import _cents

    assert _cents(typed) == cents
