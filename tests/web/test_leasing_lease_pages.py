"""The lease pages without a browser: the storefront's leasing page and a lease's page
with "Sign lease" (clinical equipment: a physician, CPOM), the console's lease list,
offer form (money in dollars, errors at the field) and lease page with "Withdraw
offer"; what other roles, practices and faces get (403, 404), each refusal writing
nothing."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from gpo.billing.models import Invoice
from gpo.db import db, utcnow
from gpo.leasing.models import Lease
from tests.factories import AssetFactory, LeaseFactory, signed_lease
from tests.pages import text_of

TODAY = utcnow().date()
LATER = TODAY + dt.timedelta(days=40)


def lease_row(lease_id: int) -> Lease:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Lease, lease_id)


def invoices() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(Invoice.id)))


def field_error(html: str, name: str) -> str:
    """The message shown at the form's field `name` (its aria-describedby target)."""
    match = re.search(rf'<p class="field-error" id="f-{name}-error">([^<]*)</p>', html)
    assert match, f"no error at {name}: {text_of(html)[:800]}"
    return match.group(1)


# --- the storefront --------------------------------------------------------------------


def test_the_leasing_page_shows_offers_active_leases_and_ended_ones(pages, world):
    offer = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(description="Portable ultrasound"))
    active = signed_lease(practice_id=world.practice.id, asset=AssetFactory(description="Exam chair", clinical=False),
                          commences_on=TODAY)
    withdrawn = LeaseFactory(practice_id=world.practice.id, status="withdrawn", end_reason="x",
                             asset=AssetFactory(description="Old X-ray"))
    LeaseFactory(practice_id=world.other_practice.id, asset=AssetFactory(description="Riverbend's autoclave"))
    response = pages.as_("practice_buyer").get("/leasing")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert '<a href="/leasing" aria-current="page">Leasing</a>' in html
    assert f"Portable ultrasound Clinical 60 months at 8% ${offer.rent_cents / 100:,.2f}" in text
    assert f"Review lease {offer.id}" in text
    # the first rent (month 1) is due a month after commencement; nothing passed yet
    row = active.schedule[0]
    assert f"${row.rent_cents / 100:,.2f} due" in text and "0 of 60 months passed" in text
    balance = active.cost_cents - active.rent_cents  # one rent paid in advance
    assert f"${balance / 100:,.2f}" in text
    assert f"Lease {withdrawn.id} : Old X-ray, withdrawn" in text
    assert "Riverbend" not in text


def test_a_non_physician_is_not_offered_the_signing_of_clinical_equipment(pages, world):
    lease = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(description="Portable ultrasound"))
    page = pages.as_("practice_admin")
    html = page.get(f"/leasing/leases/{lease.id}").get_data(as_text=True)
    text = text_of(html)
    assert "A physician of the practice signs leases of clinical equipment." in text
    assert "Sign lease</button>" not in html
    assert "60 months" in text and "The schedule: 60 months (fixed when the lease is signed)" in text
    refused = page.post(f"/leasing/leases/{lease.id}/sign")
    assert refused.status_code == 403 and "CPOM" in text_of(refused.get_data(as_text=True))
    assert lease_row(lease.id).status == "offered" and invoices() == 0
    buyer = pages.as_("practice_buyer")
    assert "A practice admin or physician signs" in text_of(buyer.get(f"/leasing/leases/{lease.id}").get_data(as_text=True))
    assert buyer.post(f"/leasing/leases/{lease.id}/sign").status_code == 403


def test_the_physician_signs_and_sees_the_commencement_invoice(pages, world):
    lease = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(description="Portable ultrasound"),
                         commences_on=LATER)
    page = pages.as_("practice_physician")
    html = page.get(f"/leasing/leases/{lease.id}").get_data(as_text=True)
    assert "Sign lease</button>" in html and 'data-confirm="Sign lease' in html
    rent = f"${lease.rent_cents / 100:,.2f}"
    assert f"The rent is {rent} a month for 60 months" in text_of(html)
    response = page.post(f"/leasing/leases/{lease.id}/sign")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/leasing/leases/{lease.id}")
    text = text_of(page.get(f"/leasing/leases/{lease.id}").get_data(as_text=True))
    assert f"Lease {lease.id} is signed" in text and f"The commencement invoice ({rent}) is issued." in text
    invoice = db.session.scalars(select(Invoice)).one()
    assert f"Commencement invoice {invoice.number} : {rent}, due {LATER:%b} {LATER.day}, {LATER.year} (open" in text
    assert lease_row(lease.id).status == "active"
    # a second signing from the stale page: 409 shown on the lease
    again = page.post(f"/leasing/leases/{lease.id}/sign")
    assert again.status_code == 409 and "a lease is signed once" in text_of(again.get_data(as_text=True))
    assert invoices() == 1


