"""Leasing races the database decides (PostgreSQL: real concurrent transactions)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from gpo.billing.models import Invoice
from gpo.db import db, utcnow
from gpo.leasing.models import Lease, LeaseScheduleRow
from tests.conftest import TEST_SECRET
from tests.factories import AssetFactory, LeaseFactory, UserFactory, token_for
from tests.scenarios import race

COMMENCES = utcnow().date() + dt.timedelta(days=10)


def _offer(client, world, asset, practice) -> int:
    response = client.post("/api/v1/leasing/leases", headers=world.headers["mso_finance"], json={
        "asset_id": asset.id, "practice_id": practice.id, "term_months": 36, "annual_rate_percent": "9",
        "residual_cents": 0, "advance_payments": 1, "down_payment_cents": 100000, "commences_on": COMMENCES.isoformat()})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_two_practices_signing_offers_of_one_asset_at_once_lease_it_once(app, client, world, postgresql_only):
    """One ultrasound offered to two practices, both physicians sign at the same moment:
    exactly one lease is active with one commencement invoice; the other signing is 409
    and leaves nothing (no schedule, no invoice), its offer withdrawn by the winner."""
    asset = AssetFactory(description="Portable ultrasound")
    physician = UserFactory(organization_id=world.other_practice.id, roles=["practice_physician"],
                            email="dr.other@example.test")
    other_headers = {"Authorization": f"Bearer {token_for(physician, TEST_SECRET)}"}
    mine, theirs = _offer(client, world, asset, world.practice), _offer(client, world, asset, world.other_practice)
    db.session.commit()
    responses = race(app, [
        ("POST", f"/api/v1/leasing/leases/{mine}/sign", {"headers": world.headers["practice_physician"]}),
        ("POST", f"/api/v1/leasing/leases/{theirs}/sign", {"headers": other_headers}),
    ])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.get_data(as_text=True) for r in responses]
    [won] = [r.get_json() for r in responses if r.status_code == 200]
    [lost] = [r.get_json() for r in responses if r.status_code == 409]
    loser = theirs if won["id"] == mine else mine
    assert f"lease {loser}" in lost["message"]
    db.session.expire_all()
    leases = {lease.id: lease for lease in db.session.scalars(select(Lease))}
    assert leases[won["id"]].status == "active" and leases[loser].status == "withdrawn"
    assert leases[loser].signed_at is None and leases[loser].commencement_invoice_id is None
    assert db.session.scalar(select(func.count(Lease.id)).where(Lease.status == "active")) == 1
    invoices = db.session.scalars(select(Invoice)).all()
    assert [(i.source_key, i.total_cents) for i in invoices] == [
        (f"lease:{won['id']}:commencement", 100000 + won["rent_cents"])]
    assert set(db.session.scalars(select(LeaseScheduleRow.lease_id).distinct())) == {won["id"]}


def test_without_the_use_case_the_database_still_refuses_a_second_active_lease(app, world, postgresql_only):
    """The partial unique index alone: two transactions each make one offer of the asset
    active; the second waits for the first and is refused when it commits."""
    first = LeaseFactory(practice_id=world.practice.id)
    second = LeaseFactory(practice_id=world.other_practice.id, asset=first.asset)
    db.session.commit()
    activate = text("UPDATE leases SET status = 'active', signed_at = now(), signed_by = 't' WHERE id = :id")
    with db.engine.connect() as a, db.engine.connect() as b:
        a.execute(activate, {"id": first.id})
        b.execute(text("SET lock_timeout = '200ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):  # b waits on a's uncommitted index entry
            b.execute(activate, {"id": second.id})
        b.rollback()
        a.commit()
        with pytest.raises(IntegrityError, match="uq_leases_one_active_per_asset"):
            b.execute(activate, {"id": second.id})
    db.session.expire_all()
    assert [lease.status for lease in db.session.scalars(select(Lease).order_by(Lease.id))] == ["active", "offered"]
