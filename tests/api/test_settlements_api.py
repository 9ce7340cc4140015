"""Settlements over HTTP (API.md "After the close"): a run pays Acme its approved,
unsettled invoices less the admin fee netted, with the remittance advice in JSON and
CSV; marking it sent once; bad input refused with nothing written; who may read.

The cents, by hand: gloves at 17.9910 after the close.
  INV-1: Lakeside's 60 boxes = 1,079.46 -> 107,946 goods + 1,250 freight + 890 tax = 110,086
  INV-2: Riverbend's 40 boxes = 719.64 -> 71,964 goods, no freight or tax       =  71,964
  invoices 182,050; netted at 2.5%: round_half_up(2,698.65) = 2,699 and
  round_half_up(1,799.1) = 1,799, deductions 4,498; payable 182,050 - 4,498 = 177,552."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.jobs import Job
from gpo.payables.models import SettlementDeduction, VendorInvoice, VendorSettlement
from tests.helpers import assert_error
from tests.settling import TODAY, nets_its_fee, settle, shipped_and_received, vendor_invoice


@pytest.fixture
def invoiced(after_close):
    """Acme's two approved invoices, its contract netting a 2.5% admin fee."""
    shipped_and_received(after_close)
    nets_its_fee(after_close, "2.5")
    world = after_close.world
    after_close.inv1 = vendor_invoice(after_close, "INV-1", [(after_close.line(world.location), 60)], freight_cents=1250,
                                      tax={world.location.id: 890}, issued_on=TODAY - dt.timedelta(days=3))
    after_close.inv2 = vendor_invoice(after_close, "INV-2", [(after_close.line(after_close.other_location), 40)],
                                      issued_on=TODAY - dt.timedelta(days=1))
    return after_close


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _settled(invoiced, **body) -> dict:
    world = invoiced.world
    response = settle(invoiced.client, world, **body)
    assert response.status_code == 202, response.get_data(as_text=True)
    job = invoiced.run_jobs(response.get_json()["job_id"])
    assert job.status == "finished", job.error
    [settlement_id] = job.result["settlements"]
    return invoiced.client.get(f"/api/v1/vendor-settlements/{settlement_id}", headers=world.headers["mso_finance"]).get_json()


def test_a_settlement_pays_the_invoices_less_the_netted_fees_to_the_cent(invoiced):
    s = _settled(invoiced)
    assert (s["invoices_cents"], s["deductions_cents"], s["payable_cents"]) == (182050, 4498, 177552)
    assert s["status"] == "pending" and s["bank_reference"] is None and s["vendor_id"] == invoiced.world.vendor.id
    assert [(i["number"], i["goods_cents"], i["freight_cents"], i["tax_cents"], i["total_cents"]) for i in s["invoices"]] == [
        ("INV-1", 107946, 1250, 890, 110086), ("INV-2", 71964, 0, 0, 71964)]
    assert [(d["number"], d["goods_cents"], d["admin_fee_percent"], d["amount_cents"]) for d in s["deductions"]] == [
        ("INV-1", 107946, "2.5000", 2699), ("INV-2", 71964, "2.5000", 1799)]
    db.session.expire_all()
    assert {i.settlement_id for i in db.session.scalars(select(VendorInvoice))} == {s["id"]}


def test_a_remitted_contract_nets_nothing(after_close):
    shipped_and_received(after_close)
    vendor_invoice(after_close, "INV-1", [(after_close.line(), 60)], freight_cents=100)
    s = _settled(after_close)
    assert (s["invoices_cents"], s["deductions_cents"], s["payable_cents"]) == (108046, 0, 108046)
    assert s["deductions"] == []


