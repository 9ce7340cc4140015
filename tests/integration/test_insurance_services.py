"""The malpractice use cases called directly (no HTTP), each in its own unit of work
as an edge would run it, with hand-computed cents: a program's terms refused whole,
an enrollment's quote at the band the group reaches now, and binding, which fixes the
band, makes every premium final and invoices the installments."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gpo.auth.services import principal_for_user
from gpo.billing.models import Invoice
from gpo.db import db, unit_of_work, utcnow
from gpo.errors import Conflict, Forbidden, Invalid
from gpo.insurance import binding, enrollments, programs
from gpo.insurance.models import Enrollment, InsuranceProgram
from tests.factories import MsoFactory, PracticeFactory, ProviderFactory, UserFactory, VendorFactory

TODAY = utcnow().date()
START = TODAY + dt.timedelta(days=40)  # a period ahead, 365 days long
END = START + dt.timedelta(days=364)


def terms(**changes) -> dict:
    body = {
        "name": "Physicians group program", "carrier_vendor_id": None, "period_start": START, "period_end": END,
        "limits_options": ["1M/3M", "2M/4M"],
        "specialty_classes": {"family_medicine": "1", "pediatrics": "1"},
        "rates": [{"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 1200000},
                  {"specialty_class": "1", "limits": "2M/4M", "annual_rate_cents": 1500000}],
        "step_factors": [D("0.35"), D("0.60"), D("0.80"), D("0.90"), D("1.00")],
        "claims_free_credits": [{"min_years": 3, "percent": D(5)}, {"min_years": 5, "percent": D(10)}],
        # 5% from 3 providers, 10% from 5
        "group_discount_bands": [{"min_providers": 0, "percent": D(0)}, {"min_providers": 3, "percent": D(5)},
                                 {"min_providers": 5, "percent": D(10)}],
        "installment_options": [1, 4, 12],
    }
    body.update(changes)
    return body


class Group:
    def __init__(self):
        mso = MsoFactory()
        self.carrier = VendorFactory(name="Keystone Mutual", kind="carrier")
        self.practice, self.other = PracticeFactory(name="Lakeside"), PracticeFactory(name="Riverbend")

        def principal(org, role):
            return principal_for_user(UserFactory(organization_id=org.id, roles=[role], email=f"{role}.{org.id}@x.test"))

        self.underwriter = principal(self.carrier, "vendor_admin")
        self.mso_admin = principal(mso, "mso_admin")
        self.admin, self.other_admin = principal(self.practice, "practice_admin"), principal(self.other, "practice_admin")
        self.a = [ProviderFactory(practice_id=self.practice.id, first_name="Ana") for _ in range(2)]
        self.b = [ProviderFactory(practice_id=self.other.id, first_name="Cy")]
        with unit_of_work():
            self.program_id = programs.create_program(self.underwriter, terms()).id

    def enroll(self, provider, who=None, **changes) -> dict:
        body = {"provider_id": provider.id, "limits": "1M/3M", "fte": D(1), "claims_made_year": 5,
                "claims_free_years": 0, "installments": 1, "effective_on": None, **changes}
        with unit_of_work():
            return enrollments.enroll(who or self.admin, self.program_id, body)

    def quote_of(self, enrollment: dict) -> tuple[str, int]:
        with unit_of_work():
            quote = enrollments.get_enrollment(self.admin, enrollment["id"])["quote"]
            return str(quote["group_discount_percent"]), quote["premium_cents"]


@pytest.fixture
def group(db_ctx):
    return Group()


def test_a_program_is_refused_whole_naming_every_wrong_field(group):
    bad = terms(period_end=START - dt.timedelta(days=1), limits_options=["1M/3M", "2M/4M", "2M/4M"],
                step_factors=[D("0.5"), D("0.4")],
                group_discount_bands=[{"min_providers": 2, "percent": D(5)}])
    with pytest.raises(Invalid) as refused, unit_of_work():
        programs.create_program(group.underwriter, bad)
    assert refused.value.errors == {"json": {
        "period_end": ["before period_start"],
        "limits_options": ["each limit option once"],
        "step_factors": ["factors must never decrease from one claims-made year to the next"],
        "group_discount_bands": ["the first must have min_providers 0"],
    }}
    assert db.session.scalar(select(func.count(InsuranceProgram.id))) == 1


def test_a_quote_is_at_the_band_the_group_reaches_now(group):
    # 1,200,000 x 0.60 (claims-made year 2) x 0.5 FTE x 0.95 (4 claims-free years) = 342,000 at 0%
    first = group.enroll(group.a[0], fte=D("0.5"), claims_made_year=2, claims_free_years=4, installments=4)
    assert (first["premium_cents"], first["quote"]["annual_cents"], first["final"]) == (342000, 342000, False)
    assert [(x["due_on"], x["amount_cents"]) for x in first["installment_schedule"]] == [
        (START, 85500), (first["installment_schedule"][1]["due_on"], 85500),
        (first["installment_schedule"][2]["due_on"], 85500), (first["installment_schedule"][3]["due_on"], 85500)]
    group.enroll(group.a[1], claims_made_year=1, installments=12)
    assert group.quote_of(first) == ("0", 342000)
    # the third provider reaches the 5% band: 342,000 x 0.95 = 324,900
    group.enroll(group.b[0], who=group.other_admin, limits="2M/4M", claims_free_years=5)
    assert group.quote_of(first) == ("5", 324900)
    with unit_of_work():
        progress = programs.group_progress(group.admin, group.program_id)
    assert (progress["enrolled"], progress["current_band"], progress["providers_to_next_band"]) == (
        3, {"min_providers": 3, "percent": D(5)}, 2)
    with pytest.raises(Conflict, match="already enrolled"):
        group.enroll(group.a[0])


def test_binding_fixes_the_band_and_makes_every_premium_final(group, run_jobs):
    quarterly = group.enroll(group.a[0], fte=D("0.5"), claims_made_year=2, claims_free_years=4, installments=4)
    monthly = group.enroll(group.a[1], claims_made_year=1, installments=12)
    single = group.enroll(group.b[0], who=group.other_admin, limits="2M/4M", claims_free_years=5)
    with unit_of_work():
        program = binding.request_bind(group.mso_admin, group.program_id)
        assert program.status == "binding"
        job_id = program.bind_job_id
    assert run_jobs(job_id).status == "finished"
    db.session.expire_all()
    program = db.session.get(InsuranceProgram, group.program_id)
    assert (program.status, program.bound_provider_count, program.bound_discount_percent) == ("bound", 3, D(5))
    # at 5%: 1,200,000 x 0.60 x 0.5 x 0.95 x 0.95 = 324,900; 1,200,000 x 0.35 x 0.95 = 399,000;
    # 1,500,000 x 1.00 x 0.90 x 0.95 = 1,282,500
    finals = {e.id: (e.premium_cents, e.group_discount_percent) for e in db.session.scalars(select(Enrollment))}
    assert [finals[e["id"]] for e in (quarterly, monthly, single)] == [(324900, D(5)), (399000, D(5)), (1282500, D(5))]
    a_invoices = db.session.scalars(select(Invoice).where(Invoice.practice_id == group.practice.id)
                                    .order_by(Invoice.due_on)).all()
    assert len(a_invoices) == 12 and a_invoices[0].subtotal_cents == 81225 + 33250
    assert sum(i.subtotal_cents for i in a_invoices) == 324900 + 399000
    [b_invoice] = db.session.scalars(select(Invoice).where(Invoice.practice_id == group.other.id)).all()
    assert b_invoice.subtotal_cents == 1282500
    # bound once: asked again, 409; the job's body run again changes nothing
    with pytest.raises(Conflict, match="bound once"), unit_of_work():
        binding.request_bind(group.mso_admin, group.program_id)
    with unit_of_work():
        assert binding.bind(group.program_id) == {"status": "bound", "providers": 3}
    assert db.session.scalar(select(func.count(Invoice.id))) == 13


def test_a_binding_that_fails_for_good_leaves_the_program_open_to_bind_again(group):
    """What BINDING does once the job's retries are spent (on_failed_for_good)."""
    from gpo.audit import AuditEvent

    group.enroll(group.a[0])
    db.session.get(InsuranceProgram, group.program_id).status = "binding"  # the job's retries spent
    db.session.commit()
    with unit_of_work():
        binding.back_to_open(db.session.get(InsuranceProgram, group.program_id))
    db.session.expire_all()
    assert db.session.get(InsuranceProgram, group.program_id).status == "open"
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "insurance_program.bind_failed")) == 1
    assert binding.BINDING.may_run_again(db.session.get(InsuranceProgram, group.program_id))


