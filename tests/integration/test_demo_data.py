"""What `flask gpo seed-demo` leaves for the storefront: every page has something real
to show to Lakeside's users (README "Demo users"), and a second run adds nothing."""
import datetime as dt

from sqlalchemy import func, select

from gpo.accounts.models import Organization, Practice
from gpo.billing import reports
from gpo.billing.models import Credit, Invoice, Rebate
from gpo.contracts.models import Contract
from gpo.db import db, utcnow
from gpo.demo.common import principal_of
from gpo.demo.history import history_cycles
from gpo.leasing import spaces as leasing_spaces
from gpo.leasing.models import Asset, Lease, LeaseScheduleRow, Space
from gpo.orders import tier_progress
from gpo.orders.models import Cycle, Order, PurchaseOrder, Shipment

COUNTED = (Organization, Contract, Cycle, Order, PurchaseOrder, Shipment, Invoice, Rebate, Credit, Asset, Lease,
           LeaseScheduleRow, Space)


def _counts() -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def _month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def test_seed_demo_gives_lakeside_a_storefront_to_see_and_adds_nothing_the_second_time(app, db_ctx, rq_worker):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["gpo", "seed-demo"])
    assert first.exit_code == 0, first.output
    counts = _counts()
    again = runner.invoke(args=["gpo", "seed-demo"])
    assert again.exit_code == 0, again.output
    assert _counts() == counts

    lakeside = db.session.scalars(select(Practice).where(Organization.name == "Lakeside Family Medicine")).one()
    northside = db.session.scalars(select(Practice).where(Organization.name == "Northside Orthopedics")).one()
    today = utcnow().date()
    this_month = today.replace(day=1)

    # Savings history: four cycles closed in four past months, each with priced orders
    # invoiced and its invoices issued that month; the savings report has list > paid in each.
    history = history_cycles()
    assert len(history) == 4
    months = sorted({c.closed_at.date().replace(day=1) for c in history})
    assert len(months) == 4 and months[-1] < this_month
    admin = principal_of("admin@lakeside.example")
    for cycle in history:
        assert cycle.status == "closed" and cycle.opens_at < cycle.closes_at < cycle.closed_at
        assert cycle.closed_at.date().replace(day=1) == cycle.opens_at.date().replace(day=1)
        invoice = db.session.scalars(select(Invoice).where(
            Invoice.cycle_id == cycle.id, Invoice.practice_id == lakeside.id, Invoice.kind == "purchasing")).one()
        assert invoice.status in ("open", "paid") and invoice.number
        assert invoice.issued_on.replace(day=1) == cycle.closed_at.date().replace(day=1)
        statuses = set(db.session.scalars(select(Order.status).where(Order.cycle_id == cycle.id)))
        assert statuses == {"invoiced"}
        assert db.session.scalar(select(func.count(Shipment.id)).join(PurchaseOrder).where(
            PurchaseOrder.cycle_id == cycle.id, Shipment.tracking_number != "")) > 0
    for first_day in months + [this_month]:
        report = reports.savings_report(admin, None, first_day, _month_end(first_day))
        assert report["list_cents"] > report["paid_cents"] > 0, first_day

    # The contracts waiting for an answer start in the future (accepting one reads
    # "in effect from" a date to come): Bolt's IT refresh on the first of next month.
    refresh = db.session.scalars(select(Contract).where(Contract.title == "Practice IT refresh")).one()
    assert refresh.starts_on == (this_month + dt.timedelta(days=32)).replace(day=1)
    assert refresh.status_on(today) == "negotiating"
    renewal = db.session.scalars(select(Contract).where(Contract.title == "Exam gloves and gauze renewal")).one()
    assert renewal.starts_on > today

    # The open cycle: tier progress on several contracts, each short of its next tier.
    cycle = db.session.scalars(select(Cycle).where(Cycle.status == "open")).one()
    buyer = principal_of("buyer@lakeside.example")
    in_effect = db.session.scalars(select(Contract.id).order_by(Contract.id)).all()
    progress = [tier_progress.tier_progress(buyer, cid, cycle.id) for cid in in_effect
                if db.session.get(Contract, cid).status_on(today) == "active"]
    assert len(progress) >= 3
    assert all(p.volume > 0 and p.next_tier is not None for p in progress)
    assert any(p.volume_to_next_tier <= 0.25 * p.next_tier["min_volume"] for p in progress)

    # Clinical lines waiting for a physician of Lakeside and of Northside; Lakeside's cart.
    waiting = db.session.scalars(select(Order.practice_id).where(
        Order.cycle_id == cycle.id, Order.status == "awaiting_approval")).all()
    assert lakeside.id in waiting and northside.id in waiting
    assert db.session.scalars(select(Order).where(
        Order.cycle_id == cycle.id, Order.practice_id == lakeside.id, Order.status == "draft")).one().lines

    # Lakeside: open invoices to pay, a missed order, a rebate's credit, a shipped past order.
    assert db.session.scalar(select(func.count(Invoice.id)).where(
        Invoice.practice_id == lakeside.id, Invoice.status == "open", Invoice.total_cents > 0)) >= 1
    missed = db.session.scalars(select(Order).where(
        Order.practice_id == lakeside.id, Order.status == "missed_cycle")).all()
    assert missed and missed[0].missed_reason
    assert db.session.scalar(select(func.count(Rebate.id))) >= 1
    assert db.session.scalar(select(func.count(Credit.id)).where(Credit.practice_id == lakeside.id)) >= 1


    # Leasing: the ultrasound's schedule and first invoices, the X-ray sale-leaseback's
    # credit, an offer waiting for Northside, the suite's split with its vacancy.
    ultrasound = db.session.scalars(select(Lease).join(Asset).where(Asset.description.like("Portable ultrasound%"))).one()
    assert ultrasound.status == "active" and ultrasound.practice_id == lakeside.id
    assert len(ultrasound.schedule) == 60 and ultrasound.commencement_invoice_id is not None
    billed = [row for row in ultrasound.schedule if row.invoice_id is not None]
    assert len(billed) >= 2 and all(row.due_on <= _month_end(today.replace(day=1)) for row in billed)
    xray = db.session.scalars(select(Asset).where(Asset.description.like("Digital X-ray%"))).one()
    credit = db.session.get(Credit, xray.purchase_credit_id)
    assert credit.source == "sale_leaseback" and credit.amount_cents == xray.cost_cents
    assert db.session.scalar(select(func.count(Lease.id)).where(Lease.asset_id == xray.id, Lease.status == "active")) == 1
    assert db.session.scalar(select(func.count(Lease.id)).where(
        Lease.practice_id == northside.id, Lease.status == "offered")) == 1
    suite = db.session.scalars(select(Space).where(Space.name == "Suite 200")).one()
    split = leasing_spaces.month_split(suite, today.replace(day=1))
    assert len(split.shares) == 2 and split.vacant_share_cents > 0
    assert sum(share.share_cents for share in split.shares) + split.vacant_share_cents == split.rent_cents
