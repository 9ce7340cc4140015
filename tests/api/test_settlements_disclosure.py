"""Fees received in the admin-fee disclosure: the fees netted from settlements and the
remittances finance records, per (cycle, contract), shared among the practices with
the same weights and keys as the fees owed. And the remittances' own API.

Sales after the close: Lakeside 60 boxes = 107,946 cents, Riverbend 50 = 89,955
(197,901 in all); weights 107,946 : 89,955, keys the practice ids (Lakeside first)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.payables.models import AdminFeeRemittance, SettlementDeduction
from tests.factories import CycleFactory
from tests.helpers import assert_error
from tests.scenarios import YEAR
from tests.settling import TODAY, nets_its_fee, run_directly, shipped_and_received, vendor_invoice


def _disclosure(scenario, who="mso_finance", **query):
    args = "&".join(f"{k}={v}" for k, v in {"year": YEAR, **query}.items())
    response = scenario.client.get(f"/api/v1/reports/admin-fee-disclosure?{args}", headers=scenario.world.headers[who])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _by_practice(report) -> dict:
    return {r["practice_name"]: (r["admin_fee_cents"], r["admin_fee_received_cents"]) for r in report["rows"]}


def test_the_disclosures_fees_received_equal_the_settlements_deductions(after_close):
    shipped_and_received(after_close)
    nets_its_fee(after_close, "2.5")
    vendor_invoice(after_close, "INV-1", [(after_close.line(after_close.world.location), 60)], freight_cents=1250)
    vendor_invoice(after_close, "INV-2", [(after_close.line(after_close.other_location), 40)])
    assert _disclosure(after_close)["admin_fee_received_cents"] == 0  # nothing settled yet
    run_directly()
    # netted: round_half_up(107,946 * 2.5%) = 2,699 and round_half_up(71,964 * 2.5%) = 1,799
    deducted = db.session.scalar(select(func.sum(SettlementDeduction.amount_cents)))
    assert deducted == 4498
    report = _disclosure(after_close)
    assert report["admin_fee_received_cents"] == deducted
    # owed: round_half_up(197,901 * 2.5%) = 4,948 -> 2,698.91 / 2,249.09 -> 2,699 / 2,249;
    # received 4,498 -> 2,453.45 / 2,044.55 -> floors 2,453 + 2,044, the cent left to Riverbend
    assert report["admin_fee_cents"] == 4948
    assert _by_practice(report) == {"Lakeside": (2699, 2453), "Riverbend": (2249, 2045)}
    [contract] = report["rows"][0]["contracts"]
    assert contract["admin_fee_settlement"] == "netted" and contract["admin_fee_received_cents"] == 2453
    # a practice reads its own share
    mine = _disclosure(after_close, who="practice_admin")
    assert [(r["admin_fee_cents"], r["admin_fee_received_cents"]) for r in mine["rows"]] == [(2699, 2453)]


def test_remittances_are_fees_received_shared_like_the_fees_owed(after_close):
    cycle_id = after_close.po.cycle_id
    body = {"vendor_id": after_close.world.vendor.id, "contract_id": after_close.contract.id, "cycle_id": cycle_id,
            "amount_cents": 3000, "received_on": str(TODAY), "reference": "WIRE-1"}
    response = after_close.post("/admin-fee-remittances", body, who="mso_finance")
    assert response.status_code == 201, response.get_data(as_text=True)
    made = response.get_json()
    assert (made["amount_cents"], made["reference"], made["vendor_name"], made["contract_title"]) == (
        3000, "WIRE-1", "Acme", after_close.contract.title)
    # owed at 2%: round_half_up(3,958.02) = 3,958 -> 2,159 / 1,799; received 3,000 -> 1,636.36 / 1,363.64 -> 1,636 / 1,364
    report = _disclosure(after_close)
    assert (report["admin_fee_cents"], report["admin_fee_received_cents"]) == (3958, 3000)
    assert _by_practice(report) == {"Lakeside": (2159, 1636), "Riverbend": (1799, 1364)}
    second = after_close.post("/admin-fee-remittances", {**body, "amount_cents": 958, "reference": "WIRE-2"},
                              who="mso_finance")
    assert second.status_code == 201
    assert _by_practice(_disclosure(after_close)) == {"Lakeside": (2159, 2159), "Riverbend": (1799, 1799)}


def test_the_disclosure_csv_has_fees_received(after_close):
    after_close.post("/admin-fee-remittances", {
        "vendor_id": after_close.world.vendor.id, "contract_id": after_close.contract.id,
        "cycle_id": after_close.po.cycle_id, "amount_cents": 3000, "received_on": str(TODAY), "reference": "W"},
        who="mso_finance")
    response = after_close.client.get(f"/api/v1/reports/admin-fee-disclosure?year={YEAR}",
                                      headers={**after_close.world.headers["mso_finance"], "Accept": "text/csv"})
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].endswith(",admin_fee_cents,admin_fee_received_cents")
    assert sorted(line.rsplit(",", 2)[1:] for line in lines[1:]) == [["1799", "1364"], ["2159", "1636"]]


def _remittance(scenario, who="mso_finance", **changes):
    body = {"vendor_id": scenario.world.vendor.id, "contract_id": scenario.contract.id, "cycle_id": scenario.po.cycle_id,
            "amount_cents": 100, "received_on": str(TODAY), "reference": "REF-1", **changes}
    return scenario.post("/admin-fee-remittances", body, who=who)


@pytest.mark.parametrize("change, field", [
    ({"amount_cents": 0}, "amount_cents"), ({"amount_cents": -5}, "amount_cents"), ({"amount_cents": "1.5"}, "amount_cents"),
    ({"received_on": str(TODAY + dt.timedelta(days=1))}, "received_on"), ({"received_on": "2027-13-01"}, "received_on"),
    ({"reference": ""}, "reference"), ({"vendor_id": 999999}, "vendor_id"), ({"contract_id": 999999}, "contract_id"),
    ({"cycle_id": 999999}, "cycle_id"),
])
def test_bad_remittances_are_422_and_write_nothing(after_close, change, field):
    assert field in assert_error(_remittance(after_close, **change), 422)["errors"]["json"]
    assert db.session.scalar(select(func.count(AdminFeeRemittance.id))) == 0


def test_remittances_the_rules_refuse(after_close):
    world = after_close.world
    assert_error(_remittance(after_close, vendor_id=world.other_vendor.id), 422, contains="is not a contract of vendor")
    open_cycle = CycleFactory(status="scheduled", name="Later")
    db.session.commit()
    assert_error(_remittance(after_close, cycle_id=open_cycle.id), 422, contains="is not a closed cycle")
    nets_its_fee(after_close)
    assert_error(_remittance(after_close), 422, contains="netted from its settlements")
    assert db.session.scalar(select(func.count(AdminFeeRemittance.id))) == 0


def test_a_reference_is_recorded_once_per_vendor(after_close):
    assert _remittance(after_close).status_code == 201
    assert_error(_remittance(after_close, amount_cents=200), 409, contains="already recorded")
    assert db.session.scalar(select(func.count(AdminFeeRemittance.id))) == 1


def test_who_records_and_reads_remittances(after_close):
    assert _remittance(after_close).status_code == 201
    client, world = after_close.client, after_close.world
    for who in ("vendor_admin", "mso_procurement", "practice_admin", "vendor_key"):
        assert_error(_remittance(after_close, reference=f"R-{who}", who=who), 403)
    for who, count in (("mso_finance", 1), ("mso_admin", 1), ("vendor_admin", 1), ("other_vendor_admin", 0)):
        listed = client.get("/api/v1/admin-fee-remittances", headers=world.headers[who])
        assert listed.status_code == 200 and len(listed.get_json()) == count, who
    for who in ("mso_procurement", "practice_admin", "vendor_key"):
        assert_error(client.get("/api/v1/admin-fee-remittances", headers=world.headers[who]), 403)
    assert client.get(f"/api/v1/admin-fee-remittances?cycle_id={after_close.po.cycle_id}",
                      headers=world.headers["mso_finance"]).get_json()[0]["reference"] == "REF-1"
