"""What a new user read on the lease and suite pages (issue 18's walk-through): invoices
named by their number (or "draft invoice"), read in one statement for any number of
rows; links shown only to those they do not refuse; the sale-leaseback financing
sentence; messages in words, not field names; the article before the classification;
confirmations naming the equipment, practice and amounts; wide tables that scroll."""
from __future__ import annotations

import datetime as dt
from html import unescape

from gpo.billing.models import Credit
from gpo.db import db, utcnow
from gpo.leasing import spaces
from tests.factories import (
    AssetFactory,
    InvoiceFactory,
    LeaseFactory,
    OccupancyFactory,
    SpaceFactory,
    signed_lease,
)
from tests.pages import Statements, same_count, text_of

TODAY = utcnow().date()
LATER = TODAY + dt.timedelta(days=40)


def billed(lease, months, *, issued=True):
    """Bill the schedule's first `months` rents, each on its own invoice."""
    found = []
    for row in lease.schedule[:months]:
        invoice = InvoiceFactory(practice_id=lease.practice_id, kind="lease", issued=issued,
                                 description=f"Lease {lease.id}: rent {row.month}")
        row.invoice_id = invoice.id
        found.append(invoice)
    db.session.commit()
    return found


def test_schedule_rows_name_their_invoice_by_number_or_as_a_draft(pages, world):
    lease = signed_lease(practice_id=world.practice.id, commences_on=TODAY)
    numbered = billed(lease, 2)
    draft = InvoiceFactory(practice_id=lease.practice_id, kind="lease")
    lease.schedule[2].invoice_id = draft.id
    db.session.commit()
    for who, path in (("practice_admin", f"/leasing/leases/{lease.id}"),
                      ("mso_finance", f"/console/leasing/leases/{lease.id}")):
        html = pages.as_(who).get(path).get_data(as_text=True)
        assert f">{numbered[0].number}</a>" in html and f">{numbered[1].number}</a>" in html
        assert ">draft invoice</a>" in html
        assert "Invoice #" not in html and f"#{numbered[0].id}<" not in html


def test_the_commencement_invoice_reads_as_its_number_on_the_console(pages, world):
    lease = signed_lease(practice_id=world.practice.id, commences_on=TODAY)
    invoice = InvoiceFactory(practice_id=lease.practice_id, kind="lease", issued=True)
    lease.commencement_invoice_id = invoice.id
    db.session.commit()
    text = text_of(pages.as_("mso_finance").get(f"/console/leasing/leases/{lease.id}").get_data(as_text=True))
    assert f"Commencement invoice: {invoice.number} (" in text and "invoice #" not in text


def test_the_lease_pages_read_invoice_numbers_in_one_statement_whatever_the_rows(pages, world):
    lease = signed_lease(practice_id=world.practice.id, commences_on=TODAY)
    billed(lease, 1)
    def bill_more():
        for row in lease.schedule[1:6]:
            row.invoice_id = InvoiceFactory(practice_id=lease.practice_id, kind="lease", issued=True).id
        db.session.commit()

    same_count(Statements(pages.as_("practice_admin")), f"/leasing/leases/{lease.id}", bill_more)

    def draft_more():
        for row in lease.schedule[6:12]:
            row.invoice_id = InvoiceFactory(practice_id=lease.practice_id, kind="lease").id
        db.session.commit()

    same_count(Statements(pages.as_("mso_finance")), f"/console/leasing/leases/{lease.id}", draft_more)


def test_compare_other_terms_shows_only_to_those_who_may_quote(pages, world):
    lease = LeaseFactory(practice_id=world.practice.id, commences_on=LATER, asset=AssetFactory(clinical=False))
    admin = pages.as_("practice_admin").get(f"/leasing/leases/{lease.id}").get_data(as_text=True)
    assert "Compare other terms for this equipment" in admin
    for who in ("practice_buyer", "practice_physician"):
        html = pages.as_(who).get(f"/leasing/leases/{lease.id}").get_data(as_text=True)
        assert "Compare other terms" not in html, who


def sale_leaseback_lease(world):
    asset = AssetFactory(description="Sold-back ultrasound")
    credit = Credit(practice_id=world.practice.id, source="sale_leaseback", amount_cents=asset.cost_cents,
                    remaining_cents=asset.cost_cents, description="Sale-leaseback")
    db.session.add(credit)
    db.session.flush()
    asset.sold_by_practice_id, asset.purchase_credit_id = world.practice.id, credit.id
    lease = LeaseFactory(practice_id=world.practice.id, asset=asset, commences_on=LATER)
    db.session.commit()
    assert lease.classification == "sales_type"
    return lease


FINANCING = "A sale-leaseback whose leaseback is sales-type: for the books no sale occurs; the MSO's purchase is a financing."


def test_a_sales_type_sale_leaseback_says_it_is_a_financing_on_both_pages_and_the_api(pages, world, client):
    lease = sale_leaseback_lease(world)
    for who, path in (("practice_admin", f"/leasing/leases/{lease.id}"),
                      ("mso_finance", f"/console/leasing/leases/{lease.id}")):
        assert FINANCING in text_of(pages.as_(who).get(path).get_data(as_text=True)), who
    plain = LeaseFactory(practice_id=world.practice.id, commences_on=LATER)
    assert FINANCING not in text_of(pages.as_("mso_finance").get(f"/console/leasing/leases/{plain.id}")
                                    .get_data(as_text=True))
    body = client.get(f"/api/v1/leasing/leases/{lease.id}", headers=world.headers["mso_finance"]).get_json()
    assert body["classification"]["sale_leaseback_financing"] is True
    body = client.get(f"/api/v1/leasing/leases/{plain.id}", headers=world.headers["mso_finance"]).get_json()
    assert body["classification"]["sale_leaseback_financing"] is False
    listed = client.get("/api/v1/leasing/leases", headers=world.headers["mso_finance"]).get_json()
    assert {row["id"]: row["classification"]["sale_leaseback_financing"] for row in listed} == {
        lease.id: True, plain.id: False}