def test_a_quote_prices_the_enrollment_at_the_band_it_would_reach_and_stores_nothing(group):
    group.enroll(group.a[0])
    group.enroll(group.b[0], who=group.other_admin)
    body = {"provider_id": group.a[1].id, "limits": "1M/3M", "fte": D("0.5"), "claims_made_year": 2,
            "claims_free_years": 4, "installments": 4, "effective_on": None}
    with unit_of_work():
        quote = enrollments.quote(group.admin, group.program_id, body)
    # the third provider would reach the 5% band: 1,200,000 x 0.60 x 0.5 x 0.95 x 0.95 = 324,900
    assert (quote["group_discount_percent"], quote["premium_cents"], quote["annual_cents"]) == (D(5), 324900, 324900)
    assert (quote["base_rate_cents"], quote["step_factor"], quote["claims_free_percent"]) == (1200000, D("0.60"), D(5))
    assert [x["amount_cents"] for x in quote["installment_schedule"]] == [81225] * 4
    assert quote["installment_schedule"][0]["due_on"] == START and quote["already_enrolled_id"] is None
    assert db.session.scalar(select(func.count(Enrollment.id))) == 2
    # and enrolling on the same terms gives the quote's premium
    assert group.enroll(group.a[1], **{k: v for k, v in body.items() if k != "provider_id"})["premium_cents"] == 324900


def test_a_quote_is_refused_as_enrolling_is(group):
    body = {"provider_id": group.b[0].id, "limits": "1M/3M", "fte": D(1), "claims_made_year": 1,
            "claims_free_years": 0, "installments": 1, "effective_on": None}
    with pytest.raises(Invalid, match="not a provider of your practice"), unit_of_work():
        enrollments.quote(group.admin, group.program_id, body)
    with pytest.raises(Invalid) as refused, unit_of_work():
        enrollments.quote(group.admin, group.program_id, {**body, "provider_id": group.a[0].id, "limits": "9M/9M"})
    assert list(refused.value.errors["json"]) == ["limits"]
    buyer = principal_for_user(UserFactory(organization_id=group.practice.id, roles=["practice_buyer"],
                                           email="buyer@x.test"))
    with pytest.raises(Forbidden), unit_of_work():
        enrollments.quote(buyer, group.program_id, {**body, "provider_id": group.a[0].id})
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0