def test_an_admin_signs_office_equipment(pages, world):
    lease = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(description="Copier", clinical=False))
    page = pages.as_("practice_admin")
    assert "Sign lease</button>" in page.get(f"/leasing/leases/{lease.id}").get_data(as_text=True)
    assert page.post(f"/leasing/leases/{lease.id}/sign").status_code == 302
    assert lease_row(lease.id).signed_by == "practice_admin@example.test"


def test_an_offer_past_its_commencement_says_to_ask_for_a_new_one(pages, world):
    lease = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(clinical=False))
    lease.commences_on = TODAY - dt.timedelta(days=1)
    db.session.commit()
    page = pages.as_("practice_admin")
    html = page.get(f"/leasing/leases/{lease.id}").get_data(as_text=True)
    assert "ask MSO finance for a new offer" in text_of(html) and "Sign lease</button>" not in html
    assert page.post(f"/leasing/leases/{lease.id}/sign").status_code == 409
    assert lease_row(lease.id).status == "offered"


def test_another_practice_and_other_faces_get_404(pages, world):
    lease = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(clinical=False))
    other = pages.as_("other_practice_admin")
    assert other.get(f"/leasing/leases/{lease.id}").status_code == 404
    assert other.post(f"/leasing/leases/{lease.id}/sign").status_code == 404
    assert "No lease offer is waiting for your practice." in text_of(other.get("/leasing").get_data(as_text=True))
    assert pages.as_("mso_finance").get(f"/leasing/leases/{lease.id}").status_code == 404
    assert pages.as_("vendor_admin").get("/leasing").status_code == 404
    assert pages.as_("practice_admin").get("/console/leasing/leases").status_code == 404
    assert pages.as_("vendor_admin").get(f"/console/leasing/leases/{lease.id}").status_code == 404
    assert lease_row(lease.id).status == "offered"


# --- the console -----------------------------------------------------------------------


def test_the_console_lists_leases_with_filters_and_the_waiting_offers(pages, world):
    offer = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(description="Portable ultrasound"))
    active = signed_lease(practice_id=world.other_practice.id, asset=AssetFactory(description="Exam chair"))
    page = pages.as_("mso_finance")
    text = text_of(page.get("/console/leasing/leases").get_data(as_text=True))
    assert "2 leases" in text and f"Lease {offer.id} Portable ultrasound Clinical Lakeside" in text
    assert f"Lease {active.id} Exam chair Clinical Riverbend" in text and "waiting for signature" in text
    filtered = text_of(page.get("/console/leasing/leases?status=active").get_data(as_text=True))
    assert "1 lease matching the filters" in filtered and "Portable ultrasound" not in filtered
    by_practice = text_of(page.get(f"/console/leasing/leases?practice_id={world.practice.id}").get_data(as_text=True))
    assert "Portable ultrasound" in by_practice and "Exam chair" not in by_practice
    assert page.get("/console/leasing/leases?status=nonsense").status_code == 200
    start = text_of(page.get("/console").get_data(as_text=True))
    assert "1 lease offer waiting for a practice's signature" in start
    html = page.get(f"/console/leasing/leases/{active.id}").get_data(as_text=True)
    assert "The schedule: 60 months" in text_of(html) and "Withdraw offer" not in html


def test_finance_offers_a_lease_from_the_console_form_in_dollars(pages, world):
    asset = AssetFactory(description="Office copier", clinical=False, cost_cents=2200000)
    page = pages.as_("mso_finance")
    form = page.get(f"/console/leasing/leases/new?asset_id={asset.id}&practice_id={world.practice.id}")
    html = form.get_data(as_text=True)
    assert f'<option value="{asset.id}" selected>' in html and f'<option value="{world.practice.id}" selected>' in html
    body = {"asset_id": asset.id, "practice_id": world.practice.id, "term_months": "48", "annual_rate_percent": "15",
            "residual": "$6,600.00", "down_payment": "0", "advance_payments": "4", "commences_on": LATER.isoformat()}
    response = page.post("/console/leasing/leases", body)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:800]
    lease = db.session.scalars(select(Lease)).one()
    assert response.headers["Location"].endswith(f"/console/leasing/leases/{lease.id}")
    assert (lease.residual_cents, lease.rent_cents, lease.offered_by) == (660000, 48729, "mso_finance@example.test")
    text = text_of(page.get(f"/console/leasing/leases/{lease.id}").get_data(as_text=True))
    assert "$487.29 a month" in text and "Withdraw offer" in text


