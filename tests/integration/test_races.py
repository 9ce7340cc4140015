"""Races the database must decide (PostgreSQL: real concurrent transactions)."""
import threading

from sqlalchemy import func, select

from gpo.accounts.models import Practice, User
from gpo.db import db, transactional
from tests.scenarios import race


def test_the_same_idempotency_key_twice_at_once_creates_one_practice(app, client, world, postgresql_only):
    headers = {**world.headers["mso_admin"], "Idempotency-Key": "race-1"}
    body = {"name": "Raced", "tax_id": "12-3456789"}
    responses = race(app, [("POST", "/api/v1/practices", {"json": body, "headers": headers})] * 6)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    created = {r.get_json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1  # replays return the same practice
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Practice).where(Practice.name == "Raced")) == 1


def test_two_users_with_one_email_at_once_one_wins(app, client, world, postgresql_only):
    body = {"email": "twin@example.test", "name": "Twin", "password": "long-enough-password", "roles": ["practice_buyer"]}
    url = f"/api/v1/practices/{world.practice.id}/users"
    responses = race(app, [("POST", url, {"json": body, "headers": world.headers["practice_admin"]})] * 4)
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "twin@example.test")) == 1


def test_two_edits_with_the_same_etag_at_once_one_wins(app, client, world, postgresql_only):
    url = f"/api/v1/practices/{world.practice.id}"
    etag = client.get(url, headers=world.headers["mso_admin"]).headers["ETag"]
    headers = {**world.headers["mso_admin"], "If-Match": etag}
    responses = race(app, [("PATCH", url, {"json": {"name": f"Name {i}"}, "headers": headers}) for i in range(4)])
    assert sorted(r.status_code for r in responses) == [200, 412, 412, 412]
    winner = next(r for r in responses if r.status_code == 200).get_json()["name"]
    db.session.expire_all()
    assert db.session.get(Practice, world.practice.id).name == winner


def _proposed_contract(world, products, author_side="vendor"):
    from gpo.contracts.models import Proposal
    from tests.factories import ContractFactory

    contract = ContractFactory(vendor_id=world.vendor.id, accepted_at=None, tiers=None, products=products)
    db.session.add(Proposal(contract_id=contract.id, number=1, author_side=author_side, author_label="vendor",
                            tiers=[{"min_volume": 0, "discount_percent": "0", "item_prices": {}}],
                            admin_fee_percent=1))
    db.session.commit()
    return contract.id


def test_two_acceptances_of_one_proposal_at_once_one_wins(app, client, world, postgresql_only):
    from gpo.audit import AuditEvent
    from tests.factories import ProductFactory

    contract_id = _proposed_contract(world, [ProductFactory(vendor_id=world.vendor.id)])
    url = f"/api/v1/contracts/{contract_id}/proposals/1/accept"
    responses = race(app, [("POST", url, {"headers": world.headers[who]})
                           for who in ("mso_procurement", "mso_admin", "mso_procurement", "mso_admin")])
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    db.session.expire_all()
    accepted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.accept")).all()
    assert len(accepted) == 1


def test_two_contracts_sharing_a_product_accepted_at_once_one_wins(app, client, world, postgresql_only):
    from tests.factories import ProductFactory

    shared = ProductFactory(vendor_id=world.vendor.id)
    first = _proposed_contract(world, [shared, ProductFactory(vendor_id=world.vendor.id)])
    second = _proposed_contract(world, [ProductFactory(vendor_id=world.vendor.id), shared])
    responses = race(app, [("POST", f"/api/v1/contracts/{cid}/proposals/1/accept",
                            {"headers": world.headers["mso_procurement"]}) for cid in (first, second)])
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert "already on a contract" in next(r for r in responses if r.status_code == 409).get_json()["message"]


