"""A signed lease's races the database decides (PostgreSQL: real concurrent
transactions): buying out four times at once ends the lease once; a buyout racing the
month's lease run bills each rent exactly once (the lease's row lock orders them)."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from sqlalchemy import func, select

from gpo.billing.models import BillingRun, Invoice, InvoiceLine
from gpo.db import db, utcnow
from gpo.leasing import rules
from gpo.leasing.models import Lease
from tests.factories import AssetFactory, signed_lease
from tests.scenarios import race


def copier(practice_id: int, commences_on: dt.date) -> Lease:
    return signed_lease(practice_id=practice_id, cost_cents=2200000, term_months=48, advance_payments=4,
                        residual_cents=660000, annual_rate_percent=Decimal("15"), commences_on=commences_on,
                        asset=AssetFactory(cost_cents=2200000, clinical=False, description="HP copier"))


def test_a_lease_bought_out_four_times_at_once_ends_once(app, client, world, postgresql_only):
    lease = copier(world.practice.id, rules.add_months(utcnow().date(), -12) - dt.timedelta(days=3))
    url = f"/api/v1/leasing/leases/{lease.id}/buyout"
    responses = race(app, [("POST", url, {"headers": world.headers[who]})
                           for who in ("practice_admin", "practice_physician", "mso_finance", "practice_admin")])
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Invoice.id))) == 1
    assert db.session.get(Lease, lease.id).end_outcome == "bought_out"


def test_a_buyout_racing_the_months_run_bills_each_rent_once(app, client, world, postgresql_only):
    today = utcnow().date()
    lease = copier(world.practice.id, rules.add_months(today, -1) - dt.timedelta(days=1))  # month 1 due this month
    run = BillingRun(kind="lease", month=f"{rules.add_months(lease.commences_on, 1):%Y-%m}", status="queued",
                     requested_by="test")
    db.session.add(run)
    db.session.commit()
    from gpo.billing.membership import RUNS

    barrier = threading.Barrier(2)

    def the_run():
        with app.app_context():
            barrier.wait()
            RUNS["lease"].run_once(run.id)
            db.session.commit()

    thread = threading.Thread(target=the_run)
    thread.start()
    barrier.wait()
    response = client.post(f"/api/v1/leasing/leases/{lease.id}/buyout", headers=world.headers["practice_admin"])
    thread.join(timeout=60)
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    rent_lines = db.session.scalars(select(InvoiceLine).join(Invoice).where(
        InvoiceLine.kind == "rent", Invoice.status != "void")).all()
    # month 1's rent: on the run's invoice or on the buyout's, never both, never neither
    assert [line.amount_cents for line in rent_lines] == [48729]
    assert db.session.get(Lease, lease.id).schedule[0].invoice_id == rent_lines[0].invoice_id
