"""The console's "Rebates & fees" pages without a browser: rebates (the allocation
previewed in exact cents before anything is written, recorded from the preview only
if it still holds, the credits it gave), fee schedules (the default and per-practice
overrides), vendor statements and the admin-fee disclosure; each page's roles (403
and "not offered"), faces (404), bad input at the field with nothing written.

The numbers, by hand: Lakeside buys 60 gloves and Riverbend 50 at 17.9910 (the 10%
tier): 107946 and 89955 cents, invoiced. A $1,000.00 rebate with 20% retained keeps
$200.00 and shares $800.00: 80000 x 107946 / 197901 = 43636.36 and 80000 x 89955 /
197901 = 36363.64, so 43636 and 36363 with one cent left over, which goes to the
larger remainder (.64): Lakeside $436.36, Riverbend $363.64. Acme's 2% admin fee on
197901 cents of sales is 3958.02 -> $39.58, shared 2158.91 : 1799.09 -> 2159 : 1799."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gpo.auth.services import principal_for_user
from gpo.billing import invoices, rebates
from gpo.billing.models import Credit, FeeSchedule, Rebate, RebateAllocation
from gpo.db import db
from tests.pages import Statements, same_count, text_of
from tests.scenarios import YEAR, Billing

PERIOD = {"period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-12-31"}


@pytest.fixture
def billing(client, world, run_jobs):
    return Billing(client, world, run_jobs)


@pytest.fixture
def invoiced(billing):
    """Both practices' purchasing invoices finalized: the invoiced spend a rebate shares by."""
    billing.buy_and_close()
    for practice in (billing.world.practice, billing.world.other_practice):
        billing.finalize(billing.invoice_of(practice, kind="purchasing")["id"])
    return billing


def _form(billing, **changes) -> dict:
    return {"vendor_id": str(billing.world.vendor.id), "contract_id": str(billing.contract.id), **PERIOD,
            "amount": "1,000.00", "retained_percent": "20", "notes": "yearly volume rebate", **changes}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _rows() -> dict[str, int]:
    """Every table's row count (a page that writes nothing leaves them all as they were)."""
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


def _error_at(html: str, field: str) -> str:
    """The message shown at the form field `field` (its aria-invalid input and error)."""
    field_id = "f-" + field.replace(".", "-")
    assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field_id}"', html) or \
        re.search(rf'<(input|select|textarea) id="{field_id}"[^>]*\s+aria-invalid="true"', html, re.S), \
        f"{field} is not marked invalid"
    match = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', html)
    assert match, f"no message at {field}"
    return match.group(1)


def _principal(world, name):
    return principal_for_user(world.users[name])


