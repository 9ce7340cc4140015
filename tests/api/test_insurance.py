"""The malpractice group program over HTTP, with hand-computed cents: programs posted
and validated whole, enrollments and quotes, group progress, binding into installment
invoices, mid-term additions and cancellations, and who sees what."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gpo.billing.models import Credit, Invoice
from gpo.db import db
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.insurance.rules import terms_json
from tests.factories import ProviderFactory
from tests.helpers import assert_error
from tests.scenarios import END, START, TODAY, Insurance, program_body


@pytest.fixture
def ins(client, world, run_jobs):
    return Insurance(client, world, run_jobs)


# --- programs -------------------------------------------------------------------------


def test_a_carrier_posts_its_program_by_user_or_api_key(ins):
    program = ins.program()
    assert (program["status"], program["carrier_vendor_id"], program["period_start"]) == ("open", ins.carrier.id, str(START))
    assert program["step_factors"] == ["0.35", "0.60", "0.80", "0.90", "1.00"]
    assert program["rates"][0] == {"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 1200000}
    by_key = ins.post_program(who="carrier_key", name="Keyed")
    assert by_key.status_code == 201 and by_key.get_json()["carrier_vendor_id"] == ins.carrier.id
    # MSO procurement posts one for a carrier it names
    mso = ins.post_program(who="mso_procurement", carrier_vendor_id=ins.other_carrier.id)
    assert mso.status_code == 201 and mso.get_json()["carrier_vendor_id"] == ins.other_carrier.id


def test_only_carriers_post_programs_and_for_themselves(ins):
    assert_error(ins.post_program(who="vendor_admin"), 403, contains="carrier")  # a supplier
    assert_error(ins.post_program(who="practice_admin"), 403)
    assert_error(ins.post_program(carrier_vendor_id=ins.other_carrier.id), 422, contains="itself")
    assert_error(ins.post_program(who="mso_procurement", carrier_vendor_id=ins.world.vendor.id), 422,
                 contains="not an insurance carrier")
    assert_error(ins.post_program(who="mso_procurement"), 422)
    assert db.session.scalar(select(func.count(InsuranceProgram.id))) == 0


RATES = program_body()["rates"]


@pytest.mark.parametrize("changes, field", [
    ({"rates": RATES[:3]}, "rates"),  # class 8 has no 2M/4M rate
    ({"rates": RATES + [{"specialty_class": "1", "limits": "5M/10M", "annual_rate_cents": 1}]}, "rates"),
    ({"rates": RATES + [RATES[0]]}, "rates"),
    ({"rates": RATES + [{"specialty_class": "9", "limits": "1M/3M", "annual_rate_cents": 1}]}, "rates"),
    ({"rates": [{**RATES[0], "annual_rate_cents": 0}] + RATES[1:]}, "rates"),
    ({"step_factors": ["0.35", "1.20"]}, "step_factors"),
    ({"step_factors": ["0", "1"]}, "step_factors"),
    ({"step_factors": ["0.80", "0.60"]}, "step_factors"),
    ({"step_factors": []}, "step_factors"),
    ({"claims_free_credits": [{"min_years": 5, "percent": "10"}, {"min_years": 3, "percent": "5"}]}, "claims_free_credits"),
    ({"claims_free_credits": [{"min_years": 3, "percent": "100"}]}, "claims_free_credits"),
    ({"group_discount_bands": [{"min_providers": 5, "percent": "5"}]}, "group_discount_bands"),
    ({"group_discount_bands": [{"min_providers": 0, "percent": "0"}, {"min_providers": 10, "percent": "5"},
                               {"min_providers": 10, "percent": "7"}]}, "group_discount_bands"),
    ({"group_discount_bands": [{"min_providers": 0, "percent": "5"}, {"min_providers": 10, "percent": "2"}]},
     "group_discount_bands"),
    ({"installment_options": [5]}, "installment_options"),
    ({"installment_options": [4, 4]}, "installment_options"),
    ({"limits_options": ["1M/3M", "1M/3M"]}, "limits_options"),
    ({"period_end": str(START - dt.timedelta(days=1))}, "period_end"),
    ({"period_end": str(START + dt.timedelta(days=400))}, "period_end"),
    ({"period_start": str(TODAY - dt.timedelta(days=400)), "period_end": str(TODAY - dt.timedelta(days=40))}, "period_end"),
    ({"specialty_classes": {}}, "specialty_classes"),
])
def test_a_program_is_validated_whole(ins, changes, field):
    body = assert_error(ins.post_program(**changes), 422)
    assert field in body["errors"]["json"], body
    assert db.session.scalar(select(func.count(InsuranceProgram.id))) == 0


def test_programs_are_seen_by_their_carrier_practices_and_mso_only(ins):
    program = ins.program()
    url = f"/api/v1/insurance/programs/{program['id']}"
    for who in ("carrier_admin", "carrier_key", "practice_buyer", "mso_finance"):
        assert ins.get(url, who)["id"] == program["id"]
        assert [p["id"] for p in ins.get("/api/v1/insurance/programs", who)] == [program["id"]]
    for who in ("other_carrier_admin", "vendor_admin"):
        assert_error(ins.client.get(url, headers=ins.world.headers[who]), 404)
        assert_error(ins.client.get(f"{url}/group-progress", headers=ins.world.headers[who]), 404)
        assert ins.get("/api/v1/insurance/programs", who) == []


# --- enrollments and quotes ---------------------------------------------------------------


def test_an_enrollment_shows_its_quote_and_installments(ins):
    program = ins.program()
    e = ins.enrolled(program, ins.a[0], fte="0.5", claims_made_year=2, claims_free_years=4, installments=4)
    # 1,200,000 x 0.60 x 0.5 x (1 - 5%) claims-free x (1 - 0%) band = 342,000
    q = e["quote"]
    assert (q["base_rate_cents"], q["step_factor"], q["claims_free_percent"], q["group_discount_percent"]) == (
        1200000, "0.60", "5", "0")
    assert (q["annual_cents"], q["days_covered"], q["days_in_period"], q["premium_cents"]) == (342000, 365, 365, 342000)
    assert (e["status"], e["final"], e["specialty_class"], e["effective_on"]) == ("active", False, "1", str(START))
    assert [i["amount_cents"] for i in e["installment_schedule"]] == [85500] * 4
    assert e["installment_schedule"][0]["due_on"] == str(START)
    assert sum(i["amount_cents"] for i in e["installment_schedule"]) == e["premium_cents"]


def test_quotes_follow_the_band_the_group_reaches_now(ins):
    program = ins.program()
    url = f"/api/v1/insurance/programs/{program['id']}"
    progress = ins.get(f"{url}/group-progress", "practice_buyer")
    assert (progress["enrolled"], progress["current_band"], progress["next_band"], progress["providers_to_next_band"]) == (
        0, {"min_providers": 0, "percent": "0"}, {"min_providers": 3, "percent": "5"}, 3)
    first = ins.enrolled(program, ins.a[0])
    assert first["premium_cents"] == 1200000
    ins.enrolled(program, ins.a[1])
    assert ins.get(f"{url}/group-progress")["providers_to_next_band"] == 1
    ins.enrolled(program, ins.b[0], headers=ins.b_admin)  # another practice's provider counts for the group
    progress = ins.get(f"{url}/group-progress", "carrier_key")
    assert (progress["enrolled"], progress["current_band"]["percent"], progress["next_band"],
            progress["providers_to_next_band"]) == (
        3, "5", {"min_providers": 5, "percent": "10"}, 2)
    # every quote moves to the band reached: 1,200,000 x 0.95
    again = ins.get(f"/api/v1/insurance/enrollments/{first['id']}")
    assert (again["quote"]["group_discount_percent"], again["premium_cents"]) == ("5", 1140000)
    ins.enrolled(program, ins.a[2])
    ins.enrolled(program, ins.a[3])
    progress = ins.get(f"{url}/group-progress")
    assert (progress["current_band"]["percent"], progress["next_band"], progress["providers_to_next_band"]) == ("10", None, None)
    assert ins.get(f"/api/v1/insurance/enrollments/{first['id']}")["premium_cents"] == 1080000
    # cancelling before binding drops the group back a band
    assert ins.client.delete(f"/api/v1/insurance/enrollments/{first['id']}",
                             headers=ins.world.headers["practice_admin"]).status_code == 200
    assert ins.get(f"{url}/group-progress")["current_band"]["percent"] == "5"


@pytest.mark.parametrize("changes, status, field", [
    ({"limits": "5M/10M"}, 422, "limits"),
    ({"fte": "0.05"}, 422, "fte"),
    ({"fte": "1.1"}, 422, "fte"),
    ({"fte": "0"}, 422, "fte"),
    ({"fte": "half"}, 422, "fte"),
    ({"claims_made_year": 0}, 422, "claims_made_year"),
    ({"claims_free_years": -1}, 422, "claims_free_years"),
    ({"installments": 2}, 422, "installments"),  # a choice, but not this program's
    ({"installments": 5}, 422, "installments"),
    ({"effective_on": str(START - dt.timedelta(days=1))}, 422, "effective_on"),
    ({"effective_on": str(END + dt.timedelta(days=1))}, 422, "effective_on"),
])
def test_bad_enrollments_are_refused(ins, changes, status, field):
    program = ins.program()
    body = assert_error(ins.enroll(program, ins.a[0], **changes), status)
    assert field in body["errors"]["json"], body
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0


def test_a_specialty_without_a_class_another_practices_or_an_inactive_provider_is_refused(ins):
    program = ins.program()
    dermatologist = ProviderFactory(practice_id=ins.world.practice.id, specialty="dermatology")
    assert_error(ins.enroll(program, dermatologist), 422, contains="dermatology")
    assert_error(ins.enroll(program, ins.b[0]), 422, contains="not a provider of your practice")
    gone = ProviderFactory(practice_id=ins.world.practice.id, active_to=TODAY - dt.timedelta(days=10))
    assert_error(ins.enroll(program, gone), 422, contains="not active")
    joining_late = ProviderFactory(practice_id=ins.world.practice.id, active_from=START + dt.timedelta(days=30))
    assert_error(ins.enroll(program, joining_late), 422, contains="not active")
    # ... unless their cover starts when they join: pro-rata, 335 of 365 days at 0%
    late = ins.enrolled(program, joining_late, effective_on=str(START + dt.timedelta(days=30)))
    assert (late["premium_cents"], late["quote"]["days_covered"]) == (1101370, 335)  # 1,200,000 x 335/365 = 1,101,369.86
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1


def test_a_provider_is_enrolled_once_and_only_by_its_practice_admin(ins):
    program = ins.program()
    ins.enrolled(program, ins.a[0])
    assert_error(ins.enroll(program, ins.a[0], limits="2M/4M"), 409, contains="already enrolled")
    for who in ("practice_buyer", "practice_physician", "mso_admin", "carrier_admin"):
        assert_error(ins.enroll(program, ins.a[1], headers=ins.world.headers[who]), 403)
    assert_error(ins.enroll(program, ins.a[1], headers=ins.world.headers["other_carrier_admin"]), 404)
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1


def test_no_enrollment_after_the_period_ended(ins):
    body = program_body(period_start=str(TODAY - dt.timedelta(days=400)), period_end=str(TODAY - dt.timedelta(days=36)))
    past = InsuranceProgram(carrier_vendor_id=ins.carrier.id, name="Last year", period_start=TODAY - dt.timedelta(days=400),
                            period_end=TODAY - dt.timedelta(days=36), status="open", created_by="t",
                            **terms_json({**body, "step_factors": [D(f) for f in body["step_factors"]],
                                          "claims_free_credits": [],
                                          "group_discount_bands": [{"min_providers": 0, "percent": D(0)}]}))
    db.session.add(past)
    db.session.commit()
    assert_error(ins.enroll({"id": past.id}, ins.a[0]), 409, contains="period ended")
    assert_error(ins.client.post(f"/api/v1/insurance/programs/{past.id}/bind", headers=ins.world.headers["mso_admin"]), 409)


# --- binding ----------------------------------------------------------------------------


def test_binding_fixes_the_band_and_issues_installment_invoices_that_add_up(ins):
    program = ins.program()
    # practice A: quarterly and monthly payers; practice B: one payment
    quarterly = ins.enrolled(program, ins.a[0], fte="0.5", claims_made_year=2, claims_free_years=4, installments=4)
    monthly = ins.enrolled(program, ins.a[1], claims_made_year=1, installments=12)
    single = ins.enrolled(program, ins.b[0], headers=ins.b_admin, limits="2M/4M", claims_free_years=5)
    bound = ins.bind(program)
    assert (bound["status"], bound["bound_provider_count"], bound["bound_discount_percent"]) == ("bound", 3, "5.0000")
    # final at the 5% band:
    #   1,200,000 x 0.60 x 0.5 x 0.95 x 0.95 = 324,900, quarterly 81,225
    #   1,200,000 x 0.35 x 0.95 = 399,000, monthly 33,250
    #   1,500,000 x 1.00 x 0.90 x 0.95 = 1,282,500, once
    q = ins.get(f"/api/v1/insurance/enrollments/{quarterly['id']}")
    m = ins.get(f"/api/v1/insurance/enrollments/{monthly['id']}")
    s = ins.get(f"/api/v1/insurance/enrollments/{single['id']}", ins.b_admin)
    assert [(e["final"], e["premium_cents"]) for e in (q, m, s)] == [(True, 324900), (True, 399000), (True, 1282500)]
    a_invoices = ins.insurance_invoices(ins.world.practice)
    assert len(a_invoices) == 12  # one per due date: the quarterly ones share theirs with the monthly
    assert all(i.status == "open" and i.number and i.due_on >= i.issued_on for i in a_invoices)
    assert [len(i.lines) for i in a_invoices] == [2, 1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1]
    assert a_invoices[0].subtotal_cents == 81225 + 33250
    assert sum(i.subtotal_cents for i in a_invoices) == 324900 + 399000
    assert a_invoices[3].due_on == dt.date.fromisoformat(q["installment_schedule"][1]["due_on"])
    [b_invoice] = ins.insurance_invoices(ins.world.other_practice)
    assert (b_invoice.subtotal_cents, [line.kind for line in b_invoice.lines]) == (1282500, ["premium"])
    assert "installment 1 of 1" in b_invoice.lines[0].description and ins.b[0].npi in b_invoice.lines[0].description
    # the practice reads them through billing
    listed = ins.get(f"/api/v1/invoices?kind=insurance&practice_id={ins.world.practice.id}")
    assert len(listed) == 12


def test_binding_twice_is_refused_and_a_rerun_creates_nothing(ins):
    program = ins.program()
    ins.enrolled(program, ins.a[0], installments=4)
    ins.bind(program)
    assert_error(ins.client.post(f"/api/v1/insurance/programs/{program['id']}/bind", headers=ins.world.headers["mso_admin"]),
                 409, contains="bound once")
    from gpo.insurance.binding import bind

    before = db.session.scalar(select(func.count(Invoice.id)))
    assert bind(program["id"])["status"] == "bound"
    assert db.session.scalar(select(func.count(Invoice.id))) == before == 4


def test_binding_needs_mso_and_an_enrollment(ins):
    program = ins.program()
    assert_error(ins.client.post(f"/api/v1/insurance/programs/{program['id']}/bind", headers=ins.world.headers["mso_admin"]),
                 409, contains="no active enrollments")
    ins.enrolled(program, ins.a[0])
    for who in ("carrier_admin", "practice_admin"):
        assert_error(ins.client.post(f"/api/v1/insurance/programs/{program['id']}/bind", headers=ins.world.headers[who]), 403)
    assert ins.get(f"/api/v1/insurance/programs/{program['id']}")["status"] == "open"


def test_a_failed_binding_leaves_the_program_open_to_bind_again(ins, monkeypatch):
    from gpo.insurance import binding

    program = ins.program()
    ins.enrolled(program, ins.a[0])
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(binding, "practice_invoices", broken)
    response = ins.client.post(f"/api/v1/insurance/programs/{program['id']}/bind", headers=ins.world.headers["mso_admin"])
    assert response.status_code == 202
    job = ins.run_jobs(response.get_json()["bind_job_id"])
    in_process = not ins.client.application.config.get("REDIS_URL")
    assert job.status == ("failed" if in_process else "finished")
    if in_process:  # in-process jobs: the patched function ran (a worker process has its own)
        assert ins.get(f"/api/v1/insurance/programs/{program['id']}")["status"] == "open"
        assert db.session.scalar(select(func.count(Invoice.id))) == 0
        assert db.session.scalar(select(Enrollment.premium_cents)) is None
        monkeypatch.undo()
        assert ins.bind(program)["status"] == "bound"
    assert db.session.scalar(select(func.count(Invoice.id))) == 1


# --- mid-term changes ---------------------------------------------------------------------


def test_a_provider_added_after_binding_pays_pro_rata_at_the_bound_band(ins):
    program = ins.program()
    for provider in ins.a[:3]:
        ins.enrolled(program, provider)
    ins.bind(program)  # 3 providers: 5%
    before = {e.id: e.premium_cents for e in db.session.scalars(select(Enrollment))}
    # two more would reach the 10% band, but the band is fixed: 5% for them and for everyone
    late = ins.enrolled(program, ins.b[0], headers=ins.b_admin, effective_on=str(START + dt.timedelta(days=100)),
                        installments=4)
    ins.enrolled(program, ins.b[1], headers=ins.b_admin)
    # 1,200,000 x 0.95 = 1,140,000 a year; 265 of 365 days: 827,671.23 -> 827,671
    assert (late["final"], late["quote"]["group_discount_percent"], late["annual_premium_cents"]) == (True, "5.0000", 1140000)
    assert (late["quote"]["days_covered"], late["premium_cents"]) == (265, 827671)
    db.session.expire_all()
    assert {e.id: e.premium_cents for e in db.session.scalars(select(Enrollment).where(Enrollment.id.in_(before)))} == before
    assert ins.get(f"/api/v1/insurance/programs/{program['id']}/group-progress")["enrolled"] == 5
    assert ins.get(f"/api/v1/insurance/programs/{program['id']}")["bound_discount_percent"] == "5.0000"
    # its installments: those whose stretch has not ended by then, adding up exactly
    b_invoices = ins.insurance_invoices(ins.world.other_practice)
    late_lines = [line for i in b_invoices for line in i.lines if ins.b[0].npi in line.description]
    assert sum(line.amount_cents for line in late_lines) == 827671
    assert len(late_lines) == len(late["installment_schedule"]) == 3  # day 100 is in the second quarter


def test_after_binding_cover_cannot_start_in_the_past(ins, monkeypatch):
    program = ins.program()
    ins.enrolled(program, ins.a[0])
    ins.bind(program)
    # bound and the period under way: cover starts today at the earliest
    from gpo.insurance import enrollments

    monkeypatch.setattr(enrollments, "today", lambda: START + dt.timedelta(days=10))
    assert_error(ins.enroll(program, ins.a[1], effective_on=str(START)), 422, contains="back-dated")
    mid = ins.enrolled(program, ins.a[1])
    assert (mid["effective_on"], mid["quote"]["days_covered"]) == (str(START + dt.timedelta(days=10)), 355)


def test_cancelling_after_binding_credits_the_unused_days(ins):
    program = ins.program()
    e = ins.enrolled(program, ins.a[0], fte="0.5", claims_made_year=2, claims_free_years=4, installments=4)
    other = ins.enrolled(program, ins.a[1])
    ins.bind(program)  # 2 providers: 0%; 342,000 a year
    stop = START + dt.timedelta(days=200)  # 165 days unused
    response = ins.client.delete(f"/api/v1/insurance/enrollments/{e['id']}?effective_on={stop}&reason=left+the+practice",
                                 headers=ins.world.headers["practice_admin"])
    assert response.status_code == 200, response.get_data(as_text=True)
    cancelled = response.get_json()
    # 342,000 x 165 / 365 = 154,602.74 -> 154,603
    assert (cancelled["status"], cancelled["cancelled_on"], cancelled["credited_cents"]) == ("cancelled", str(stop), 154603)
    assert cancelled["premium_cents"] == 342000  # what was billed stays billed; the credit gives back the rest
    credit = db.session.get(Credit, cancelled["credit_id"])
    assert (credit.source, credit.amount_cents, credit.remaining_cents, credit.practice_id) == (
        "insurance_cancellation", 154603, 154603, ins.world.practice.id)
    credits = ins.get(f"/api/v1/practices/{ins.world.practice.id}/credits")
    assert credits["balance_cents"] == 154603
    # nobody else is re-rated, and a cancelled enrollment stays cancelled
    assert ins.get(f"/api/v1/insurance/enrollments/{other['id']}")["premium_cents"] == 1200000
    assert_error(ins.client.delete(f"/api/v1/insurance/enrollments/{e['id']}", headers=ins.world.headers["practice_admin"]),
                 409, contains="already cancelled")
    assert db.session.scalar(select(func.count(Credit.id))) == 1
    # the provider may be enrolled again, pro-rata from then at the bound 0%:
    # 1,200,000 x 165 / 365 = 542,465.75 -> 542,466
    again = ins.enrolled(program, ins.a[0], effective_on=str(stop))
    assert (again["final"], again["premium_cents"]) == (True, 542466)


def test_a_cancellation_cannot_be_back_dated_once_billed(ins, monkeypatch):
    program = ins.program()
    e = ins.enrolled(program, ins.a[0])
    ins.bind(program)
    from gpo.insurance import enrollments

    monkeypatch.setattr(enrollments, "today", lambda: START + dt.timedelta(days=50))
    assert_error(ins.client.delete(f"/api/v1/insurance/enrollments/{e['id']}?effective_on={START}",
                                   headers=ins.world.headers["practice_admin"]), 422, contains="back-dated")
    assert_error(ins.client.delete(f"/api/v1/insurance/enrollments/{e['id']}?effective_on={END + dt.timedelta(days=2)}",
                                   headers=ins.world.headers["practice_admin"]), 422)
    # today: 315 of 365 days unused, 1,200,000 x 315/365 = 1,035,616.44 -> 1,035,616
    done = ins.client.delete(f"/api/v1/insurance/enrollments/{e['id']}", headers=ins.world.headers["practice_admin"]).get_json()
    assert (done["cancelled_on"], done["credited_cents"]) == (str(START + dt.timedelta(days=50)), 1035616)


def test_cancelling_before_binding_credits_nothing(ins):
    program = ins.program()
    e = ins.enrolled(program, ins.a[0])
    done = ins.client.delete(f"/api/v1/insurance/enrollments/{e['id']}", headers=ins.world.headers["mso_admin"])
    assert done.status_code == 200 and done.get_json()["credited_cents"] == 0
    assert done.get_json()["cancelled_on"] == str(START)
    assert db.session.scalar(select(func.count(Credit.id))) == 0
    for who in ("carrier_admin", "practice_buyer"):
        assert_error(ins.client.delete(f"/api/v1/insurance/enrollments/{e['id']}", headers=ins.world.headers[who]), 403)


# --- who sees what ------------------------------------------------------------------------


def test_carriers_see_underwriting_fields_practices_their_own(ins):
    program = ins.program()
    a = ins.enrolled(program, ins.a[0], installments=4)
    b = ins.enrolled(program, ins.b[0], headers=ins.b_admin)
    url = f"/api/v1/insurance/programs/{program['id']}/enrollments"
    seen = ins.get(url, "carrier_key")
    assert [e["id"] for e in seen] == [a["id"], b["id"]]
    assert {"provider_name", "npi", "specialty", "limits", "premium_cents"} <= set(seen[0])
    assert not {"practice_id", "quote", "installment_schedule", "installments", "credit_id", "enrolled_by"} & set(seen[0])
    assert seen[0]["npi"] == ins.a[0].npi
    one = ins.get(f"/api/v1/insurance/enrollments/{b['id']}", "carrier_admin")
    assert "practice_id" not in one
    # practices: their own only
    assert [e["id"] for e in ins.get(url)] == [a["id"]]
    assert [e["id"] for e in ins.get(url, ins.b_admin)] == [b["id"]]
    assert_error(ins.client.get(f"/api/v1/insurance/enrollments/{b['id']}", headers=ins.world.headers["practice_admin"]), 404)
    assert_error(ins.client.delete(f"/api/v1/insurance/enrollments/{b['id']}", headers=ins.world.headers["practice_admin"]), 404)
    # other carriers and vendors: nothing
    for who in ("other_carrier_admin", "vendor_key"):
        assert_error(ins.client.get(url, headers=ins.world.headers[who]), 404)
        assert_error(ins.client.get(f"/api/v1/insurance/enrollments/{a['id']}", headers=ins.world.headers[who]), 404)
    # MSO: all, filterable
    assert [e["id"] for e in ins.get(f"{url}?practice_id={ins.world.other_practice.id}", "mso_finance")] == [b["id"]]
    assert len(ins.get(url, "mso_admin")) == 2
    # and a carrier cannot learn whose providers they are by filtering
    assert_error(ins.client.get(f"{url}?practice_id={ins.world.practice.id}", headers=ins.world.headers["carrier_key"]), 422)
