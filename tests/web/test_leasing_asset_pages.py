"""The asset and quote pages without a browser: the console's assets with status,
lessee, cost and fair value; "New asset" in dollars (a sale-leaseback credits the
practice, exact cents), each refusal at its field with nothing written; an asset's
history; three sets of terms side by side with the HP 12C figures; the storefront's
comparison for an asset offered to the practice; who may act (not offered, 403), other
faces and practices (404); and the console's "waiting" line."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from gpo.billing.models import Credit
from gpo.db import db
from gpo.leasing.models import Asset, Lease
from tests.factories import AssetFactory, LeaseFactory, signed_lease
from tests.pages import Statements, same_count, text_of
from tests.scenarios import TODAY

TOMORROW = str(TODAY + dt.timedelta(days=1))
FORM = {"description": "Digital X-ray unit", "category": "medical_equipment", "clinical": "true",
        "serial_number": "DRX-20417", "cost": "$45,123.45", "fair_value": "48000", "acquired_on": str(TODAY),
        "economic_life_months": "120"}
COPIER = {"term_months": "48", "annual_rate_percent": "15", "advance_payments": "4", "residual": "6,600.00",
          "down_payment": "0", "commences_on": TOMORROW}


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model))


def column(key: str, **terms) -> dict:
    return {f"{key}-{name}": value for name, value in terms.items()}


def field_error(html: str, field: str) -> str:
    """The message shown at `field`, which is marked invalid."""
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', html), (field, html[:300])
    match = re.search(rf'id="f-{field}-error">([^<]*)<', html)
    assert match, field
    return unescape(match.group(1))


@pytest.fixture
def copier(world):
    """The HP 12C copier ($22,000), offered to Lakeside for 60 months at 8%."""
    asset = AssetFactory(description="Copier", category="office", clinical=False, cost_cents=2200000,
                         economic_life_months=96)
    LeaseFactory(asset=asset, practice_id=world.practice.id)
    return asset


# --- the assets list and "New asset" ------------------------------------------------------


def test_the_assets_show_status_lessee_cost_and_fair_value_and_filter_to_those_on_no_lease(pages, world):
    leased = signed_lease(practice_id=world.other_practice.id).asset
    idle = AssetFactory(description="Idle laptop", category="it", clinical=False, cost_cents=150000,
                        fair_value_cents=120000)
    page = pages.as_("mso_finance")
    response = page.get("/console/leasing/assets")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert '<nav class="subnav" aria-label="Leasing">' in html
    assert f'href="/console/leasing/assets/{leased.id}">{leased.description}</a>' in html
    assert f"{leased.description} Clinical medical equipment leased Riverbend since" in text
    assert "$62,000.00 $62,000.00" in text
    assert "Idle laptop IT available: on no lease nobody $1,500.00 $1,200.00" in text
    assert "Record asset" in text and f'<option value="{world.practice.id}">Lakeside</option>' in html
    filtered = text_of(page.get("/console/leasing/assets?available=true").get_data(as_text=True))
    assert "Idle laptop" in filtered and leased.description not in filtered
    assert idle.id


def test_finance_records_a_sale_leaseback_from_the_form_in_exact_cents(pages, world):
    page = pages.as_("mso_finance")
    page.get("/console/leasing/assets")
    response = page.post("/console/leasing/assets", {**FORM, "sold_by_practice_id": str(world.practice.id)})
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:1500]
    asset = db.session.scalars(select(Asset)).one()
    assert response.headers["Location"].endswith(f"/console/leasing/assets/{asset.id}")
    assert (asset.cost_cents, asset.fair_value_cents, asset.clinical, asset.specialized) == (4512345, 4800000, True, False)
    credit = db.session.get(Credit, asset.purchase_credit_id)
    assert (credit.practice_id, credit.source, credit.amount_cents, credit.remaining_cents) == (
        world.practice.id, "sale_leaseback", 4512345, 4512345)
    text = text_of(page.get(response.headers["Location"]).get_data(as_text=True))
    assert (f"Digital X-ray unit is the MSO's: bought from Lakeside for $45,123.45, credited to the practice "
            f"(credit #{credit.id}, applied to its next invoices).") in text
    assert (f"Bought from Lakeside on {TODAY:%b} {TODAY.day}, {TODAY.year} for $45,123.45 (sale-leaseback), "
            f"paid as credit #{credit.id} on the practice's next invoices.") in text
    assert "It has not been leased yet." in text and "Quote a lease" in text


def seen_last_asset_id(html: str) -> str:
    return re.search(r'name="seen_last_asset_id" value="(\d+)"', html).group(1)


def test_a_sale_leaseback_form_sent_twice_buys_and_credits_once(pages, world):
    AssetFactory()  # the form was shown after this one
    page = pages.as_("mso_finance")
    form = {**FORM, "sold_by_practice_id": str(world.practice.id),
            "seen_last_asset_id": seen_last_asset_id(page.get("/console/leasing/assets").get_data(as_text=True))}
    assert page.post("/console/leasing/assets", form).status_code == 302
    again = page.post("/console/leasing/assets", form)  # a double click, or back and resend
    assert again.status_code == 409
    recorded = db.session.scalars(select(Asset).order_by(Asset.id.desc())).first()
    assert f"Digital X-ray unit was recorded meanwhile as asset {recorded.id}" in text_of(again.get_data(as_text=True))
    assert count(Asset) == 2 and count(Credit) == 1
    # the refused form now knows that asset: sent once more, it is a second X-ray bought on purpose
    form["seen_last_asset_id"] = seen_last_asset_id(again.get_data(as_text=True))
    assert form["seen_last_asset_id"] == str(recorded.id)
    assert page.post("/console/leasing/assets", form).status_code == 302
    assert count(Asset) == 3 and count(Credit) == 2


def test_another_asset_recorded_meanwhile_does_not_refuse_the_form(pages, world):
    page = pages.as_("mso_finance")
    seen = seen_last_asset_id(page.get("/console/leasing/assets").get_data(as_text=True))
    AssetFactory(description="Infusion pump")  # a colleague's, not this one
    response = page.post("/console/leasing/assets", {**FORM, "seen_last_asset_id": seen})
    assert response.status_code == 302 and count(Asset) == 2


@pytest.mark.parametrize("changes, field, message", [
    ({"cost": "12.345"}, "cost", "at most 2 decimal places (whole cents)"),
    ({"cost": "0"}, "cost", "Must be greater than or equal to 1"),
    ({"fair_value": "lots"}, "fair_value", "an amount in dollars and cents, like 1,250.00"),
    ({"acquired_on": TOMORROW}, "acquired_on", "an asset is acquired today"),
    ({"economic_life_months": "0"}, "economic_life_months", "less than or equal to 600"),
    ({"description": ""}, "description", "Missing data for required field."),
    ({"sold_by_practice_id": "999999"}, "sold_by_practice_id", "practice 999999 not found"),
])
def test_a_refused_asset_is_shown_at_its_field_and_nothing_is_written(pages, world, changes, field, message):
    page = pages.as_("mso_admin")
    page.get("/console/leasing/assets")
    data = {k: v for k, v in {**FORM, **changes}.items() if v != ""}
    response = page.post("/console/leasing/assets", data)
    assert response.status_code in (404, 422)
    html = response.get_data(as_text=True)
    assert message in field_error(html, field)
    assert 'value="Digital X-ray unit"' in html or field == "description"  # the form comes back as typed
    assert count(Asset) == 0 and count(Credit) == 0


def test_a_role_that_may_not_record_assets_reads_why_and_its_post_is_403(pages, world):
    page = pages.as_("mso_procurement")
    text = text_of(page.get("/console/leasing/assets").get_data(as_text=True))
    assert "Only MSO finance and MSO admins record assets." in text and "Record asset" not in text
    assert page.post("/console/leasing/assets", FORM).status_code == 403
    assert count(Asset) == 0


def test_other_faces_get_404_on_every_asset_page(pages, world, copier):
    for who in ("practice_admin", "vendor_admin"):
        page = pages.as_(who)
        for path in ("/console/leasing/assets", f"/console/leasing/assets/{copier.id}", "/console/leasing/quote"):
            assert page.get(path).status_code == 404, (who, path)
        assert page.post("/console/leasing/assets", FORM).status_code == 404
        assert page.post("/console/leasing/quote", {"asset_id": str(copier.id)}).status_code == 404
    vendor = pages.as_("vendor_admin")
    assert vendor.get(f"/leasing/quote?asset_id={copier.id}").status_code == 404
    mso = pages.as_("mso_finance")
    assert mso.get("/leasing/quote").status_code == 404
    assert mso.get("/console/leasing/assets/999999").status_code == 404
    assert mso.get("/console/leasing/quote?asset_id=999999").status_code == 404
    assert count(Asset) == 1


@pytest.mark.parametrize("junk", ["\u00b2", "99999999999999999999999", "-1", "0", "x1"])
def test_an_asset_id_that_is_no_id_is_404_on_the_quote_pages(pages, world, copier, junk):
    # "\u00b2" (superscript two) is a digit to str.isdigit, and int() refuses it
    assert pages.as_("mso_finance").get(f"/console/leasing/quote?asset_id={junk}").status_code == 404
    admin = pages.as_("practice_admin")
    assert admin.get(f"/leasing/quote?asset_id={junk}").status_code == 404
    admin.get("/leasing/quote")
    response = admin.post("/leasing/quote", {"asset_id": junk, **column("a", **COPIER)})
    assert response.status_code in (404, 422)


def test_an_asset_page_shows_its_history_and_every_lease(pages, world, copier):
    lease = db.session.scalars(select(Lease).where(Lease.asset_id == copier.id)).one()
    page = pages.as_("mso_procurement")
    text = text_of(page.get(f"/console/leasing/assets/{copier.id}").get_data(as_text=True))
    acquired = copier.acquired_on
    assert f"Bought by the MSO on {acquired:%b} {acquired.day}, {acquired.year} for $22,000.00." in text
    assert f"#{lease.id} Lakeside waiting for signature" in text and "60 months" in text
    assert "Status offered, not signed yet" in text
    assert "Only MSO finance and MSO admins quote leases." in text  # procurement reads, does not quote


# --- the comparison -----------------------------------------------------------------------


def compare_three(page, asset, practice):
    page.get(f"/console/leasing/quote?asset_id={asset.id}&practice_id={practice.id}")
    return page.post("/console/leasing/quote", {
        "asset_id": str(asset.id), "practice_id": str(practice.id), **column("a", **COPIER),
        **column("b", **{**COPIER, "term_months": "60", "advance_payments": "1", "residual": "0"}),
        **column("c", **{**COPIER, "annual_rate_percent": "0", "advance_payments": "0", "residual": "0"})})


def test_finance_compares_three_sets_of_terms_side_by_side(pages, world, copier, app):
    page = pages.as_("mso_finance")
    form = page.get(f"/console/leasing/quote?asset_id={copier.id}&practice_id={world.practice.id}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and f'<option value="{copier.id}" selected>' in html
    assert 'name="a-term_months" type="number" value="36"' in html and 'name="c-term_months" type="number" value=""' in html
    response = compare_three(page, copier, world.practice)
    assert response.status_code == 200, text_of(response.get_data(as_text=True))[:2000]
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert '<th scope="col">Terms A</th><th scope="col">Terms B</th><th scope="col">Terms C</th>' in html
    # the HP 12C copier: $487.29 a month, four at signing; $22,000 over 48 months at 0%: $458.33
    assert "Rent a month $487.29" in text and "$458.33" in text
    # each offer's confirmation names the equipment, the practice and the amounts
    assert (f'data-confirm="Offer {copier.description} to {world.practice.name}: 48 months at $487.29 a month, '
            "$1,949.16 due at signing, ") in unescape(html)
    assert "Due at signing $1,949.16" in text
    assert "Total rent $23,389.92" in text
    assert "48 months at 15%, 4 in advance, residual $6,600.00, down payment $0.00" in text
    assert "Term and economic life" in text and "Present value and fair value" in text
    assert text.count("Full schedule") == 3 and "Full schedule, terms a (48 months)" in text
    assert "Month 1 due" in text
    offer = "lease_console.offer" in app.view_functions
    assert ("Offer this lease" in text) is offer  # the leases pages' endpoint, when it is there
    assert count(Lease) == 1  # nothing stored


def test_each_refused_term_is_shown_at_its_columns_field(pages, world, copier):
    page = pages.as_("mso_admin")
    page.get(f"/console/leasing/quote?asset_id={copier.id}")
    response = page.post("/console/leasing/quote", {
        "asset_id": str(copier.id), "practice_id": str(world.practice.id),
        **column("a", **{**COPIER, "residual": "22,000.01"}),
        **column("b", **{**COPIER, "term_months": "0"}),
        **column("c", **{**COPIER, "annual_rate_percent": "101", "down_payment": "1.005",
                         "commences_on": str(TODAY - dt.timedelta(days=1))})})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "residual cannot be more than the asset's cost" in field_error(html, "a-residual")
    assert "less than or equal to 120" in field_error(html, "b-term_months")
    assert "between 0 and 100" in field_error(html, "c-annual_rate_percent")
    assert "at most 2 decimal places" in field_error(html, "c-down_payment")
    advance = page.post("/console/leasing/quote", {"asset_id": str(copier.id), "practice_id": str(world.practice.id),
                                                   **column("a", **{**COPIER, "advance_payments": "48"})})
    assert "fewer than the term" in field_error(advance.get_data(as_text=True), "a-advance_payments")
    past = page.post("/console/leasing/quote", {"asset_id": str(copier.id), "practice_id": str(world.practice.id),
                                                **column("a", **{**COPIER, "commences_on": str(TODAY - dt.timedelta(days=1))})})
    assert "today" in field_error(past.get_data(as_text=True), "a-commences_on")
    nothing = page.post("/console/leasing/quote", {"asset_id": str(copier.id), "practice_id": str(world.practice.id)})
    assert "at least one lease" in field_error(nothing.get_data(as_text=True), "a-term_months")
    no_practice = page.post("/console/leasing/quote", {"asset_id": str(copier.id), **column("a", **COPIER)})
    assert "Missing data" in field_error(no_practice.get_data(as_text=True), "practice_id")
    assert count(Lease) == 1


def test_procurement_reads_why_it_may_not_quote_and_its_post_is_403(pages, world, copier):
    page = pages.as_("mso_procurement")
    html = page.get(f"/console/leasing/quote?asset_id={copier.id}").get_data(as_text=True)
    assert "Only MSO finance and MSO admins quote leases." in text_of(html) and ">Compare</button>" not in html
    assert page.post("/console/leasing/quote", {"asset_id": str(copier.id), "practice_id": str(world.practice.id),
                                                **column("a", **COPIER)}).status_code == 403


# --- the storefront -----------------------------------------------------------------------


def test_a_practice_admin_compares_terms_for_an_asset_offered_to_it(pages, world, copier):
    page = pages.as_("practice_admin")
    form = page.get(f"/leasing/quote?asset_id={copier.id}")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    # column A starts from the offer: 60 months at 8%, one in advance
    assert 'name="a-term_months" type="number" value="60"' in html
    assert 'name="b-term_months" type="number" value="36"' in html  # another term beside it
    assert 'name="a-annual_rate_percent" type="text" value="8"' in html
    assert 'name="practice_id"' not in html  # its own practice, always
    response = page.post("/leasing/quote", {"asset_id": str(copier.id), **column("a", **COPIER),
                                            **column("b", **{**COPIER, "term_months": "36", "residual": "0"})})
    assert response.status_code == 200, text_of(response.get_data(as_text=True))[:1500]
    text = text_of(response.get_data(as_text=True))
    assert "Compare lease terms: Copier" in text and "Rent a month $487.29" in text
    assert "Offer this lease" not in text and "ask MSO finance to offer them" in text
    assert count(Lease) == 1


def test_the_storefront_comparison_is_for_the_practices_own_assets_and_admins(pages, world, copier):
    idle = AssetFactory()
    admin = pages.as_("practice_admin")
    assert admin.get(f"/leasing/quote?asset_id={idle.id}").status_code == 404
    admin.get("/leasing/quote")
    assert admin.post("/leasing/quote", {"asset_id": str(idle.id), **column("a", **COPIER)}).status_code == 404
    other = pages.as_("other_practice_admin")
    assert other.get(f"/leasing/quote?asset_id={copier.id}").status_code == 404
    buyer = pages.as_("practice_buyer")
    response = buyer.get(f"/leasing/quote?asset_id={copier.id}")
    text = text_of(response.get_data(as_text=True))
    assert response.status_code == 200 and "Only your practice's admins compare lease terms" in text
    assert buyer.post("/leasing/quote", {"asset_id": str(copier.id), **column("a", **COPIER)}).status_code == 403


# --- waiting --------------------------------------------------------------------------------


def test_finance_finds_the_assets_on_no_lease_waiting_on_the_start_page(pages, world, copier):
    AssetFactory()
    signed_lease(practice_id=world.practice.id)
    html = pages.as_("mso_finance").get("/console").get_data(as_text=True)
    assert '<a href="/console/leasing/assets?available=true">2 assets on no lease</a>' in html
    assert "assets on no lease" not in pages.as_("mso_procurement").get("/console").get_data(as_text=True)


def test_the_asset_pages_send_as_many_statements_with_more_assets_and_leases(pages, world, copier):
    signed_lease(practice_id=world.other_practice.id)

    def more():
        for _ in range(3):
            signed_lease(practice_id=world.practice.id)
            LeaseFactory(asset=AssetFactory(), practice_id=world.practice.id)
            LeaseFactory(asset=AssetFactory(), practice_id=world.other_practice.id, status="withdrawn")

    console = Statements(pages.as_("mso_finance"))
    same_count(console, "/console/leasing/assets", more)
    same_count(console, f"/console/leasing/quote?asset_id={copier.id}", more)
    storefront = Statements(pages.as_("practice_admin"))
    same_count(storefront, f"/leasing/quote?asset_id={copier.id}", more)


def test_each_column_offers_its_own_terms_to_the_leases_pages(pages, world, copier):
    """Each column's "Offer this lease" posts the same terms to the leases pages' offer,
    money in dollars as typed."""
    page = pages.as_("mso_finance")
    html = compare_three(page, copier, world.practice).get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="/console/leasing/leases" data-confirm="([^"]*)">(.*?)</form>',
                       html, re.S)
    assert len(forms) == 3
    confirm, body = forms[0]
    assert unescape(confirm) == ("Offer Copier to Lakeside: 48 months at $487.29 a month, $1,949.16 due at signing, "
                                 "$23,389.92 in all?")
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body))
    assert fields.pop("csrf_token")
    assert fields == {"asset_id": str(copier.id), "practice_id": str(world.practice.id), "term_months": "48",
                      "annual_rate_percent": "15", "advance_payments": "4", "residual": "6600.00",
                      "down_payment": "0.00", "commences_on": TOMORROW, "early_termination_fee_percent": "0"}
    assert "Offer this lease<span class=\"visually-hidden\"> on terms c</span>" in html
    offered = page.post("/console/leasing/leases", fields)  # column A's terms, offered as they were quoted
    assert offered.status_code == 302, text_of(offered.get_data(as_text=True))[:1500]
    lease = db.session.scalars(select(Lease).order_by(Lease.id.desc())).first()
    assert (lease.asset_id, lease.practice_id, lease.term_months, lease.rent_cents, lease.residual_cents) == (
        copier.id, world.practice.id, 48, 48729, 660000)
    # procurement may compare nothing, and so is offered nothing
    assert "Offer this lease" not in pages.as_("mso_procurement").get(
        f"/console/leasing/quote?asset_id={copier.id}").get_data(as_text=True)


def test_the_early_buyout_fee_compared_is_the_one_offered(pages, world, copier):
    """A column's early buyout fee is quoted with its terms and carried by "Offer this lease"."""
    page = pages.as_("mso_finance")
    page.get(f"/console/leasing/quote?asset_id={copier.id}&practice_id={world.practice.id}")
    html = page.post("/console/leasing/quote", {
        "asset_id": str(copier.id), "practice_id": str(world.practice.id),
        **column("a", **{**COPIER, "early_termination_fee_percent": "2"})}).get_data(as_text=True)
    assert "early buyout fee 2%" in text_of(html)
    form = re.search(r'<form method="post" action="/console/leasing/leases" data-confirm="[^"]*">(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(1)))
    assert fields["early_termination_fee_percent"] == "2"
    assert page.post("/console/leasing/leases", fields).status_code == 302
    lease = db.session.scalars(select(Lease).order_by(Lease.id.desc())).first()
    assert lease.early_termination_fee_percent == Decimal("2")