def _preview_table(html: str) -> list[tuple[str, str, str]]:
    """(practice, basis, credit) per row of the preview's allocation table."""
    body = html.split('id="preview-heading"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append((cells[0], cells[1], cells[3]))
    return rows


# --- rebates: preview ---------------------------------------------------------------------


def test_finance_previews_the_allocation_in_exact_cents_and_nothing_is_written(pages, invoiced):
    page = pages.as_("mso_finance")
    assert "New rebate" in text_of(_html(page.get("/console/rebates")))
    form = page.get("/console/rebates/new")
    assert form.status_code == 200 and "Preview allocation" in text_of(_html(form))
    before = _rows()
    response = page.post("/console/rebates/preview", _form(invoiced))
    html = _html(response)
    assert response.status_code == 200, text_of(html)[:800]
    assert _preview_table(html) == [("Lakeside", "$1,079.46", "$436.36"), ("Riverbend", "$899.55", "$363.64")]
    text = text_of(html)
    assert "Kept by the MSO (20%) $200.00" in text and "Shared out to practices $800.00" in text
    assert "Total $1,979.01 100% $800.00 Kept by the MSO (20%) $200.00 The rebate $1,000.00" in text
    assert "nothing is recorded yet" in text and "Record rebate" in text
    assert f'name="previewed" value="{invoiced.world.practice.id}:43636,{invoiced.world.other_practice.id}:36364"' in html
    assert _rows() == before


def test_the_preview_is_exactly_what_recording_credits(invoiced):
    world = invoiced.world
    finance = _principal(world, "mso_finance")
    data = {"vendor_id": world.vendor.id, "contract_id": invoiced.contract.id, "period_start": dt.date(YEAR, 1, 1),
            "period_end": dt.date(YEAR, 12, 31),
            "amount_cents": 123457, "retained_percent": D("17.5"), "notes": ""}
    preview = rebates.preview_rebate(finance, data)
    assert db.session.scalar(select(func.count(Rebate.id))) == 0
    rebate = rebates.record_rebate(finance, data)
    db.session.commit()
    credits = {c.practice_id: c.amount_cents for c in db.session.scalars(select(Credit).where(Credit.rebate_id == rebate.id))}
    allocations = {a.practice_id: a.amount_cents for a in db.session.scalars(
        select(RebateAllocation).where(RebateAllocation.rebate_id == rebate.id))}
    previewed = {a["practice_id"]: a["amount_cents"] for a in preview["allocations"]}
    assert previewed == credits == allocations
    assert (preview["retained_cents"], preview["distributed_cents"]) == (rebate.retained_cents, rebate.distributed_cents)
    # by hand: 17.5% of 123457 = 21604.975 -> 21605 kept; 101852 shared 107946 : 89955
    # = 55555.64 : 46296.36 -> 55555 and 46296, the left-over cent to the larger remainder (.64)
    assert (rebate.retained_cents, rebate.distributed_cents) == (21605, 101852)
    assert previewed == {world.practice.id: 55556, world.other_practice.id: 46296}


@pytest.mark.parametrize("changes, field, message", [
    ({"amount": "12.345"}, "amount", "at most 2 decimal places (whole cents)"),
    ({"amount": "ten"}, "amount", "an amount in dollars and cents, like 1,250.00"),
    ({"amount": ""}, "amount", "Missing data for required field."),
    ({"amount": "0"}, "amount", "greater than or equal to 1"),
    ({"retained_percent": "100.01"}, "retained_percent", "must be between 0 and 100"),
    ({"period_end": f"{YEAR - 1}-12-31"}, "period_end", "before period_start"),
    ({"period_start": "soon"}, "period_start", "Not a valid date."),
    ({"period_start": f"{YEAR - 3}-01-01", "period_end": f"{YEAR - 3}-12-31"}, "period_start",
     "no invoiced spend in this period"),
    ("other vendor", "contract_id", "not a contract of this vendor"),
])
def test_a_bad_rebate_is_shown_at_its_field_and_nothing_is_written(pages, invoiced, changes, field, message):
    if changes == "other vendor":
        changes = {"vendor_id": str(invoiced.world.other_vendor.id)}
    page = pages.as_("mso_finance")
    before = _rows()
    for path in ("/console/rebates/preview", "/console/rebates"):
        response = page.post(path, {**_form(invoiced, **changes), "previewed": "1:1"})
        assert response.status_code == 422, (path, text_of(_html(response))[:500])
        assert message in _error_at(_html(response), field)
        assert 'role="alert"' in _html(response)
    assert _rows() == before


# --- rebates: recording -------------------------------------------------------------------


def _preview_then_record(page, billing, **changes):
    html = _html(page.post("/console/rebates/preview", _form(billing, **changes)))
    confirmation = html.split('action="/console/rebates"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirmation))
    fields.pop("csrf_token")
    return page.post("/console/rebates", fields)


def test_recording_from_the_preview_gives_the_credits_it_showed(pages, invoiced):
    world = invoiced.world
    page = pages.as_("mso_finance")
    response = _preview_then_record(page, invoiced)
    assert response.status_code == 302, text_of(_html(response))[:500]
    rebate = db.session.scalars(select(Rebate)).one()
    assert response.headers["Location"] == f"/console/rebates/{rebate.id}"
    credits = {c.practice_id: (c.amount_cents, c.remaining_cents) for c in db.session.scalars(select(Credit))}
    assert credits == {world.practice.id: (43636, 43636), world.other_practice.id: (36364, 36364)}
    detail = page.get(response.headers["Location"])
    text = text_of(_html(detail))
    assert "Rebate recorded: $800.00 credited to 2 practices, $200.00 kept by the MSO." in text
    assert "Lakeside $1,079.46 $436.36 $436.36 not used yet" in text
    assert "Riverbend $899.55 $363.64 $363.64 not used yet" in text
    assert "Total $1,979.01 $800.00 $800.00 Kept by the MSO (20%) $200.00 The rebate $1,000.00" in text
    assert "yearly volume rebate" in text and "mso_finance@example.test" in text
    listed = text_of(_html(page.get("/console/rebates")))
    assert f"Rebate #{rebate.id} Acme" in listed and "$1,000.00 $800.00 credited, not used yet" in listed
    # a second one for the same contract and period: refused at the preview already
    again = page.post("/console/rebates/preview", _form(invoiced))
    assert again.status_code == 409 and "is already recorded" in text_of(_html(again))


def test_recording_needs_the_preview_and_a_changed_allocation_is_refused(pages, invoiced):
    world = invoiced.world
    page = pages.as_("mso_finance")
    before = _rows()
    unpreviewed = page.post("/console/rebates", _form(invoiced))
    assert unpreviewed.status_code == 422 and "Preview the allocation" in text_of(_html(unpreviewed))
    stale = page.post("/console/rebates", {**_form(invoiced),
                                           "previewed": f"{world.practice.id}:40000,{world.other_practice.id}:40000"})
    assert stale.status_code == 409 and "changed since it was previewed" in text_of(_html(stale))
    assert 'value="1000.00"' in _html(stale) or 'value="1,000.00"' in _html(stale)  # the form as entered
    assert _rows() == before


def test_procurement_sees_rebates_but_is_not_offered_recording_and_posting_is_403(pages, invoiced):
    page = pages.as_("mso_procurement")
    listed = text_of(_html(page.get("/console/rebates")))
    assert "Only MSO finance (or an MSO admin) may record rebates." in listed and "New rebate" not in listed
    form = page.get("/console/rebates/new")
    assert form.status_code == 200 and "Only MSO finance" in text_of(_html(form))
    assert "Preview allocation" not in text_of(_html(form))
    before = _rows()
    assert page.post("/console/rebates/preview", _form(invoiced)).status_code == 403
    assert page.post("/console/rebates", {**_form(invoiced), "previewed": "1:1"}).status_code == 403
    assert _rows() == before
    rebate = rebates.record_rebate(_principal(invoiced.world, "mso_finance"), {
        "vendor_id": invoiced.world.vendor.id, "contract_id": invoiced.contract.id,
        "period_start": dt.date(YEAR, 1, 1), "period_end": dt.date(YEAR, 12, 31),
        "amount_cents": 5000, "retained_percent": D("0")})
    db.session.commit()
    assert page.get(f"/console/rebates/{rebate.id}").status_code == 200


@pytest.mark.parametrize("who, status", [("practice_admin", 404), ("vendor_admin", 404), ("other_practice_admin", 404)])
def test_other_faces_do_not_find_the_console_pages(pages, invoiced, who, status):
    page = pages.as_(who)
    for path in ("/console/rebates", "/console/rebates/new", "/console/fee-schedules", "/console/statements",
                 "/console/disclosure", f"/console/fee-schedules/practices/{invoiced.world.practice.id}",
                 f"/console/statements.csv?vendor_id={invoiced.world.vendor.id}", "/console/disclosure.csv"):
        assert page.get(path).status_code == status, path
    before = _rows()
    assert page.post("/console/rebates/preview", _form(invoiced)).status_code == status
    assert page.post("/console/fee-schedules/default", {"service_fee_percent": "9", "monthly_membership": "1",
                                                        "pmpm": "1"}).status_code == status
    assert _rows() == before


def test_signed_out_is_sent_to_sign_in_and_an_unknown_rebate_is_404(pages, world):
    assert pages.anonymous().get("/console/rebates").status_code == 302
    assert pages.as_("mso_finance").get("/console/rebates/999999").status_code == 404


def test_the_rebate_list_sends_as_many_statements_for_more_rebates(pages, invoiced):
    finance = _principal(invoiced.world, "mso_finance")

    def record(month: int) -> None:
        rebates.record_rebate(finance, {"vendor_id": invoiced.world.vendor.id, "contract_id": invoiced.contract.id,
                                        "period_start": dt.date(YEAR, month, 1), "period_end": dt.date(YEAR, 12, 31),
                                        "amount_cents": 10000 + month, "retained_percent": D("10")})

    record(1)

    def grow():
        for month in (2, 3, 4):
            record(month)

    same_count(Statements(pages.as_("mso_finance")), "/console/rebates", grow)


# --- fee schedules ------------------------------------------------------------------------


def test_finance_sees_the_default_and_each_practices_fees(pages, billing):
    text = text_of(_html(pages.as_("mso_finance").get("/console/fee-schedules")))
    assert "Save default fees" in text
    assert "Lakeside 2.5% $150.00 $25.00 Set override" in text
    assert "Riverbend 1.75% (own) $150.00 $25.00 Edit override" in text and "Clear override" in text


def test_finance_edits_the_default_in_dollars_exactly(pages, billing):
    page = pages.as_("mso_finance")
    response = page.post("/console/fee-schedules/default",
                         {"service_fee_percent": "2.75", "monthly_membership": "175.50", "pmpm": "$1,025.05"})
    assert response.status_code == 302, text_of(_html(response))[:500]
    default = invoices.fee_schedule_view(None)
    assert (default["service_fee_percent"], default["monthly_membership_cents"], default["pmpm_cents"]) == (
        D("2.75"), 17550, 102505)
    text = text_of(_html(page.get("/console/fee-schedules")))
    assert "The default fee schedule is saved" in text and "Lakeside 2.75% $175.50 $1,025.05" in text


@pytest.mark.parametrize("changes, field, message", [
    ({"service_fee_percent": "101"}, "service_fee_percent", "must be between 0 and 100"),
    ({"service_fee_percent": "2.12345"}, "service_fee_percent", "at most 4 decimal places"),
    ({"monthly_membership": "150.001"}, "monthly_membership", "at most 2 decimal places (whole cents)"),
    ({"pmpm": "-5"}, "pmpm", "an amount in dollars and cents, like 1,250.00"),
    ({"pmpm": ""}, "pmpm", "Missing data for required field."),
])
def test_a_bad_default_is_shown_at_its_field_and_nothing_is_written(pages, billing, changes, field, message):
    page = pages.as_("mso_finance")
    before = invoices.fee_schedule_view(None)
    response = page.post("/console/fee-schedules/default",
                         {"service_fee_percent": "3", "monthly_membership": "100", "pmpm": "10", **changes})
    assert response.status_code == 422
    assert message in _error_at(_html(response), field)
    db.session.expire_all()
    assert invoices.fee_schedule_view(None) == before


def test_finance_sets_and_clears_a_practices_override(pages, billing):
    world = billing.world
    page = pages.as_("mso_finance")
    path = f"/console/fee-schedules/practices/{world.practice.id}"
    form = text_of(_html(page.get(path)))
    assert "Fees of Lakeside" in form and "Default: $25.00" in form and "PMPM $25.00 (the default)" in form
    refused = page.post(path, {"pmpm": "20.005"})
    assert refused.status_code == 422 and "at most 2 decimal places (whole cents)" in _error_at(_html(refused), "pmpm")
    assert invoices.fee_schedule_view(world.practice.id)["overridden"] == []
    saved = page.post(path, {"pmpm": "20", "service_fee_percent": ""})
    assert saved.status_code == 302
    db.session.expire_all()
    view = invoices.fee_schedule_view(world.practice.id)
    assert (view["overridden"], view["pmpm_cents"], view["service_fee_percent"]) == (["pmpm_cents"], 2000, D("2.5"))
    assert "Lakeside 2.5% $150.00 $20.00 (own)" in text_of(_html(page.get("/console/fee-schedules")))
    assert 'value="20.00"' in _html(page.get(path))
    cleared = page.post(f"{path}/clear")
    assert cleared.status_code == 302
    db.session.expire_all()
    assert invoices.fee_schedule_view(world.practice.id)["overridden"] == []
    assert page.get("/console/fee-schedules/practices/999999").status_code == 404


def test_procurement_sees_the_fees_but_is_not_offered_changing_them_and_posting_is_403(pages, billing):
    world = billing.world
    page = pages.as_("mso_procurement")
    text = text_of(_html(page.get("/console/fee-schedules")))
    assert "Only MSO finance (or an MSO admin) may change fee schedules." in text
    assert "Save default fees" not in text and "Clear override" not in text and "Service fee 2.5%" in text
    override = text_of(_html(page.get(f"/console/fee-schedules/practices/{world.other_practice.id}")))
    assert "Only MSO finance" in override and "Save override" not in override
    before = _rows()
    schedules = [(s.practice_id, s.service_fee_percent, s.pmpm_cents) for s in db.session.scalars(select(FeeSchedule))]
    assert page.post("/console/fee-schedules/default", {"service_fee_percent": "9", "monthly_membership": "1",
                                                        "pmpm": "1"}).status_code == 403
    assert page.post(f"/console/fee-schedules/practices/{world.practice.id}", {"pmpm": "1"}).status_code == 403
    assert page.post(f"/console/fee-schedules/practices/{world.other_practice.id}/clear").status_code == 403
    db.session.expire_all()
    assert _rows() == before
    assert schedules == [(s.practice_id, s.service_fee_percent, s.pmpm_cents)
                         for s in db.session.scalars(select(FeeSchedule))]


# --- vendor statements --------------------------------------------------------------------


def test_finance_sees_a_vendors_statement_in_dollars_and_its_csv_is_the_apis(pages, invoiced):
    world = invoiced.world
    page = pages.as_("mso_procurement")
    assert "Choose a vendor and a period" in text_of(_html(page.get("/console/statements")))
    query = f"vendor_id={world.vendor.id}&from={YEAR}-01-01&to={YEAR}-12-31"
    response = page.get(f"/console/statements?{query}")
    text = text_of(_html(response))
    assert response.status_code == 200
    assert "Sales $1,979.01 Admin fees owed $39.58" in text
    assert "$1,979.01 2% $39.58" in text and "Total $1,979.01 $39.58" in text
    download = page.get(f"/console/statements.csv?{query}")
    api = invoiced.client.get(f"/api/v1/vendors/{world.vendor.id}/statements?from={YEAR}-01-01&to={YEAR}-12-31",
                              headers={**world.headers["mso_finance"], "Accept": "text/csv"})
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.get_data(as_text=True) == api.get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert (row["sales_cents"], row["admin_fee_cents"]) == ("197901", "3958")
    other = text_of(_html(page.get(f"/console/statements?vendor_id={world.other_vendor.id}&from={YEAR}-01-01&to={YEAR}-12-31")))
    assert "No cycle closed with sales" in other and "Total $0.00 $0.00" in other


def test_a_bad_statement_period_is_shown_at_the_field_and_an_unknown_vendor_is_404(pages, invoiced):
    page = pages.as_("mso_finance")
    vendor = invoiced.world.vendor.id
    backwards = page.get(f"/console/statements?vendor_id={vendor}&from={YEAR}-12-31&to={YEAR}-01-01")
    assert backwards.status_code == 422 and "before from" in _error_at(_html(backwards), "to")
    garbled = page.get(f"/console/statements?vendor_id={vendor}&from=someday")
    assert garbled.status_code == 422 and "Not a valid date." in _error_at(_html(garbled), "from")
    assert page.get(f"/console/statements?vendor_id=999999&from={YEAR}-01-01&to={YEAR}-12-31").status_code == 404
    assert page.get(f"/console/statements?vendor_id={invoiced.world.practice.id}").status_code == 404


def test_the_statement_page_sends_as_many_statements_for_more_sales(pages, billing):
    from tests.factories import ContractFactory, ProductFactory

    billing.buy_and_close()
    query = f"/console/statements?vendor_id={billing.world.vendor.id}&from={YEAR}-01-01&to={YEAR}-12-31"

    def grow():
        from tests.factories import CycleFactory

        product = ProductFactory(vendor_id=billing.world.vendor.id, sku="MORE")
        ContractFactory(vendor_id=billing.world.vendor.id, products=[product])
        billing.cycle = CycleFactory()
        db.session.commit()
        assert billing.order([(product, 5)], key="more").status_code == 201
        billing.close()

    same_count(Statements(pages.as_("mso_finance")), query, grow)


# --- the admin-fee disclosure -------------------------------------------------------------


def test_the_disclosure_shows_fees_per_vendor_and_contract_with_the_written_terms(pages, invoiced):
    world = invoiced.world
    page = pages.as_("mso_finance")
    text = text_of(_html(page.get(f"/console/disclosure?year={YEAR}")))
    # owed beside received (nothing received yet: no settlement, no remittance)
    assert "Contract purchases $1,979.01 Admin fees owed $39.58 Admin fees received $0.00" in text
    assert (f"Acme {invoiced.contract.title} 2% of the purchase price, remitted by the vendor $1,979.01 $39.58 $0.00"
            in text)
    assert "Lakeside Acme $1,079.46 $21.59 $0.00" in text and "Riverbend Acme $899.55 $17.99 $0.00" in text
    one = text_of(_html(page.get(f"/console/disclosure?year={YEAR}&practice_id={world.other_practice.id}")))
    assert "Riverbend Acme $899.55 $17.99 $0.00" in one and "Lakeside Acme" not in one
    download = page.get(f"/console/disclosure.csv?year={YEAR}")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert sorted((r["practice_name"], r["admin_fee_cents"], r["admin_fee_received_cents"]) for r in rows) == [
        ("Lakeside", "2159", "0"), ("Riverbend", "1799", "0")]


def test_a_bad_disclosure_year_is_shown_at_the_field_and_an_unknown_practice_is_404(pages, invoiced):
    page = pages.as_("mso_finance")
    response = page.get("/console/disclosure?year=1999")
    assert response.status_code == 422 and "greater than or equal to 2000" in _error_at(_html(response), "year")
    assert page.get(f"/console/disclosure?year={YEAR}&practice_id=999999").status_code == 404
    assert page.get(f"/console/disclosure?year={YEAR}&practice_id={invoiced.world.vendor.id}").status_code == 404


def test_the_console_navigation_has_rebates_and_fees_with_its_sub_navigation(pages, world):
    html = _html(pages.as_("mso_procurement").get("/console/statements"))
    assert '>Rebates &amp; fees</a>' in html
    subnav = html.split('aria-label="Rebates and fees"', 1)[1].split("</nav>", 1)[0]
    assert [text_of(a) for a in re.findall(r"<a [^>]*>(.*?)</a>", subnav)] == [
        "Rebates", "Fee schedules", "Vendor statements", "Admin-fee disclosure"]
    assert 'href="/console/statements" aria-current="page"' in subnav


def test_an_mso_admin_may_record_and_the_list_says_how_much_of_the_credits_is_used(pages, invoiced):
    page = pages.as_("mso_admin")
    assert _preview_then_record(page, invoiced).status_code == 302
    rebate = db.session.scalars(select(Rebate)).one()
    credit = db.session.scalars(select(Credit).where(Credit.practice_id == invoiced.world.practice.id)).one()
    credit.remaining_cents = 10000  # as if an invoice had used $336.36 of it
    db.session.commit()
    listed = text_of(_html(page.get("/console/rebates")))
    assert f"Rebate #{rebate.id}" in listed and "credits partly used on invoices ($463.64 left)" in listed
    assert "Lakeside $1,079.46 $436.36 $100.00" in text_of(_html(page.get(f"/console/rebates/{rebate.id}")))
