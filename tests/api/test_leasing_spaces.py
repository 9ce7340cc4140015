"""Shared space over HTTP, with hand-computed cents: suites created by MSO finance,
who sees which suite and what of it (a practice: its own occupancies and share, never
another practice's name), occupancies refused for each bad input (issue 18: more
square feet than the suite's, an overlapping occupancy of the same practice), ending
one, and the "lease" billing run's space shares: exact cents, the vacancy never
invoiced, a month run twice creating nothing."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from gpo.audit import AuditEvent
from gpo.billing.models import Invoice
from gpo.billing.rules import month_bounds
from gpo.db import clock_shifted, db, utcnow
from gpo.leasing.models import Occupancy, Space
from tests.factories import OccupancyFactory, PracticeFactory, SpaceFactory
from tests.helpers import assert_error

SUITE = {"name": "Suite 200", "address": "1 Medical Plaza", "square_feet": 2500, "base_rent_cents": 1000000,
         "escalation_percent": "3", "starts_on": "2025-01-01"}


class Spaces:
    def __init__(self, client, world):
        self.client, self.world = client, world

    def post(self, url, body, who="mso_finance"):
        return self.client.post(f"/api/v1{url}", json=body, headers=self.world.headers[who])

    def get(self, url, who="mso_finance", status=200):
        response = self.client.get(f"/api/v1{url}", headers=self.world.headers[who])
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def suite(self, **changes) -> dict:
        response = self.post("/leasing/spaces", {**SUITE, **changes})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def occupy(self, space, practice, square_feet, starts_on="2025-01-01", ends_on=None, who="mso_finance"):
        body = {"practice_id": practice.id, "square_feet": square_feet, "starts_on": starts_on}
        if ends_on:
            body["ends_on"] = ends_on
        return self.post(f"/leasing/spaces/{space['id']}/occupancies", body, who)

    def occupied(self, *args, **kwargs) -> dict:
        response = self.occupy(*args, **kwargs)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()


@pytest.fixture
def sp(client, world):
    return Spaces(client, world)


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(model.id)))


# --- suites ----------------------------------------------------------------------------


def test_finance_creates_a_suite_and_sees_its_rent_escalated_each_year(sp):
    space = sp.suite()
    assert (space["name"], space["square_feet"], space["base_rent_cents"], space["escalation_percent"]) == (
        "Suite 200", 2500, 1000000, "3.0000")
    assert space["occupancies"] == [] and space["created_by"] == "mso_finance@example.test"
    # December 2026 is the suite's second year: 1,000,000 x 1.03 = 1,030,000, all vacant
    assert (space["month"], space["rent_cents"]) == ("2026-12", 1030000)
    assert space["split"]["shares"] == [] and space["split"]["vacant_share_cents"] == 1030000
    # its third year: 1,000,000 x 1.03^2 = 1,060,900 (from the base, never from a rounded rent)
    assert sp.get(f"/leasing/spaces/{space['id']}?month=2027-01")["split"]["rent_cents"] == 1060900
    assert sp.get(f"/leasing/spaces/{space['id']}?month=2025-12")["rent_cents"] == 1000000
    by_admin = sp.post("/leasing/spaces", {**{k: v for k, v in SUITE.items() if k != "escalation_percent"},
                                           "name": "Suite 300"}, who="mso_admin")
    assert by_admin.status_code == 201 and by_admin.get_json()["escalation_percent"] == "0.0000"
    assert [s["name"] for s in sp.get("/leasing/spaces", "mso_procurement")] == ["Suite 200", "Suite 300"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "space.create")).first()
    assert event.details["base_rent_cents"] == 1000000


@pytest.mark.parametrize("who", ["practice_admin", "mso_procurement", "vendor_admin"])
def test_only_finance_and_admins_create_suites(sp, who):
    assert_error(sp.post("/leasing/spaces", SUITE, who=who), 403)
    assert count(Space) == 0


@pytest.mark.parametrize("changes, field", [
    ({"square_feet": 0}, "square_feet"),
    ({"base_rent_cents": 0}, "base_rent_cents"),
    ({"escalation_percent": "101"}, "escalation_percent"),
    ({"escalation_percent": "-1"}, "escalation_percent"),
    ({"name": ""}, "name"),
    ({"starts_on": "2025-13-01"}, "starts_on"),
])
def test_a_bad_suite_is_refused_at_its_field(sp, changes, field):
    body = assert_error(sp.post("/leasing/spaces", {**SUITE, **changes}), 422)
    assert field in body["errors"]["json"], body
    assert count(Space) == 0


def test_a_bad_month_is_refused(sp):
    space = sp.suite()
    response = sp.client.get(f"/api/v1/leasing/spaces/{space['id']}?month=2027-13", headers=sp.world.headers["mso_finance"])
    assert_error(response, 422)


# --- who sees what ----------------------------------------------------------------------------


def test_a_practice_sees_only_the_suites_it_occupies_and_only_its_own_part(sp, world):
    shared = sp.suite()
    sp.occupied(shared, world.practice, 1200)
    sp.occupied(shared, world.other_practice, 800)
    theirs = sp.suite(name="Suite 300")
    sp.occupied(theirs, world.other_practice, 500)
    empty = sp.suite(name="Suite 400")
    # an occupancy that ended still shows the suite (the practice occupied it)
    past = sp.suite(name="Suite 100")
    sp.occupied(past, world.practice, 400, ends_on="2025-12-31")

    assert [s["name"] for s in sp.get("/leasing/spaces", "practice_buyer")] == ["Suite 100", "Suite 200"]
    assert [s["name"] for s in sp.get("/leasing/spaces", "other_practice_admin")] == ["Suite 200", "Suite 300"]
    assert len(sp.get("/leasing/spaces", "mso_procurement")) == 4

    response = sp.client.get(f"/api/v1/leasing/spaces/{shared['id']}?month=2027-01",
                             headers=world.headers["practice_admin"])
    assert response.status_code == 200
    mine = response.get_json()
    assert [(o["practice_id"], o["square_feet"]) for o in mine["occupancies"]] == [(world.practice.id, 1200)]
    split = mine["split"]
    assert (split["rent_cents"], split["square_feet"]) == (1060900, 2500)  # the suite's totals
    assert [(s["practice_name"], s["share_cents"]) for s in split["shares"]] == [("Lakeside", 509232)]
    assert (split["vacant_share_cents"], split["vacant_square_foot_days"], split["billed_cents"]) == (None, None, None)
    assert world.other_practice.name not in response.get_data(as_text=True)
    assert "339488" not in response.get_data(as_text=True)  # nor the other practice's share

    for who in ("practice_admin", "vendor_admin"):
        assert_error(sp.client.get(f"/api/v1/leasing/spaces/{theirs['id']}", headers=world.headers[who]), 404)
        assert_error(sp.client.get(f"/api/v1/leasing/spaces/{empty['id']}", headers=world.headers[who]), 404)
    assert_error(sp.client.get("/api/v1/leasing/spaces/999999", headers=world.headers["mso_finance"]), 404)
    assert_error(sp.client.get("/api/v1/leasing/spaces", headers=world.headers["vendor_admin"]), 403)
    # MSO staff see every practice's share and the vacancy
    everyone = sp.get(f"/leasing/spaces/{shared['id']}?month=2027-01", "mso_procurement")["split"]
    assert [s["practice_name"] for s in everyone["shares"]] == ["Lakeside", "Riverbend"]


# --- occupancies ------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, status, field, contains", [
    ({"square_feet": 0}, 422, "square_feet", None),
    ({"square_feet": -5}, 422, "square_feet", None),
    ({"square_feet": 2501}, 422, "square_feet", "2,501 sq ft is more than the suite's 2,500"),
    ({"starts_on": "2024-12-31"}, 422, "starts_on", "before the suite's start on Jan 1, 2025"),
    ({"starts_on": "2027-03-01", "ends_on": "2027-02-28"}, 422, "ends_on", "before the first day, Mar 1, 2027"),
    ({"practice_id": 999999}, 422, "practice_id", "no such practice: choose one from the list"),
])
def test_a_bad_occupancy_is_refused_at_its_field_and_writes_nothing(sp, world, changes, status, field, contains):
    space = sp.suite()
    body = {"practice_id": world.practice.id, "square_feet": 1200, "starts_on": "2027-01-01", **changes}
    answer = assert_error(sp.post(f"/leasing/spaces/{space['id']}/occupancies", body), status, contains=contains)
    assert field in answer["errors"]["json"], answer
    assert count(Occupancy) == 0


def test_occupancies_never_hold_more_than_the_suite_on_any_day(sp, world):
    space = sp.suite()
    a, b = world.practice, world.other_practice
    sp.occupied(space, a, 1500, "2027-01-01", "2027-06-30")
    sp.occupied(space, b, 1000, "2027-07-01")
    # 1,500 + 1,000 = 2,500 on July 1: full, not over
    c = sp.occupied(space, a, 1500, "2027-07-01")
    assert c["square_feet"] == 1500
    # 1 sq ft more on any day of the period is refused, with the numbers
    third = PracticeFactory(name="Hillcrest")
    body = assert_error(sp.occupy(space, third, 1, "2027-06-15", "2027-07-01"), 409,
                        contains="Suite 200 has 2,500 sq ft: on Jul 1, 2027 2,500 are occupied, so 1 more would make 2,501")
    assert "square_feet" in body["errors"]["json"]
    assert count(Occupancy) == 3
    # before July there was room: 1,000 sq ft in June fit beside the 1,500
    assert sp.occupy(space, third, 1000, "2027-06-01", "2027-06-30").status_code == 201


def test_a_later_occupancy_can_be_full_the_day_an_earlier_one_ends(sp, world):
    space = sp.suite()
    sp.occupied(space, world.practice, 2000, "2027-01-01", "2027-03-31")
    assert_error(sp.occupy(space, world.other_practice, 1000, "2027-03-31"), 409,
                 contains="on Mar 31, 2027 2,000 are occupied, so 1,000 more would make 3,000 (at most 500 are free)")
    assert sp.occupy(space, world.other_practice, 2500, "2027-04-01").status_code == 201


def test_one_practices_occupancies_of_a_suite_never_overlap(sp, world):
    space = sp.suite()
    first = sp.occupied(space, world.practice, 1000, "2027-01-01", "2027-06-30")
    assert_error(sp.occupy(space, world.practice, 200, "2027-06-30"), 409,
                 contains=f"{world.practice.name} already occupies Suite 200 from Jan 1, 2027 to Jun 30, 2027 "
                          f"(occupancy {first['id']})")
    assert_error(sp.occupy(space, world.practice, 200, "2026-01-01"), 409, contains="never overlap")  # open-ended
    assert count(Occupancy) == 1
    # the day after it ends, and another practice the same days: both fine
    assert sp.occupy(space, world.practice, 1200, "2027-07-01").status_code == 201
    assert sp.occupy(space, world.other_practice, 200, "2027-03-01", "2027-04-30").status_code == 201


def test_who_may_add_and_end_occupancies(sp, world):
    space = sp.suite()
    mine = sp.occupied(space, world.practice, 1000)
    # the occupying practice sees the suite but may not act: 403; another practice: 404
    assert_error(sp.occupy(space, world.practice, 100, "2027-01-01", who="practice_admin"), 403)
    assert_error(sp.occupy(space, world.other_practice, 100, who="other_practice_admin"), 404)
    assert_error(sp.occupy(space, world.practice, 100, "2027-01-01", who="mso_procurement"), 403)
    assert_error(sp.post("/leasing/spaces/999999/occupancies",
                         {"practice_id": world.practice.id, "square_feet": 1, "starts_on": "2027-01-01"}), 404)
    end = f"/leasing/occupancies/{mine['id']}/end"
    assert_error(sp.post(end, {"ends_on": "2027-01-31"}, who="practice_admin"), 403)
    assert_error(sp.post(end, {"ends_on": "2027-01-31"}, who="other_practice_admin"), 404)
    assert_error(sp.post(end, {"ends_on": "2027-01-31"}, who="mso_procurement"), 403)
    assert_error(sp.post("/leasing/occupancies/999999/end", {"ends_on": "2027-01-31"}), 404)
    db.session.expire_all()
    assert db.session.get(Occupancy, mine["id"]).ends_on is None and count(Occupancy) == 1


def test_ending_an_occupancy_frees_its_square_feet(sp, world):
    space = sp.suite()
    occupancy = sp.occupied(space, world.practice, 2000)
    assert_error(sp.occupy(space, world.other_practice, 1000, "2027-02-01"), 409)
    end = f"/leasing/occupancies/{occupancy['id']}/end"
    assert_error(sp.post(end, {"ends_on": "2024-12-31"}), 422, contains="before the occupancy's start on Jan 1, 2025")
    assert_error(sp.post(end, {}), 422)
    response = sp.post(end, {"ends_on": "2027-01-31"})
    assert response.status_code == 200 and response.get_json()["ends_on"] == "2027-01-31"
    assert_error(sp.post(end, {"ends_on": "2027-03-31"}), 409, contains="already ends on Jan 31, 2027")
    assert sp.post(end, {"ends_on": "2027-01-15"}).status_code == 200  # earlier still: fine
    assert sp.occupy(space, world.other_practice, 1000, "2027-02-01").status_code == 201
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "occupancy.end")) == 2


# --- the monthly run -------------------------------------------------------------------------


def lease_invoices() -> list[Invoice]:
    db.session.commit()
    db.session.expire_all()
    return db.session.scalars(select(Invoice).where(Invoice.kind == "lease").order_by(Invoice.practice_id)).all()


def run_month(sp, run_jobs, month: str) -> dict:
    # A lease run bills a month that has begun: a later month's runs as on its first day.
    ahead = max(month_bounds(month)[0] - utcnow().date(), dt.timedelta(0))
    with clock_shifted(ahead):
        response = sp.post("/billing-runs", {"kind": "lease", "month": month})
        assert response.status_code == 202, response.get_data(as_text=True)
        run = response.get_json()
        assert run_jobs(run["job_id"]).status == "finished"
    return run


def test_the_lease_run_bills_each_practices_share_in_exact_cents_and_never_the_vacancy(sp, world, run_jobs):
    """Issue 18's exact cents: $10,000.00 a month from 2025-01-01, 3% a year; January
    2027 is the third year: 1,000,000 x 1.03^2 = 1,060,900 cents. 2,500 sq ft: Lakeside
    1,200, Riverbend 800, 500 vacant, all 31 days (weights 37,200 / 24,800 / 15,500 of
    77,500 square-foot-days). Largest remainder: 1,060,900 x 1,200 / 2,500 = 509,232.00,
    x 800 / 2,500 = 339,488.00, x 500 / 2,500 = 212,180.00: no remainder, no cent left
    over. The practices are invoiced 509,232 + 339,488 = 848,720 = 1,060,900 - 212,180."""
    space = sp.suite()
    sp.occupied(space, world.practice, 1200)
    sp.occupied(space, world.other_practice, 800)
    split = sp.get(f"/leasing/spaces/{space['id']}?month=2027-01")["split"]
    assert [(s["practice_id"], s["square_feet"], s["days"], s["square_foot_days"], s["share_cents"])
            for s in split["shares"]] == [(world.practice.id, 1200, 31, 37200, 509232),
                                          (world.other_practice.id, 800, 31, 24800, 339488)]
    assert (split["vacant_square_foot_days"], split["vacant_share_cents"], split["billed_cents"]) == (15500, 212180, 848720)

    run = run_month(sp, run_jobs, "2027-01")
    a, b = lease_invoices()
    assert (a.practice_id, a.subtotal_cents, a.status) == (world.practice.id, 509232, "draft")
    assert (b.practice_id, b.subtotal_cents) == (world.other_practice.id, 339488)
    assert a.source_key == f"lease-run:space:{space['id']}:2027-01:practice:{world.practice.id}"
    assert (a.period_start, a.period_end) == (dt.date(2027, 1, 1), dt.date(2027, 1, 31))
    assert [(line.kind, line.amount_cents, line.description) for line in a.lines] == [
        ("space_rent", 509232, "Suite 200, 1 Medical Plaza: 1,200 of 2,500 sq ft, January 2027")]
    assert a.subtotal_cents + b.subtotal_cents == 1060900 - 212180
    shown = sp.get(f"/leasing/spaces/{space['id']}?month=2027-01")["split"]
    assert [s["invoice_id"] for s in shown["shares"]] == [a.id, b.id]

    # the month run twice creates nothing: the same run, its job again, the use case again
    assert run_month(sp, run_jobs, "2027-01")["id"] == run["id"]
    from gpo.leasing.spaces import bill_spaces

    assert bill_spaces(*month_bounds("2027-01")) == 0
    assert len(lease_invoices()) == 2
    got = sp.get(f"/billing-runs/{run['id']}")
    assert (got["status"], got["invoice_count"]) == ("finished", 2)


def test_a_practice_moving_in_mid_month_pays_for_its_days(sp, world, run_jobs):
    """Riverbend moves in on January 17th: 800 sq ft x 15 days = 12,000 square-foot-days;
    Lakeside 1,200 x 31 = 37,200; vacant 77,500 - 49,200 = 28,300. Of 1,060,900:
    x 37,200 / 77,500 = 509,232.000 -> 509,232; x 12,000 / 77,500 = 164,268.387 ->
    164,268; x 28,300 / 77,500 = 387,399.613 -> 387,399. One cent is left: the largest
    remainder (.613) is the vacancy's: 387,400, the MSO's own. Billed: 673,500."""
    space = sp.suite()
    sp.occupied(space, world.practice, 1200)
    sp.occupied(space, world.other_practice, 800, "2027-01-17")
    SpaceFactory(starts_on=dt.date(2027, 2, 1))  # starts after the month: not billed
    run_month(sp, run_jobs, "2027-01")
    a, b = lease_invoices()
    assert (a.subtotal_cents, b.subtotal_cents) == (509232, 164268)
    assert [line.description for line in b.lines] == [
        "Suite 200, 1 Medical Plaza: 800 of 2,500 sq ft, 15 of 31 days of January 2027"]
    split = sp.get(f"/leasing/spaces/{space['id']}?month=2027-01")["split"]
    assert (split["vacant_share_cents"], split["billed_cents"]) == (387400, 673500)


def test_a_practice_with_two_occupancies_in_a_month_gets_one_invoice_with_a_line_each(sp, world, run_jobs):
    """Lakeside holds 1,000 sq ft to January 10th, then 1,500: 10,000 + 31,500 = 41,500
    square-foot-days of 77,500: 1,060,900 x 41,500 / 77,500 = 568,095.48 -> 568,095,
    and the vacancy 36,000 -> 492,804.51 -> 492,805 (the cent left over, .52 > .48).
    Its lines split 568,095 by 10,000 / 31,500: 136,890.36 -> 136,890 and 431,204.63
    -> 431,205."""
    space = sp.suite()
    sp.occupied(space, world.practice, 1000, "2025-01-01", "2027-01-10")
    sp.occupied(space, world.practice, 1500, "2027-01-11")
    run_month(sp, run_jobs, "2027-01")
    (a,) = lease_invoices()
    assert a.subtotal_cents == 568095
    assert [(line.amount_cents, line.description) for line in a.lines] == [
        (136890, "Suite 200, 1 Medical Plaza: 1,000 of 2,500 sq ft, 10 of 31 days of January 2027"),
        (431205, "Suite 200, 1 Medical Plaza: 1,500 of 2,500 sq ft, 21 of 31 days of January 2027")]
    split = sp.get(f"/leasing/spaces/{space['id']}?month=2027-01")["split"]
    assert [(s["square_feet"], s["days"]) for s in split["shares"]] == [(1500, 31)]
    assert split["vacant_share_cents"] == 492805


def test_a_vacant_suite_bills_nobody(sp, world, run_jobs):
    space = SpaceFactory()
    OccupancyFactory(space=space, practice_id=world.practice.id, ends_on=dt.date(2026, 11, 30))
    run_month(sp, run_jobs, "2026-12")
    assert lease_invoices() == []