def test_the_console_form_takes_cents_too(pages, world):
    """The asset comparison page posts a quote's cents as they are."""
    asset = AssetFactory(clinical=False, cost_cents=2200000)
    response = pages.as_("mso_admin").post("/console/leasing/leases", {
        "asset_id": asset.id, "practice_id": world.practice.id, "term_months": "48", "annual_rate_percent": "15",
        "residual_cents": "660000", "down_payment_cents": "0", "advance_payments": "4",
        "commences_on": LATER.isoformat()})
    assert response.status_code == 302
    assert db.session.scalars(select(Lease)).one().rent_cents == 48729


def test_a_refused_offer_shows_each_error_at_its_field_and_writes_nothing(pages, world):
    asset = AssetFactory(clinical=False, cost_cents=2200000)
    page = pages.as_("mso_finance")
    body = {"asset_id": asset.id, "practice_id": world.practice.id, "term_months": "48", "annual_rate_percent": "15",
            "residual": "12.345", "down_payment": "30,000.00", "advance_payments": "4",
            "commences_on": (TODAY - dt.timedelta(days=1)).isoformat()}
    response = page.post("/console/leasing/leases", body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "at most 2 decimal places" in field_error(html, "residual")
    body["residual"] = "6600"
    html = page.post("/console/leasing/leases", body).get_data(as_text=True)
    assert field_error(html, "down_payment") and field_error(html, "commences_on")
    assert 'value="30,000.00"' in html  # what was typed comes back
    signed_lease(asset=asset, practice_id=world.other_practice.id)
    body.update(down_payment="0", commences_on=LATER.isoformat())
    conflict = page.post("/console/leasing/leases", body)
    assert conflict.status_code == 409 and "until" in text_of(conflict.get_data(as_text=True))
    db.session.commit()
    assert db.session.scalar(select(func.count(Lease.id))) == 1


def test_only_finance_offers_and_withdraws_from_the_console(pages, world):
    asset = AssetFactory(clinical=False)
    lease = LeaseFactory(practice_id=world.practice.id, asset=asset)
    page = pages.as_("mso_procurement")
    assert "Only MSO finance (or an MSO admin) offers leases" in text_of(
        page.get("/console/leasing/leases/new").get_data(as_text=True))
    assert page.post("/console/leasing/leases", {"asset_id": asset.id}).status_code == 403
    html = page.get(f"/console/leasing/leases/{lease.id}").get_data(as_text=True)
    assert "Only MSO finance (or an MSO admin) withdraws" in text_of(html) and "Withdraw offer</button>" not in html
    assert page.post(f"/console/leasing/leases/{lease.id}/withdraw", {"reason": "x"}).status_code == 403
    assert pages.as_("mso_finance").post("/console/leasing/leases/999999/withdraw", {"reason": "x"}).status_code == 404
    assert lease_row(lease.id).status == "offered"


def test_finance_withdraws_an_offer_with_its_reason(pages, world):
    lease = LeaseFactory(practice_id=world.practice.id, asset=AssetFactory(clinical=False))
    page = pages.as_("mso_finance")
    html = page.get(f"/console/leasing/leases/{lease.id}").get_data(as_text=True)
    assert 'data-confirm="Withdraw lease' in html
    refused = page.post(f"/console/leasing/leases/{lease.id}/withdraw", {})
    assert refused.status_code == 422 and field_error(refused.get_data(as_text=True), "reason")
    assert lease_row(lease.id).status == "offered"
    done = page.post(f"/console/leasing/leases/{lease.id}/withdraw", {"reason": "a 36-month offer follows"})
    assert done.status_code == 302
    row = lease_row(lease.id)
    assert (row.status, row.end_reason) == ("withdrawn", "a 36-month offer follows")
    again = page.post(f"/console/leasing/leases/{lease.id}/withdraw", {"reason": "again"})
    assert again.status_code == 409
