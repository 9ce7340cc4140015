"""What `flask gpo seed-demo` leaves for the storefront: every page has something real
to show to Lakeside's users (README "Demo users"), after the close a backorder, a
substitute waiting for a physician, a receipt with damage and its claim, vendor
invoices matched and in exception, settlements with their remittance advice; and a
second run adds nothing (no event, webhook delivery or e-mail either: the receiver the
demo's endpoints call is nowhere here, tests/conftest.py; see
tests/notifications/test_demo_notifications.py for the deliveries)."""
import datetime as dt

from sqlalchemy import func, select

from gpo.accounts.models import Organization, Practice
from gpo.billing import reports
from gpo.billing.models import Credit, Invoice, Rebate
from gpo.catalog.models import Product
from gpo.contracts.models import Contract
from gpo.db import db, utcnow
from gpo.demo.common import principal_of
from gpo.demo.history import history_cycles
from gpo.leasing import spaces as leasing_spaces
from gpo.leasing.models import Asset, Lease, LeaseScheduleRow, Space
from gpo.notifications.models import (
    EmailMessage,
    NotificationSetting,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from gpo.orders import backorders, tier_progress
from gpo.orders.models import Cycle, Order, PurchaseOrder, PurchaseOrderLine, Shipment, Substitution
from gpo.payables import settlements
from gpo.payables.models import (
    AdminFeeRemittance,
    SettlementDeduction,
    VendorInvoice,
    VendorSettlement,
)
from gpo.receiving.models import Claim, Receipt, ReceiptLine

COUNTED = (Organization, Contract, Cycle, Order, PurchaseOrder, Shipment, Invoice, Rebate, Credit, Asset, Lease,
           LeaseScheduleRow, Space, Substitution, Receipt, ReceiptLine, Claim, VendorInvoice, VendorSettlement,
           SettlementDeduction, AdminFeeRemittance, OutboxEvent, WebhookEndpoint, WebhookDelivery, EmailMessage,
           NotificationSetting)


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


def test_seed_demo_shows_what_happens_after_the_close(app, db_ctx, rq_worker):
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["gpo", "seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    names = {p.name: p.id for p in db.session.scalars(select(Practice))}
    lakeside, riverbend, northside = (names[n] for n in (
        "Lakeside Family Medicine", "Riverbend Pediatrics", "Northside Orthopedics"))
    today = utcnow().date()

    # A backorder open for Lakeside, expected a week from now (GET /backorders).
    open_backorders = backorders.list_backorders(principal_of("buyer@lakeside.example"), "open", 1, 50).items
    assert len(open_backorders) == 1
    gauze = open_backorders[0]
    assert gauze.product.sku == "GAU-4X4" and gauze.open_backorder == 6 and gauze.expected_ship_on > today

    # A clinical substitute offered to Northside: only its physician may decide it.
    offered = db.session.scalars(select(Substitution).where(Substitution.status == "offered")).one()
    assert offered.practice_id == northside and offered.clinical
    assert db.session.get(Product, offered.product_id).sku == "TBL-EXAM-204"
    original = db.session.get(PurchaseOrderLine, offered.original_line_id)
    assert offered.unit_price <= original.unit_price

    # Lakeside's receipt with 2 damaged boxes and its claim open for Acme; Riverbend's in full.
    damaged = db.session.scalars(select(ReceiptLine).where(ReceiptLine.damaged_quantity > 0)).all()
    assert [line.damaged_quantity for line in damaged] == [2]
    assert db.session.get(Receipt, damaged[0].receipt_id).practice_id == lakeside
    claim = db.session.scalars(select(Claim).where(Claim.status == "open")).one()
    assert claim.practice_id == lakeside and claim.damaged_quantity == 2 and claim.missing_quantity == 0
    riverbend_lines = db.session.scalars(select(ReceiptLine).join(Receipt).join(
        Shipment, Shipment.id == Receipt.shipment_id).where(
        Receipt.practice_id == riverbend, Shipment.purchase_order_id == claim.purchase_order_id)).all()
    assert riverbend_lines and all(x.received_quantity == x.shipped_quantity for x in riverbend_lines)

    # The last cycle's vendor invoices: Riverbend's matched and approved (its freight an
    # adjustment for Riverbend), Lakeside's with a price exception for MSO finance.
    last = db.session.scalars(select(VendorInvoice).where(VendorInvoice.settlement_id.is_(None))
                              .order_by(VendorInvoice.id)).all()
    assert [i.status for i in last] == ["approved", "exception"]
    matched, exception = last
    assert all(x.price_result == "match" and x.quantity_result == "matched" for x in matched.lines)
    assert matched.freight_cents > 0 and matched.passed_through_at is not None
    freight = db.session.scalars(select(Invoice).where(Invoice.source_key.like(f"vendor-invoice:{matched.id}:%"))).one()
    assert freight.practice_id == riverbend and freight.total_cents == matched.freight_cents
    over = [x for x in exception.lines if x.price_result == "exception"]
    assert len(over) == 1 and exception.exception_cents == over[0].price_difference_cents > 0

    # Settlements of the history: one sent with its bank reference, one pending; each
    # nets the furniture contract's admin fee, payable = invoices - deductions.
    found = db.session.scalars(select(VendorSettlement).order_by(VendorSettlement.through)).all()
    assert [s.status for s in found] == ["sent", "pending"]
    assert found[0].bank_reference and found[1].bank_reference is None
    for settlement in found:
        advice = settlements.advice(settlement)
        assert advice["invoices"] and advice["deductions"]
        assert sum(i["total_cents"] for i in advice["invoices"]) == settlement.invoices_cents
        assert sum(d["amount_cents"] for d in advice["deductions"]) == settlement.deductions_cents > 0
        assert settlement.payable_cents == settlement.invoices_cents - settlement.deductions_cents
        assert {d["contract_title"] for d in advice["deductions"]} == {"Exam room furniture"}
        rows = settlements.advice_rows(advice)
        assert sum(r["amount_cents"] for r in rows if r["line"] != "payable") == rows[-1]["amount_cents"]
    assert db.session.scalar(select(func.count(AdminFeeRemittance.id))) == 1