def test_concurrent_wrong_logins_are_counted_before_they_are_checked(app, client, world, postgresql_only):
    body = {"email": "practice_buyer@example.test", "password": "wrong-password"}
    responses = race(app, [("POST", "/api/v1/auth/login", {"json": body, "environ_base": {"REMOTE_ADDR": f"10.1.0.{i}"}})
                           for i in range(12)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(401) == 5 and statuses.count(429) == 7  # 5 guesses checked, no more


def test_a_catalog_import_and_product_edits_at_once_neither_deadlocks_nor_loses(app, client, world, postgresql_only):
    import json as json_module

    from gpo.catalog import catalog_imports as services
    from gpo.catalog.models import CatalogImport, Product, ProductPrice
    from tests.factories import ProductFactory

    edited = ProductFactory(vendor_id=world.vendor.id, sku="EDIT-ME", list_price=10)
    db.session.add(ProductPrice(product_id=edited.id, list_price=10, changed_by="test"))  # as create_product does
    db.session.commit()
    rows = [{"sku": f"BULK-{i}", "name": f"Bulk {i}", "category": "supplies", "list_price": "1.00"} for i in range(3000)]
    rows.append({"sku": "EDIT-ME", "name": "Edited by import", "category": "supplies", "list_price": "10.00"})
    imp = CatalogImport(vendor_id=world.vendor.id, mode="upsert", source_format="json", created_by="test",
                        payload=json_module.dumps({"products": rows}), row_count=len(rows), errors=[])
    db.session.add(imp)
    db.session.commit()
    import_id = imp.id
    url = f"/api/v1/products/{edited.id}"
    etag = client.get(url, headers=world.headers["vendor_admin"]).headers["ETag"]
    outcome = {}

    def run_import():
        with app.app_context():
            outcome["import"] = transactional(services.apply_import)(import_id)

    thread = threading.Thread(target=run_import)
    thread.start()
    patched = app.test_client().patch(url, json={"list_price": "11.00"},
                                      headers={**world.headers["vendor_admin"], "If-Match": etag})
    thread.join(timeout=60)
    assert patched.status_code in (200, 412), patched.get_data(as_text=True)
    assert outcome["import"]["created"] == 3000
    db.session.expire_all()
    product = db.session.get(Product, edited.id)
    current = db.session.scalars(select(ProductPrice).where(ProductPrice.product_id == edited.id,
                                                           ProductPrice.effective_to.is_(None))).one()
    assert current.list_price == product.list_price  # the history agrees with the product, whoever went last


def _draft_invoices(practice_ids, count):
    from gpo.billing.invoices import draft_invoice

    ids = []
    for i in range(count):
        practice_id = practice_ids[i % len(practice_ids)]
        ids.append(draft_invoice(practice_id, "membership", f"race:{i}", "Membership", [
            {"kind": "membership", "description": "Membership", "amount_cents": 1000 + i}]).id)
    db.session.commit()
    return ids


def test_invoice_numbers_stay_gap_free_and_unique_under_concurrent_finalization(app, client, world, postgresql_only):
    from gpo.billing.models import Credit, Invoice

    # a shared credit makes the finalizations contend on the same rows too
    db.session.add(Credit(practice_id=world.practice.id, source="adjustment", description="c",
                          amount_cents=5000, remaining_cents=5000))
    ids = _draft_invoices([world.practice.id, world.other_practice.id], 12)
    responses = race(app, [("POST", f"/api/v1/invoices/{i}/finalize", {"headers": world.headers["mso_finance"]})
                           for i in ids])
    assert [r.status_code for r in responses] == [200] * 12, [r.get_data(as_text=True) for r in responses]
    db.session.expire_all()
    numbers = sorted(db.session.scalars(select(Invoice.number)))
    year = numbers[0][4:8]
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, 13)]
    # the credit was spent once: never more than it held
    applied = db.session.scalar(select(func.sum(Invoice.credits_applied_cents)))
    assert applied == 5000
    assert db.session.scalar(select(Credit.remaining_cents)) == 0


def test_two_finalizations_of_one_invoice_at_once_one_wins(app, client, world, postgresql_only):
    from gpo.billing.models import Invoice

    [invoice_id] = _draft_invoices([world.practice.id], 1)
    responses = race(app, [("POST", f"/api/v1/invoices/{invoice_id}/finalize", {"headers": world.headers["mso_finance"]})] * 4)
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    db.session.expire_all()
    assert db.session.scalar(select(Invoice.number)).endswith("-000001")
    from gpo.billing.models import InvoiceCounter

    assert db.session.scalar(select(InvoiceCounter.last_number)) == 1  # the losers took no number
