"""Staffing rules with hand-computed figures: worked minutes, labor cents with the
short-notice premium (one half-up rounding), availability in the pool's time zone."""
import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from gpo.staffing import rules
from gpo.staffing.rules import Span, Window

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.timezone.utc


def at(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_worked_minutes_are_end_minus_start_minus_break():
    assert rules.worked_minutes(at("2027-01-12T14:05:00Z"), at("2027-01-12T22:00:00Z"), 30) == 445
    assert rules.worked_minutes(at("2027-01-12T14:00:00Z"), at("2027-01-12T14:00:59Z"), 0) == 0  # seconds dropped


def test_labor_cents_round_once_with_the_premium_inside():
    # 445 min x $32.50/h = 24,104.1666... -> 24,104; with +25%: 30,130.2083... -> 30,130
    assert rules.labor_cents(445, 3250, D(0)) == 24104
    assert rules.labor_cents(445, 3250, D(25)) == 30130
    # rounding each step would give 24,104 x 1.25 = 30,130 here but not in general:
    # 7 min x $0.30/h = 3.5 -> 4 (half-up, never to even); with 25%: 4.375 -> 4
    assert rules.labor_cents(7, 30, D(0)) == 4
    assert rules.labor_cents(7, 30, D(25)) == 4
    assert rules.labor_cents(60, 4199, D("12.5")) == 4724  # 4,723.875 -> 4,724


MONDAY = [Window(0, 8 * 60, 17 * 60)]


def test_a_shift_must_lie_inside_a_weekly_window_in_local_time():
    # Monday 2027-01-11, Chicago is UTC-6: 08:00-17:00 local is 14:00-23:00 UTC
    assert rules.is_available(MONDAY, [], [], at("2027-01-11T14:00:00Z"), at("2027-01-11T22:00:00Z"), CHICAGO)
    assert rules.is_available(MONDAY, [], [], at("2027-01-11T14:00:00Z"), at("2027-01-11T23:00:00Z"), CHICAGO)
    assert not rules.is_available(MONDAY, [], [], at("2027-01-11T14:00:00Z"), at("2027-01-11T23:30:00Z"), CHICAGO)
    assert not rules.is_available(MONDAY, [], [], at("2027-01-11T13:59:00Z"), at("2027-01-11T20:00:00Z"), CHICAGO)
    assert not rules.is_available(MONDAY, [], [], at("2027-01-12T14:00:00Z"), at("2027-01-12T22:00:00Z"), CHICAGO)  # Tuesday
    # in July Chicago is UTC-5: 08:00 local is 13:00 UTC
    assert rules.is_available(MONDAY, [], [], at("2027-07-12T13:00:00Z"), at("2027-07-12T21:00:00Z"), CHICAGO)
    assert not rules.is_available(MONDAY, [], [], at("2027-07-12T13:00:00Z"), at("2027-07-12T22:30:00Z"), CHICAGO)
    # a window to midnight
    late = [Window(4, 16 * 60, 1440)]
    assert rules.is_available(late, [], [], at("2027-01-15T22:00:00Z"), at("2027-01-16T06:00:00Z"), CHICAGO)


def test_leave_wins_and_dated_availability_adds_days():
    leave = [Span(at("2027-01-11T00:00:00Z"), at("2027-01-11T15:00:00Z"))]
    assert not rules.is_available(MONDAY, [], leave, at("2027-01-11T14:00:00Z"), at("2027-01-11T22:00:00Z"), CHICAGO)
    assert rules.is_available(MONDAY, [], leave, at("2027-01-11T15:00:00Z"), at("2027-01-11T22:00:00Z"), CHICAGO)
    saturday = [Span(at("2027-01-16T14:00:00Z"), at("2027-01-16T20:00:00Z"))]
    assert rules.is_available(MONDAY, saturday, [], at("2027-01-16T14:00:00Z"), at("2027-01-16T20:00:00Z"), CHICAGO)
    assert not rules.is_available(MONDAY, saturday, [], at("2027-01-16T14:00:00Z"), at("2027-01-16T20:01:00Z"), CHICAGO)


def test_a_month_runs_from_local_midnight_to_local_midnight():
    span = rules.month_span("2027-01", CHICAGO)
    assert span.starts_at.astimezone(UTC) == at("2027-01-01T06:00:00Z")
    assert span.ends_at.astimezone(UTC) == at("2027-02-01T06:00:00Z")
    assert rules.month_span("2027-12", CHICAGO).ends_at.astimezone(UTC) == at("2028-01-01T06:00:00Z")
    assert rules.month_span("2027-07", UTC).starts_at == at("2027-07-01T00:00:00Z")


# --- the monthly cost run ----------------------------------------------------------------


def shift(practice, staff_id, minutes, short_notice=False, name="Dana Reyes", cents=3250, role="billing_specialist"):
    return rules.WorkedShift(practice_id=practice, staff_id=staff_id, name=name, role=role, hourly_cost_cents=cents,
                             minutes=minutes, short_notice=short_notice)


def test_practice_costs_round_each_timesheet_once_and_keep_people_in_order():
    costs = rules.practice_costs([
        shift(7, 1, 445),  # 24,104.1666... -> 24,104
        shift(7, 1, 480, short_notice=True),  # 26,000 x 1.25 = 32,500
        shift(7, 2, 420, name="Eli Park", cents=3000),  # 21,000
        shift(9, 2, 7, name="Eli Park", cents=30),  # 3.5 -> 4
    ], D(25))
    assert sorted(costs) == [7, 9]
    a = costs[7]
    assert (a.minutes, a.labor_cents) == (445 + 480 + 420, 24104 + 32500 + 21000)
    assert [(key, p.minutes, p.cents, p.short_notice) for key, p in a.people.items()] == [
        ((1, "billing_specialist", 3250), 925, 56604, 1), ((2, "billing_specialist", 3000), 420, 21000, 0)]
    assert (costs[9].minutes, costs[9].labor_cents) == (7, 4)


def test_the_overhead_is_shared_by_approved_minutes_and_adds_up():
    costs = rules.practice_costs([shift(9, 1, 420), shift(3, 1, 805)], D(0))
    # 100,000 x 805/1225 = 65,714.29 and x 420/1225 = 34,285.71: the cent left goes to the larger remainder
    assert rules.overhead_shares(100000, costs) == [(3, 65714), (9, 34286)]
    assert rules.overhead_shares(0, costs) == [(3, 0), (9, 0)]
    assert rules.overhead_shares(500, {}) == []


def test_invoice_lines_name_the_hours_the_rate_and_the_premium():
    costs = rules.practice_costs([shift(3, 1, 445), shift(3, 1, 480, short_notice=True)], D(25))
    lines = rules.invoice_lines(costs[3], 1234, premium_percent=D("25.00"), month_label="January 2027",
                                overhead_cents=5000)
    assert lines == [
        {"kind": "staffing", "description": "Dana Reyes (billing_specialist), 15 h 25 min at $32.50/h, "
                                            "1 short-notice shift(s) +25%",
         "quantity": D("15.4167"), "unit_price": D("32.5"), "amount_cents": 24104 + 32500},
        {"kind": "overhead", "description": "Pool overhead, January 2027: your share by approved hours "
                                            "(925 of the pool's minutes) of $50.00", "amount_cents": 1234},
    ]
    assert [line["kind"] for line in rules.invoice_lines(costs[3], 0, premium_percent=D(25), month_label="x",
                                                          overhead_cents=0)] == ["staffing"]