def test_the_remittance_advice_as_csv_adds_up_to_the_payable(invoiced):
    s = _settled(invoiced)
    response = invoiced.client.get(f"/api/v1/vendor-settlements/{s['id']}",
                                   headers={**invoiced.world.headers["vendor_admin"], "Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["line"], r["invoice_number"], r["amount_cents"]) for r in rows] == [
        ("invoice", "INV-1", "110086"), ("invoice", "INV-2", "71964"),
        ("admin_fee_netted", "INV-1", "-2699"), ("admin_fee_netted", "INV-2", "-1799"), ("payable", "", "177552")]
    assert sum(int(r["amount_cents"]) for r in rows[:-1]) == int(rows[-1]["amount_cents"])
    assert rows[2]["admin_fee_percent"] == "2.5000" and rows[0]["freight_cents"] == "1250"


def test_a_settlement_through_a_date_pays_only_invoices_issued_by_then(invoiced):
    s = _settled(invoiced, **{"through": str(TODAY - dt.timedelta(days=2))})
    assert [i["number"] for i in s["invoices"]] == ["INV-1"]
    assert (s["invoices_cents"], s["deductions_cents"], s["payable_cents"]) == (110086, 2699, 107387)
    later = _settled(invoiced)  # the rest, through today
    assert [i["number"] for i in later["invoices"]] == ["INV-2"] and later["payable_cents"] == 71964 - 1799


def test_nothing_approved_to_settle_is_422_and_writes_nothing(after_close):
    shipped_and_received(after_close)
    vendor_invoice(after_close, "INV-P", [(after_close.line(), 10)], status="pending_receipt")
    vendor_invoice(after_close, "INV-L", [(after_close.line(), 10)], issued_on=TODAY)
    jobs = _count(Job)
    yesterday = TODAY - dt.timedelta(days=1)
    body = assert_error(settle(after_close.client, after_close.world, through=yesterday), 422,
                        contains=f"nothing approved to settle through {yesterday}")
    assert body["errors"]["json"]["through"]
    assert_error(settle(after_close.client, after_close.world, vendor_id=after_close.world.other_vendor.id), 422,
                 contains="nothing approved to settle through")
    assert _count(Job) == jobs and _count(VendorSettlement) == 0


def test_asking_again_for_a_settled_date_is_409_and_a_later_one_422(invoiced):
    _settled(invoiced)
    jobs = _count(Job)
    assert_error(settle(invoiced.client, invoiced.world), 422, contains="nothing approved to settle")
    vendor_invoice(invoiced, "INV-3", [(invoiced.line(invoiced.other_location), 10)])
    assert_error(settle(invoiced.client, invoiced.world), 409, contains="already settled through")
    assert _count(Job) == jobs and _count(VendorSettlement) == 1


@pytest.mark.parametrize("body, field", [
    ({}, "through"), ({"through": "2027-02-30"}, "through"), ({"through": "yesterday"}, "through"),
    ({"through": str(TODAY + dt.timedelta(days=1))}, "through"), ({"through": str(TODAY), "vendor_id": 0}, "vendor_id"),
    ({"through": str(TODAY), "vendor_id": 999999}, "vendor_id"), ({"through": str(TODAY), "extra": 1}, "extra"),
])
def test_bad_requests_are_422_and_write_nothing(invoiced, body, field):
    jobs = _count(Job)
    response = invoiced.client.post("/api/v1/vendor-settlements", json=body, headers=invoiced.world.headers["mso_finance"])
    assert field in assert_error(response, 422)["errors"]["json"]
    assert _count(Job) == jobs and _count(VendorSettlement) == 0


def test_mark_sent_once_then_409(invoiced):
    s = _settled(invoiced)
    url = f"/api/v1/vendor-settlements/{s['id']}/mark-sent"
    finance = invoiced.world.headers["mso_finance"]
    assert_error(invoiced.client.post(url, json={"bank_reference": ""}, headers=finance), 422)
    assert_error(invoiced.client.post(url, json={}, headers=finance), 422)
    sent = invoiced.client.post(url, json={"bank_reference": "ACH-0001"}, headers=finance)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    body = sent.get_json()
    assert body["status"] == "sent" and body["bank_reference"] == "ACH-0001" and body["sent_by"]
    assert_error(invoiced.client.post(url, json={"bank_reference": "ACH-0002"}, headers=finance), 409,
                 contains="already sent (bank reference ACH-0001)")
    db.session.expire_all()
    assert db.session.get(VendorSettlement, s["id"]).bank_reference == "ACH-0001"


def test_who_reads_and_lists_settlements(invoiced):
    s = _settled(invoiced)
    world, client = invoiced.world, invoiced.client
    for who in ("mso_finance", "mso_admin", "vendor_admin"):
        listed = client.get("/api/v1/vendor-settlements", headers=world.headers[who])
        assert listed.status_code == 200 and [r["id"] for r in listed.get_json()] == [s["id"]], who
    assert client.get("/api/v1/vendor-settlements", headers=world.headers["other_vendor_admin"]).get_json() == []
    assert client.get(f"/api/v1/vendor-settlements?vendor_id={world.vendor.id}&status=sent",
                      headers=world.headers["mso_finance"]).get_json() == []
    assert_error(client.get("/api/v1/vendor-settlements?status=paid", headers=world.headers["mso_finance"]), 422)
    for who in ("mso_procurement", "practice_admin", "vendor_key"):
        assert_error(client.get("/api/v1/vendor-settlements", headers=world.headers[who]), 403)
    assert_error(client.get(f"/api/v1/vendor-settlements/{s['id']}", headers=world.headers["other_vendor_admin"]), 404)
    assert_error(client.get(f"/api/v1/vendor-settlements/{s['id']}", headers=world.headers["practice_admin"]), 404)
    assert_error(settle(client, world, who="vendor_admin"), 403)
    assert_error(client.post(f"/api/v1/vendor-settlements/{s['id']}/mark-sent", json={"bank_reference": "X"},
                             headers=world.headers["vendor_admin"]), 403)


def test_the_netted_deductions_are_stored_per_invoice_and_contract(invoiced):
    s = _settled(invoiced)
    rows = db.session.execute(select(SettlementDeduction.vendor_invoice_id, SettlementDeduction.contract_id,
                                     SettlementDeduction.amount_cents).order_by(SettlementDeduction.vendor_invoice_id)).all()
    assert [tuple(r) for r in rows] == [(invoiced.inv1.id, invoiced.contract.id, 2699),
                                        (invoiced.inv2.id, invoiced.contract.id, 1799)]
    assert s["deductions_cents"] == sum(r.amount_cents for r in rows)
