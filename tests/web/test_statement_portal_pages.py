"""The vendor portal's statements without a browser: the vendor's own sales and admin
fees in dollars (the numbers by hand: 60 + 50 gloves at 17.9910 = 197901 cents of
Acme sales, its 2% admin fee 3958.02 -> $39.58), its CSV the API's own; another
vendor's statement not found (404); other faces 404; a bad period at its field."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests.pages import Statements, same_count, text_of
from tests.scenarios import YEAR, Billing

PERIOD = f"from={YEAR}-01-01&to={YEAR}-12-31"


@pytest.fixture
def sold(client, world, run_jobs):
    billing = Billing(client, world, run_jobs)
    billing.buy_and_close()
    return billing


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_the_vendor_sees_its_own_statement_in_dollars(pages, sold):
    page = pages.as_("vendor_admin")
    home = _html(page.get("/portal"))
    assert 'href="/portal/statements"' in home and ">Statements</a>" in home
    response = page.get(f"/portal/statements?{PERIOD}")
    text = text_of(_html(response))
    assert response.status_code == 200
    assert "Sales $1,979.01 Admin fees owed $39.58" in text
    assert f"{sold.cycle.name}" in text and f"{sold.contract.title} $1,979.01 2% $39.58" in text
    assert "Total $1,979.01 $39.58" in text
    # the default period: this year so far
    assert "Sales $1,979.01" in text_of(_html(page.get("/portal/statements")))


def test_the_statement_csv_is_the_apis(pages, sold):
    world = sold.world
    download = pages.as_("vendor_admin").get(f"/portal/statements.csv?{PERIOD}")
    api = sold.client.get(f"/api/v1/vendors/{world.vendor.id}/statements?{PERIOD}",
                          headers={**world.headers["vendor_key"], "Accept": "text/csv"})
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.get_data(as_text=True) == api.get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert (row["sales_cents"], row["admin_fee_percent"], row["admin_fee_cents"]) == ("197901", "2.0000", "3958")


def test_another_vendors_statement_is_not_found(pages, sold):
    world = sold.world
    page = pages.as_("other_vendor_admin")
    own = text_of(_html(page.get(f"/portal/statements?{PERIOD}")))
    assert "Bolt" in own and "No cycle closed with sales" in own and "$1,979.01" not in own
    assert page.get(f"/portal/statements?vendor_id={world.vendor.id}&{PERIOD}").status_code == 404
    assert page.get(f"/portal/statements.csv?vendor_id={world.vendor.id}&{PERIOD}").status_code == 404
    assert page.get(f"/portal/statements?vendor_id={world.practice.id}&{PERIOD}").status_code == 404


@pytest.mark.parametrize("who", ["mso_finance", "mso_admin", "practice_admin", "practice_buyer"])
def test_other_faces_do_not_find_the_portal_statements(pages, sold, who):
    page = pages.as_(who)
    assert page.get(f"/portal/statements?{PERIOD}").status_code == 404
    assert page.get(f"/portal/statements.csv?{PERIOD}").status_code == 404


def test_signed_out_is_sent_to_sign_in(pages, world):
    response = pages.anonymous().get("/portal/statements")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("query, field, message", [
    (f"from={YEAR}-12-31&to={YEAR}-01-01", "to", "before from"),
    ("from=yesterday", "from", "Not a valid date."),
    (f"from={YEAR}-01-01&to={YEAR}-02-30", "to", "Not a valid date."),
])
def test_a_bad_period_is_shown_at_its_field(pages, sold, query, field, message):
    response = pages.as_("vendor_admin").get(f"/portal/statements?{query}")
    html = _html(response)
    assert response.status_code == 422
    assert re.search(rf'<input id="f-{field}"[^>]*aria-invalid="true"', html, re.S)
    assert message in re.search(rf'<p class="field-error" id="f-{field}-error">([^<]*)</p>', html).group(1)


def test_the_statement_sends_as_many_statements_for_more_cycles(pages, sold):
    from tests.factories import CycleFactory

    def grow():
        sold.cycle = CycleFactory()
        assert sold.order([(sold.gloves, 12)], key="again").status_code == 201
        assert sold.order([(sold.masks, 20)], key="masks").status_code == 201
        sold.close()

    same_count(Statements(pages.as_("vendor_admin")), f"/portal/statements?{PERIOD}", grow)
