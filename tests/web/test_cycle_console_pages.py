"""The console's cycles, tier dashboard and purchase orders without a browser: the
calendar (schedule, open, close) for procurement, the roles that only see it, bad
input refused at the field with nothing written, the close's progress and results in
exact cents (the API's figures), the tier dashboard's order and its query count, the
purchase orders with filters, and what waits on procurement's start page."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from gpo.accounts.models import DEFAULT_TIME_ZONE
from gpo.db import db, utcnow
from gpo.jobs import Job
from gpo.orders import tier_progress
from gpo.orders.models import Cycle, PurchaseOrder
from tests.factories import ContractFactory, OrderFactory, ProductFactory
from tests.pages import Statements, same_count, text_of
from tests.scenarios import Billing


@pytest.fixture
def billing(client, world, run_jobs):
    """An open cycle, Acme's contract (tiers at 100 and 250 units); Lakeside orders 60
    gloves, Riverbend 50: 110 units reach 10% off, gloves at $17.9910."""
    market = Billing(client, world, run_jobs)
    assert market.order([(market.gloves, 60)]).status_code == 201
    assert market.order([(market.gloves, 50)], who="other_practice_admin",
                        location=market.other_location).status_code == 201
    return market


def _html(response) -> str:
    return response.get_data(as_text=True)


def _cycles() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Cycle.id)))


def _cycle(cycle_id: int) -> Cycle:
    db.session.expire_all()
    return db.session.get(Cycle, cycle_id)


# --- who sees the console's cycles ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/console/cycles", "/console/tier-dashboard", "/console/purchase-orders"])
def test_practice_and_vendor_users_get_404_and_no_session_goes_to_sign_in(pages, billing, path):
    assert pages.as_("practice_admin").get(path).status_code == 404
    assert pages.as_("vendor_admin").get(path).status_code == 404
    response = pages.anonymous().get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_cycle_list_shows_status_in_words_and_offers_procurement_the_calendar(pages, billing):
    page = pages.as_("mso_procurement")
    response = page.get("/console/cycles")
    text = text_of(_html(response))
    assert response.status_code == 200
    assert billing.cycle.name in text and "open for orders" in text
    assert "Schedule cycle" in text and "Close now" in text
    nav = _html(response)
    assert 'href="/console/cycles"' in nav and 'href="/console/purchase-orders"' in nav
    assert 'href="/console/tier-dashboard"' in nav
    refused = page.get("/console/cycles?status=done")
    assert refused.status_code == 422 and 'id="f-status-error"' in _html(refused)


@pytest.mark.parametrize("who", ["mso_finance", "mso_scheduler"])
def test_other_mso_roles_see_the_cycles_but_not_the_actions_and_posting_is_403(pages, billing, world, who):
    if who == "mso_scheduler":
        from tests.factories import UserFactory

        UserFactory(organization_id=world.mso.id, roles=["mso_scheduler"], email="mso_scheduler@example.test")
        page = pages.sign_in("mso_scheduler@example.test")
    else:
        page = pages.as_(who)
    text = text_of(_html(page.get("/console/cycles")))
    assert billing.cycle.name in text
    assert "Only MSO procurement and MSO admins schedule, open and close cycles." in text
    assert "Schedule cycle" not in text and "Close now" not in text
    cycle_text = text_of(_html(page.get(f"/console/cycles/{billing.cycle.id}")))
    assert "Close the cycle" not in cycle_text and "Only MSO procurement" in cycle_text
    before = _cycles()
    assert page.post("/console/cycles", {"name": "X", "opens_at": "2030-01-01T08:00",
                                         "closes_at": "2030-01-08T08:00"}).status_code == 403
    assert page.post(f"/console/cycles/{billing.cycle.id}/close").status_code == 403
    assert _cycles() == before
    cycle = _cycle(billing.cycle.id)
    assert cycle.status == "open" and cycle.close_job_id is None


# --- schedule and open ------------------------------------------------------------------


def test_procurement_schedules_a_cycle_in_the_consoles_time_zone(pages, billing):
    page = pages.as_("mso_procurement")
    page.get("/console/cycles")
    response = page.post("/console/cycles", {"name": "January 2030", "opens_at": "2030-01-02T08:00",
                                             "closes_at": "2030-01-09T17:30"})
    assert response.status_code == 302, text_of(_html(response))[:500]
    made = db.session.scalars(select(Cycle).where(Cycle.name == "January 2030")).one()
    assert made.status == "scheduled"
    zone = ZoneInfo(DEFAULT_TIME_ZONE)  # MSO staff read times in the default zone
    assert made.opens_at.replace(tzinfo=dt.timezone.utc) == dt.datetime(2030, 1, 2, 8, 0, tzinfo=zone)
    assert made.closes_at.replace(tzinfo=dt.timezone.utc) == dt.datetime(2030, 1, 9, 17, 30, tzinfo=zone)
    text = text_of(_html(page.get(response.headers["Location"])))
    assert "Cycle January 2030 is scheduled" in text and "scheduled" in text


@pytest.mark.parametrize("form, field, message", [
    ({"name": "Bad", "opens_at": "2030-01-09T08:00", "closes_at": "2030-01-02T08:00"}, "closes_at", "must be after opens_at"),
    ({"opens_at": "2030-01-02T08:00", "closes_at": "2030-01-09T08:00"}, "name", "Missing data for required field."),
    ({"name": "Bad", "opens_at": "next tuesday", "closes_at": "2030-01-09T08:00"}, "opens_at", "Not a valid datetime."),
    ({"name": "Bad", "opens_at": "2030-03-10T02:30", "closes_at": "2030-03-19T08:00"}, "opens_at", "does not exist"),
])
def test_a_bad_schedule_is_refused_at_its_field_and_nothing_is_written(pages, billing, form, field, message):
    page = pages.as_("mso_procurement")
    before = _cycles()
    response = page.post("/console/cycles", form)
    html = _html(response)
    assert response.status_code == 422
    assert f'id="f-{field}" name="{field}"' in html and f'id="f-{field}-error"' in html
    assert 'aria-invalid="true"' in html and message in text_of(html)
    assert _cycles() == before


def test_a_duplicate_name_is_a_409_at_the_form(pages, billing):
    page = pages.as_("mso_procurement")
    response = page.post("/console/cycles", {"name": billing.cycle.name, "opens_at": "2030-01-02T08:00",
                                             "closes_at": "2030-01-09T08:00"})
    assert response.status_code == 409 and "already exists" in text_of(_html(response))


def test_opening_a_second_cycle_while_one_is_open_is_refused_with_the_reason(pages, billing):
    page = pages.as_("mso_procurement")
    page.post("/console/cycles", {"name": "Next", "opens_at": "2030-01-02T08:00", "closes_at": "2030-01-09T08:00"})
    scheduled = db.session.scalars(select(Cycle).where(Cycle.name == "Next")).one()
    response = page.post(f"/console/cycles/{scheduled.id}/open")
    assert response.status_code == 409
    assert "another cycle is open: close it first" in text_of(_html(response))
    assert _cycle(scheduled.id).status == "scheduled"
    assert pages.as_("mso_finance").post(f"/console/cycles/{scheduled.id}/open").status_code == 403


def test_open_now_opens_a_scheduled_cycle(pages, world, db_ctx):
    scheduled = Cycle(name="Soon", opens_at=utcnow() + dt.timedelta(days=1), closes_at=utcnow() + dt.timedelta(days=8),
                      status="scheduled")
    db.session.add(scheduled)
    db.session.commit()
    page = pages.as_("mso_admin")
    assert "Open now" in text_of(_html(page.get("/console/cycles")))
    response = page.post(f"/console/cycles/{scheduled.id}/open")
    assert response.status_code == 302
    assert _cycle(scheduled.id).status == "open"
    assert "Cycle Soon is open" in text_of(_html(page.get(response.headers["Location"])))


# --- the close and its results ----------------------------------------------------------


def test_closing_shows_the_jobs_progress_then_the_results_in_exact_cents(pages, billing, world, client, run_jobs):
    page = pages.as_("mso_procurement")
    cycle_id = billing.cycle.id
    before = text_of(_html(page.get(f"/console/cycles/{cycle_id}")))
    assert "The close has not been asked for" in before and "Close the cycle" in before
    response = page.post(f"/console/cycles/{cycle_id}/close")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/console/cycles/{cycle_id}")
    job = run_jobs(_cycle(cycle_id).close_job_id)
    assert job.status == "finished"
    html = _html(page.get(f"/console/cycles/{cycle_id}"))
    text = text_of(html)
    assert f"Closing the cycle (job {job.id}): finished" in text and 'role="status"' in html
    assert "hx-get" not in html  # an ended job is not polled
    assert "The close made 1 purchase order worth $1,979.01" in text
    # the API's results, figure for figure: 110 units at 10% off
    api = client.get(f"/api/v1/cycles/{cycle_id}/results", headers=world.headers["mso_procurement"]).get_json()
    assert [(r["volume"], r["list_cents"], r["paid_cents"], r["savings_cents"]) for r in api] == [
        (110, 219890, 197901, 21989)]
    row = text.split("Results per contract", 1)[1]
    assert f"{billing.contract.title} Acme 110 units tier 1: 10% off (from 100 units) $2,198.90 $1,979.01 $219.89" in row
    assert "Total $2,198.90 $1,979.01 $219.89" in row
    assert f'href="/console/purchase-orders?cycle_id={cycle_id}"' in html
    # closing again is harmless: the same job
    page.post(f"/console/cycles/{cycle_id}/close")
    assert _cycle(cycle_id).close_job_id == job.id


def test_a_colleagues_close_is_followed_with_its_job_and_result(pages, billing, world, run_jobs):
    """MSO staff follow the MSO's own jobs (gpo.jobs.get_job): a second procurement
    user sees the close another asked for, its job and the results."""
    from tests.factories import UserFactory

    pages.as_("mso_procurement").post(f"/console/cycles/{billing.cycle.id}/close")
    job_id = _cycle(billing.cycle.id).close_job_id
    assert run_jobs(job_id).status == "finished"
    UserFactory(organization_id=world.mso.id, roles=["mso_procurement"], email="colleague@example.test")
    db.session.commit()
    html = _html(pages.sign_in("colleague@example.test").get(f"/console/cycles/{billing.cycle.id}"))
    assert f"Closing the cycle (job {job_id}): finished" in text_of(html)
    assert "hx-get" not in html and "Results per contract" in text_of(html)


def test_a_close_still_running_is_polled_by_the_page(pages, billing, world):
    cycle = db.session.get(Cycle, billing.cycle.id)
    job = Job(kind="orders.close_cycle", status="started", args={"cycle_id": cycle.id}, organization_id=world.mso.id,
              created_by=f"user:{world.users['mso_procurement'].id}", attempts=1, started_at=utcnow())
    db.session.add(job)
    db.session.flush()
    cycle.status, cycle.close_job_id = "closing", job.id
    db.session.commit()
    page = pages.as_("mso_admin")
    html = _html(page.get(f"/console/cycles/{cycle.id}"))
    assert f'hx-get="/jobs/{job.id}/progress?label=Closing+the+cycle"' in html
    assert "closing: orders are refused" in text_of(html) and "running" in text_of(html)


def test_a_cycle_that_does_not_exist_is_404(pages, billing):
    assert pages.as_("mso_procurement").get("/console/cycles/999999").status_code == 404


# --- the tier dashboard -------------------------------------------------------------------


def _near_market(world):
    """Three contracts of Acme in effect: A at 95 of 100 units (5% to go), B at 10 of
    100 (90%), C at its top tier; plus a contract still in negotiation (left out)."""
    made = {}
    for key, units in (("A", 95), ("B", 10), ("C", 300)):
        product = ProductFactory(vendor_id=world.vendor.id, list_price=D("10.00"))
        tiers = [{"min_volume": 0, "discount_percent": "0", "item_prices": {}},
                 {"min_volume": 100, "discount_percent": "5", "item_prices": {}}]
        if key != "C":
            tiers.append({"min_volume": 500, "discount_percent": "8", "item_prices": {}})
        contract = ContractFactory(vendor_id=world.vendor.id, tiers=tiers, products=[product], title=f"Contract {key}")
        OrderFactory(location=world.location, items=[(product, units)])
        made[key] = contract
    return made


def test_the_tier_dashboard_sorts_contracts_by_how_close_they_are_to_their_next_tier(pages, world, db_ctx):
    from tests.factories import CycleFactory

    CycleFactory()
    made = _near_market(world)
    db.session.commit()
    text = text_of(_html(pages.as_("mso_finance").get("/console/tier-dashboard")))
    a, b, c = (text.index(f"Contract {k}") for k in "ABC")
    assert a < b < c
    assert "Contract A Acme 95 units 0% off (from 0 units) 5% off from 100 units 5 units (5.0% to go)" in text
    assert "top tier reached" in text
    # $10.00 × 95 at 0% = $950.00; at 5% off $9.50 × 95 = $902.50: $47.50 saved at the next tier
    assert "$47.50" in text
    dashboard = tier_progress.tier_dashboard(world_principal(world, "mso_procurement"))
    assert [row.contract.id for row in dashboard.rows] == [made["A"].id, made["B"].id, made["C"].id]
    # each row is what GET /contracts/{id}/tier-progress says
    for row in dashboard.rows:
        assert row.progress == tier_progress.tier_progress(world_principal(world, "mso_procurement"),
                                                           row.contract.id, dashboard.cycle.id)


def world_principal(world, name):
    from gpo.auth.services import principal_for_user

    return principal_for_user(world.users[name])


def test_the_tier_dashboard_without_an_open_cycle_says_so(pages, world, db_ctx):
    text = text_of(_html(pages.as_("mso_procurement").get("/console/tier-dashboard")))
    assert "No cycle is open" in text


def test_the_tier_dashboard_sends_as_many_statements_for_many_contracts_as_for_few(pages, world, db_ctx):
    from tests.factories import CycleFactory

    CycleFactory()
    _near_market(world)
    same_count(Statements(pages.as_("mso_procurement")), "/console/tier-dashboard", lambda: _near_market(world))


# --- what waits for procurement -----------------------------------------------------------


def test_procurements_start_page_says_when_the_cycle_closes_and_which_contracts_are_near_a_tier(pages, world, db_ctx):
    from tests.factories import CycleFactory

    cycle = CycleFactory(name="Spring")
    _near_market(world)
    db.session.commit()
    html = _html(pages.as_("mso_procurement").get("/console"))
    text = text_of(html)
    assert "Cycle Spring closes" in text and f'href="/console/cycles/{cycle.id}"' in html
    assert "1 contract within 10% of its next tier" in text and 'href="/console/tier-dashboard"' in html
    assert "Cycle Spring closes" not in text_of(_html(pages.as_("mso_finance").get("/console")))


# --- purchase orders ------------------------------------------------------------------------


@pytest.fixture
def closed(billing):
    billing.close()
    return db.session.scalars(select(PurchaseOrder)).one()


def test_the_purchase_orders_list_filters_by_vendor_cycle_and_status(pages, billing, closed, world):
    page = pages.as_("mso_finance")
    text = text_of(_html(page.get("/console/purchase-orders")))
    assert f"PO {closed.id}" in text and "Acme" in text and "waiting for the vendor's acknowledgement" in text
    assert "110" in text and "$1,979.01" in text
    assert f"PO {closed.id}" in text_of(_html(page.get(
        f"/console/purchase-orders?vendor_id={world.vendor.id}&cycle_id={billing.cycle.id}&status=awaiting_acknowledgement")))
    assert "No purchase order matches these filters" in text_of(_html(page.get(
        f"/console/purchase-orders?vendor_id={world.other_vendor.id}")))
    assert "No purchase order matches" in text_of(_html(page.get("/console/purchase-orders?status=shipped")))
    refused = page.get("/console/purchase-orders?status=lost")
    assert refused.status_code == 422 and 'id="f-status-error"' in _html(refused)
    assert page.get("/console/purchase-orders?vendor_id=abc").status_code == 422


def test_a_purchase_order_shows_each_lines_acknowledgement_and_shipping_per_location(pages, billing, closed, world, client):
    lines = {line.location_id: line for line in closed.lines}
    ack = client.post(f"/api/v1/purchase-orders/{closed.id}/acknowledge", headers=world.headers["vendor_key"], json={
        "lines": [{"line_id": lines[world.location.id].id, "accepted_quantity": 58}]})
    assert ack.status_code == 200, ack.get_data(as_text=True)
    shipped = client.post(f"/api/v1/purchase-orders/{closed.id}/shipments", headers=world.headers["vendor_key"], json={
        "carrier": "UPS", "tracking_number": "1Z999AA10123456784",
        "lines": [{"line_id": lines[world.location.id].id, "location_id": world.location.id, "quantity": 58}]})
    assert shipped.status_code == 201, shipped.get_data(as_text=True)
    text = text_of(_html(pages.as_("mso_procurement").get(f"/console/purchase-orders/{closed.id}")))
    assert f"Ship to {world.location.name}, Lakeside" in text
    assert "58 accepted, 2 rejected 58 0" in text and "everything accepted has shipped" in text
    assert "Tracking: UPS 1Z999AA10123456784" in text
    assert f"Ship to {billing.other_location.name}, Riverbend" in text and "awaiting acknowledgement 0 0" in text
    assert "$1,043.48" in text  # 58 × $17.9910
    assert "58 × " in text and f"to {world.location.name}" in text
    assert pages.as_("practice_admin").get(f"/console/purchase-orders/{closed.id}").status_code == 404
    assert pages.as_("mso_procurement").get("/console/purchase-orders/999999").status_code == 404


def test_the_purchase_orders_page_sends_as_many_statements_for_many_as_for_few(pages, billing, closed, world):
    def grow():
        for i in range(3):
            cycle = Cycle(name=f"Old {i}", opens_at=utcnow() - dt.timedelta(days=40 + i),
                          closes_at=utcnow() - dt.timedelta(days=30 + i), status="closed")
            db.session.add(cycle)
            db.session.flush()
            po = PurchaseOrder(cycle_id=cycle.id, contract_id=billing.contract.id, vendor_id=world.vendor.id)
            db.session.add(po)
            db.session.flush()
            from gpo.orders.models import PurchaseOrderLine

            db.session.add(PurchaseOrderLine(purchase_order_id=po.id, product_id=billing.gloves.id,
                                             location_id=world.location.id, quantity=5, unit_price=D("19.99"),
                                             line_cents=9995))

    same_count(Statements(pages.as_("mso_procurement")), "/console/purchase-orders", grow)
