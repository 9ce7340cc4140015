"""Dates and times anywhere in the API (query strings and bodies) lie between
1900-01-01 and 2999-12-31: a far date is a 422 naming the range, never a 500 from
adding a day to 9999-12-31."""
import pytest

from tests.helpers import assert_error

RANGE = "between 1900-01-01 and 2999-12-31"


def _query_cases(world):
    vendor = world.vendor.id
    return [
        ("vendor_key", f"/api/v1/vendors/{vendor}/statements?from=2026-01-01&to=9999-12-31", "to"),
        ("vendor_key", f"/api/v1/vendors/{vendor}/statements?from=0001-01-01&to=2026-12-31", "from"),
        ("practice_buyer", "/api/v1/reports/savings?from=2026-01-01&to=9999-12-31", "to"),
        ("mso_finance", "/api/v1/reports/savings?from=0001-01-01&to=2026-01-01", "from"),
        ("practice_admin", "/api/v1/staffing/shift-requests?to=9999-12-31T23:59:59-05:00", "to"),
        ("practice_admin", "/api/v1/staffing/shift-requests?from=0001-01-01T00:00:00%2B05:00", "from"),
        ("mso_admin", "/api/v1/audit-events?until=9999-12-31T23:59:59-05:00", "until"),
        ("mso_admin", "/api/v1/audit-events?since=0001-01-01T00:00:00%2B05:00", "since"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_far_dates_in_a_query_are_422(client, world, case):
    who, url, field = _query_cases(world)[case]
    body = assert_error(client.get(url, headers=world.headers[who]), 422, contains=RANGE)
    assert field in body["errors"]["query"], body


@pytest.mark.parametrize("year", ["9999", "0", "-1", "99999999999999999999", "\u0662\u0660\u0662\u0666", "2026.5"])
def test_a_disclosure_year_out_of_range_or_not_a_year_is_422(client, world, year):
    assert_error(client.get(f"/api/v1/reports/admin-fee-disclosure?year={year}",
                            headers=world.headers["mso_finance"]), 422)


def test_far_dates_in_bodies_are_422_and_write_nothing(client, world):
    provider = {"first_name": "A", "last_name": "B", "npi": "1234567893", "specialty": "pediatrics",
                "active_from": "2026-01-01", "active_to": "9999-12-31"}
    body = assert_error(client.post(f"/api/v1/practices/{world.practice.id}/providers", json=provider,
                                    headers=world.headers["practice_admin"]), 422, contains=RANGE)
    assert "active_to" in body["errors"]["json"]
    listed = client.get(f"/api/v1/practices/{world.practice.id}/providers", headers=world.headers["practice_admin"])
    assert [p["npi"] for p in listed.get_json()] == [world.provider.npi]
    rebate = {"vendor_id": world.vendor.id, "period_start": "2026-01-01", "period_end": "9999-12-31",
              "amount_cents": 1000}
    assert_error(client.post("/api/v1/rebates", json=rebate, headers=world.headers["mso_finance"]), 422, contains=RANGE)
    shift = {"location_id": world.location.id, "role": "billing_specialist",
             "starts_at": "9999-12-31T20:00:00-05:00", "ends_at": "9999-12-31T23:00:00-05:00"}
    assert_error(client.post("/api/v1/staffing/shift-requests", json=shift, headers=world.headers["practice_admin"]),
                 422, contains=RANGE)


def test_dates_inside_the_range_still_work(client, world):
    response = client.get(f"/api/v1/vendors/{world.vendor.id}/statements?from=1900-01-01&to=2999-12-31",
                          headers=world.headers["vendor_key"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["rows"] == []
