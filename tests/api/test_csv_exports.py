"""Every CSV export (statements, savings, disclosure) goes through the one guard:
names a user typed cannot run as formulas in a spreadsheet."""
import csv
import io

from gpo.accounts.models import Practice, Vendor
from gpo.db import db
from tests.scenarios import YEAR

PRACTICE_NAME = "\t=1+2"
VENDOR_NAME = " =HYPERLINK(\"http://evil.example\")"


def _rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv", response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_names_starting_with_tab_or_space_then_a_formula_are_quoted_in_every_export(billing):  # noqa: F811
    billing.buy_and_close()
    db.session.get(Practice, billing.world.practice.id).name = PRACTICE_NAME
    db.session.get(Vendor, billing.world.vendor.id).name = VENDOR_NAME
    billing.contract.title = "\r@SUM(1)"
    db.session.commit()
    csv_headers = {**billing.finance, "Accept": "text/csv"}
    period = f"from={YEAR}-01-01&to={YEAR}-12-31"
    disclosure = _rows(billing.client.get(f"/api/v1/reports/admin-fee-disclosure?year={YEAR}", headers=csv_headers))
    mine = [r for r in disclosure if r["practice_id"] == str(billing.world.practice.id)]
    assert [(r["practice_name"], r["vendor_name"]) for r in mine] == [("'" + PRACTICE_NAME, "'" + VENDOR_NAME)]
    statement = _rows(billing.client.get(f"/api/v1/vendors/{billing.world.vendor.id}/statements?{period}",
                                         headers=csv_headers))
    assert [r["contract_title"] for r in statement] == ["'\r@SUM(1)"]
    savings = _rows(billing.client.get(f"/api/v1/reports/savings?{period}", headers=csv_headers))
    assert {r["vendor_name"] for r in savings} == {"'" + VENDOR_NAME}
    # JSON stays exactly what was stored
    json_rows = billing.client.get(f"/api/v1/reports/admin-fee-disclosure?year={YEAR}", headers=billing.finance)
    assert PRACTICE_NAME in {r["practice_name"] for r in json_rows.get_json()["rows"]}