def test_the_classification_takes_a_or_an(pages, world):
    operating = LeaseFactory(practice_id=world.practice.id, commences_on=LATER, classification="operating")
    sales = LeaseFactory(practice_id=world.practice.id, commences_on=LATER)
    page = pages.as_("mso_finance")
    assert "this is an operating lease" in text_of(page.get(f"/console/leasing/leases/{operating.id}")
                                                   .get_data(as_text=True))
    assert "this is a sales-type lease" in text_of(page.get(f"/console/leasing/leases/{sales.id}")
                                                   .get_data(as_text=True))


def test_sign_and_withdraw_confirmations_name_the_equipment_practice_and_amounts(pages, world):
    lease = LeaseFactory(practice_id=world.practice.id, commences_on=LATER, asset=AssetFactory(description="Exam chair",
                                                                                               clinical=False))
    rent = f"${lease.rent_cents / 100:,.2f}"
    total = f"${lease.rent_cents * 60 / 100:,.2f}"
    html = unescape(pages.as_("practice_admin").get(f"/leasing/leases/{lease.id}").get_data(as_text=True))
    assert (f'data-confirm="Sign lease {lease.id} of Exam chair for {world.practice.name}? {rent} a month for '
            f"60 months ({total} in all), {rent} due at signing.") in html
    html = unescape(pages.as_("mso_finance").get(f"/console/leasing/leases/{lease.id}").get_data(as_text=True))
    assert (f"data-confirm=\"Withdraw lease {lease.id}'s offer of Exam chair to {world.practice.name} "
            f"({rent} a month for 60 months)? It can no longer be signed.\"") in html


def test_the_payoff_page_says_the_payoff_in_words(pages, world):
    lease = signed_lease(practice_id=world.practice.id, commences_on=TODAY)
    text = text_of(pages.as_("mso_finance").get(f"/console/leasing/leases/{lease.id}/buyout").get_data(as_text=True))
    assert "balance_t" not in text
    assert "the payoff is the balance the MSO still finances after the months already ended, plus the early " \
           "termination fee" in text


def test_wide_lease_tables_scroll_on_narrow_screens(pages, world):
    lease = signed_lease(practice_id=world.practice.id, commences_on=TODAY)
    for who, path in (("practice_admin", "/leasing"), ("practice_admin", f"/leasing/leases/{lease.id}"),
                      ("mso_finance", "/console/leasing/leases"), ("mso_finance", f"/console/leasing/leases/{lease.id}")):
        html = pages.as_(who).get(path).get_data(as_text=True)
        assert html.count("<table") == html.count('class="table-wrap"'), path


# --- the suite page ----------------------------------------------------------------------------


def suite_billed(world):
    space = SpaceFactory(name="Suite 200")
    OccupancyFactory(space=space, practice_id=world.practice.id, square_feet=1200)
    OccupancyFactory(space=space, practice_id=world.other_practice.id, square_feet=800)
    month = TODAY.strftime("%Y-%m")
    numbered = InvoiceFactory(practice_id=world.practice.id, kind="lease", issued=True,
                              source_key=spaces.source_key(space.id, month, world.practice.id))
    InvoiceFactory(practice_id=world.other_practice.id, kind="lease",
                   source_key=spaces.source_key(space.id, month, world.other_practice.id))
    db.session.commit()
    return space, numbered


def test_the_suite_page_names_share_invoices_by_number_and_links_them_only_for_invoice_readers(pages, world):
    space, numbered = suite_billed(world)
    path = f"/console/leasing/spaces/{space.id}"
    html = pages.as_("mso_finance").get(path).get_data(as_text=True)
    assert f">{numbered.number}</a>" in html and ">draft invoice</a>" in html and "invoice 1<" not in html
    html = pages.as_("mso_procurement").get(path).get_data(as_text=True)
    assert "/console/invoices/" not in html
    assert numbered.number in text_of(html) and "draft invoice" in text_of(html)


def test_occupancy_messages_name_the_practice_and_dates_in_words(pages, world):
    space = SpaceFactory(name="Suite 200")
    OccupancyFactory(space=space, practice_id=world.practice.id, square_feet=500, starts_on=dt.date(2024, 11, 1))
    db.session.commit()
    page = pages.as_("mso_finance")
    url = f"/console/leasing/spaces/{space.id}/occupancies"
    response = page.post(url, {"practice_id": world.practice.id, "square_feet": "100", "starts_on": "2027-01-10"})
    assert response.status_code == 409
    text = text_of(response.get_data(as_text=True))
    assert f"{world.practice.name} already occupies Suite 200 from Nov 1, 2024 with no end" in text
    assert "practice " + str(world.practice.id) not in text
    response = page.post(url, {"practice_id": world.other_practice.id, "square_feet": "100",
                               "starts_on": "2027-01-10", "ends_on": "2027-01-01"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="f-ends_on-error">before the first day, Jan 10, 2027<' in html
    assert "starts_on" not in text_of(html)
