"""The settlement pages without a browser: the console's settlements (run through a
date, the remittance advice and its CSV, mark sent), admin fees remitted, the vendor
scorecard; the portal's own settlements and scorecard. Who may act, why not, and
another organization's pages (404).

Cents as in tests/api/test_settlements_api.py: INV-1 110,086, INV-2 71,964; 2.5% netted
2,699 + 1,799; payable 177,552."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from gpo.db import db
from gpo.payables.models import AdminFeeRemittance, VendorSettlement
from tests.pages import text_of
from tests.settling import TODAY, nets_its_fee, run_directly, shipped_and_received, vendor_invoice


@pytest.fixture
def invoiced(after_close):
    shipped_and_received(after_close)
    nets_its_fee(after_close, "2.5")
    world = after_close.world
    vendor_invoice(after_close, "INV-1", [(after_close.line(world.location), 60)], freight_cents=1250,
                   tax={world.location.id: 890})
    vendor_invoice(after_close, "INV-2", [(after_close.line(after_close.other_location), 40)])
    return after_close


@pytest.fixture
def settled(invoiced):
    run_directly()
    invoiced.settlement = db.session.scalars(select(VendorSettlement)).one()
    return invoiced


def _html(response) -> str:
    return response.get_data(as_text=True)


def _error_at(html: str, field: str) -> str:
    import re

    found = re.search(rf'<p class="field-error" id="f-{field}-error">(.*?)</p>', html, re.S)
    return text_of(found.group(1)) if found else ""


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_finance_runs_a_settlement_from_the_list(pages, invoiced):
    page = pages.as_("mso_finance")
    listed = page.get("/console/settlements")
    assert listed.status_code == 200 and "No settlement yet" in text_of(_html(listed))
    response = page.post("/console/settlements", {"through": str(TODAY)})
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("job=", 1)[1])
    assert invoiced.run_jobs(job_id).status == "finished"
    text = text_of(_html(page.get(response.headers["Location"])))
    assert f"Settlement run (job {job_id}): finished" in text
    assert "The settlement run through" in text and "has started" in text
    assert "Acme" in text and "$1,820.50 $44.98 $1,775.52" in text
    assert page.get("/console/settlements?job=99999999").status_code == 200  # not a job of this user: not shown


def test_nothing_to_settle_is_shown_at_the_date_and_writes_nothing(pages, invoiced):
    page = pages.as_("mso_finance")
    yesterday = TODAY - dt.timedelta(days=1)
    response = page.post("/console/settlements", {"through": str(yesterday)})
    assert response.status_code == 422
    assert _error_at(_html(response), "through") == f"nothing approved to settle through {yesterday}"
    bad = page.post("/console/settlements", {"through": "someday"})
    assert bad.status_code == 422 and _error_at(_html(bad), "through")
    assert _count(VendorSettlement) == 0


def test_the_detail_shows_the_advice_its_csv_and_marks_sent(pages, settled):
    page = pages.as_("mso_finance")
    path = f"/console/settlements/{settled.settlement.id}"
    text = text_of(_html(page.get(path)))
    assert "Remittance advice" in text and "INV-1" in text and "INV-2" in text
    assert "Payable $1,775.52" in text and "−$26.99" in text and "−$17.99" in text
    rows = list(csv.DictReader(io.StringIO(_html(page.get(f"{path}.csv")))))
    assert rows[-1] == {**rows[-1], "line": "payable", "amount_cents": "177552"}
    blank = page.post(f"{path}/mark-sent", {"bank_reference": ""})
    assert blank.status_code == 422 and _error_at(_html(blank), "bank_reference")
    sent = page.post(f"{path}/mark-sent", {"bank_reference": "ACH-77"})
    assert sent.status_code == 302
    text = text_of(_html(page.get(path)))
    assert "Settlement #" in text and "is sent: $1,775.52 (bank reference ACH-77)" in text and "Mark sent" not in text
    again = page.post(f"{path}/mark-sent", {"bank_reference": "ACH-78"})
    assert again.status_code == 409 and "already sent" in text_of(_html(again))


def test_procurement_sees_why_it_cannot_and_other_faces_get_404(pages, settled):
    page = pages.as_("mso_procurement")
    for path in ("/console/settlements", f"/console/settlements/{settled.settlement.id}", "/console/admin-fee-remittances"):
        response = page.get(path)
        assert response.status_code == 403 and "Only MSO finance and MSO admins pay vendors" in text_of(_html(response))
    assert page.post("/console/settlements", {"through": str(TODAY)}).status_code == 403
    assert _count(VendorSettlement) == 1
    for who in ("practice_admin", "vendor_admin"):
        assert pages.as_(who).get("/console/settlements").status_code == 404
        assert pages.as_(who).get("/console/vendor-scorecard").status_code == 404
    assert pages.as_("mso_admin").get(f"/console/settlements/{settled.settlement.id}").status_code == 200


def test_finance_records_a_remittance_and_errors_show_at_the_field(pages, after_close):
    page = pages.as_("mso_finance")
    assert page.get("/console/admin-fee-remittances").status_code == 200
    form = {"vendor_id": after_close.world.vendor.id, "contract_id": after_close.contract.id,
            "cycle_id": after_close.po.cycle_id, "amount": "30.00", "received_on": str(TODAY), "reference": "WIRE-9"}
    bad = page.post("/console/admin-fee-remittances", {**form, "amount": "thirty"})
    assert bad.status_code == 422 and _error_at(_html(bad), "amount")
    future = page.post("/console/admin-fee-remittances", {**form, "received_on": str(TODAY + dt.timedelta(days=2))})
    assert future.status_code == 422 and "after today" in _error_at(_html(future), "received_on")
    assert _count(AdminFeeRemittance) == 0
    done = page.post("/console/admin-fee-remittances", form)
    assert done.status_code == 302
    text = text_of(_html(page.get("/console/admin-fee-remittances")))
    assert "Recorded: $30.00 received (reference WIRE-9)" in text and "WIRE-9" in text
    again = page.post("/console/admin-fee-remittances", form)
    assert again.status_code == 409 and "already recorded" in _error_at(_html(again), "reference")
    disclosure = text_of(_html(page.get(f"/console/disclosure?year={TODAY.year}")))
    assert "Admin fees received $30.00" in disclosure


def test_the_console_scorecard_for_any_mso_role_with_its_csv(pages, invoiced):
    page = pages.as_("mso_procurement")
    response = page.get("/console/vendor-scorecard")
    assert response.status_code == 200
    text = text_of(_html(response))
    assert "Acme" in text and "100% (110 of 110 units)" in text and "100% (2 of 2 lines)" in text
    rows = list(csv.DictReader(io.StringIO(_html(page.get("/console/vendor-scorecard.csv")))))
    assert [(r["vendor_name"], r["fill_rate_percent"]) for r in rows] == [("Acme", "100.0")]
    bad = page.get(f"/console/vendor-scorecard?from={TODAY}&to={TODAY - dt.timedelta(days=3)}")
    assert bad.status_code == 422 and _error_at(_html(bad), "to")


def test_the_portal_shows_the_vendors_own_settlements_and_their_csv(pages, settled):
    page = pages.as_("vendor_admin")
    text = text_of(_html(page.get("/portal/settlements")))
    assert "$1,820.50 $44.98 $1,775.52" in text
    path = f"/portal/settlements/{settled.settlement.id}"
    detail = text_of(_html(page.get(path)))
    assert "Remittance advice" in detail and "Mark sent" not in detail
    download = page.get(f"{path}.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    other = pages.as_("other_vendor_admin")
    assert "No settlement yet" in text_of(_html(other.get("/portal/settlements")))
    assert other.get(path).status_code == 404 and other.get(f"{path}.csv").status_code == 404
    assert pages.as_("mso_finance").get("/portal/settlements").status_code == 404


def test_the_portal_scorecard_is_the_vendors_own(pages, invoiced):
    page = pages.as_("vendor_admin")
    text = text_of(_html(page.get("/portal/scorecard")))
    assert "Your scorecard" in text and "Acme" in text and "(110 of 110 units)" in text
    csv_rows = list(csv.DictReader(io.StringIO(_html(page.get("/portal/scorecard.csv")))))
    assert [r["vendor_name"] for r in csv_rows] == ["Acme"]
    assert page.get(f"/portal/scorecard?vendor_id={invoiced.world.other_vendor.id}").status_code == 404
    theirs = text_of(_html(pages.as_("other_vendor_admin").get("/portal/scorecard")))
    assert "No purchase order in cycles closed in this period" in theirs


def test_the_navigation_has_settlements_for_finance_and_the_vendor(pages):
    assert ">Settlements</a>" in _html(pages.as_("mso_finance").get("/console/vendor-scorecard"))
    assert ">Settlements</a>" not in _html(pages.as_("mso_procurement").get("/console/vendor-scorecard"))
    portal = _html(pages.as_("vendor_admin").get("/portal/scorecard"))
    assert ">Settlements</a>" in portal and ">Scorecard</a>" in portal
