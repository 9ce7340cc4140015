"""Insurance races the database decides (PostgreSQL: real concurrent transactions)."""
from sqlalchemy import func, select

from gpo.billing.models import Invoice, InvoiceLine
from gpo.db import db
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.jobs import Job
from tests.scenarios import Insurance, race

ENROLLMENT = {"limits": "1M/3M", "fte": "1", "claims_made_year": 5, "claims_free_years": 0, "installments": 1}


def test_one_provider_enrolled_four_times_at_once_is_enrolled_once(app, client, world, run_jobs, postgresql_only):
    ins = Insurance(client, world, run_jobs)
    program = ins.program()
    db.session.commit()
    url = f"/api/v1/insurance/programs/{program['id']}/enrollments"
    body = {**ENROLLMENT, "provider_id": ins.a[0].id}
    responses = race(app, [("POST", url, {"json": body, "headers": world.headers["practice_admin"]})] * 4)
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1


def test_binding_asked_four_times_at_once_binds_once(app, client, world, run_jobs, postgresql_only):
    ins = Insurance(client, world, run_jobs)
    program = ins.program()
    ins.enrolled(program, ins.a[0], installments=4)
    db.session.commit()
    url = f"/api/v1/insurance/programs/{program['id']}/bind"
    responses = race(app, [("POST", url, {"headers": world.headers[who]})
                           for who in ("mso_admin", "mso_finance", "mso_procurement", "mso_admin")])
    assert sorted(r.status_code for r in responses) == [202, 409, 409, 409]
    [accepted] = [r.get_json() for r in responses if r.status_code == 202]
    assert run_jobs(accepted["bind_job_id"]).status == "finished"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Job.id)).where(Job.kind == "insurance.bind")) == 1
    assert db.session.scalar(select(func.count(Invoice.id))) == 4


def test_an_enrollment_racing_the_binding_is_billed_exactly_once(app, client, world, run_jobs, postgresql_only):
    """The program's row lock orders them: either binding counts the enrollment, or the
    enrollment comes after and is priced at the bound band; never both, never neither."""
    ins = Insurance(client, world, run_jobs)
    program = ins.program()
    for provider in ins.a[:2]:
        ins.enrolled(program, provider)
    db.session.commit()
    late = ins.b[0]
    responses = race(app, [
        ("POST", f"/api/v1/insurance/programs/{program['id']}/bind", {"headers": world.headers["mso_admin"]}),
        ("POST", f"/api/v1/insurance/programs/{program['id']}/enrollments",
         {"json": {**ENROLLMENT, "provider_id": late.id}, "headers": ins.b_admin}),
    ])
    assert [r.status_code for r in responses] == [202, 201]
    assert run_jobs(responses[0].get_json()["bind_job_id"]).status == "finished"
    db.session.expire_all()
    program_row = db.session.get(InsuranceProgram, program["id"])
    assert program_row.status == "bound" and program_row.bound_provider_count in (2, 3)
    enrollments = db.session.scalars(select(Enrollment)).all()
    assert all(e.premium_cents is not None and e.group_discount_percent == program_row.bound_discount_percent
               for e in enrollments)
    for e in enrollments:
        billed = db.session.scalar(select(func.sum(InvoiceLine.amount_cents)).join(Invoice).where(
            Invoice.kind == "insurance", InvoiceLine.description.contains(e.provider.npi)))
        assert billed == e.premium_cents
