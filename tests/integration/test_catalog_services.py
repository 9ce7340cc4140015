"""The catalog's use cases called directly (no HTTP): products and bulk imports."""
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from gpo import jobs
from gpo.auth.services import principal_for_user
from gpo.catalog import catalog_imports, products
from gpo.catalog.importing import UNMARK_CLINICAL
from gpo.catalog.models import CatalogImport, Product, ProductPrice
from gpo.contracts.services import ContractSummary
from gpo.db import db, transactional, unit_of_work
from gpo.errors import Forbidden
from gpo.etags import etag_for
from gpo.jobs import Job
from tests.factories import ContractFactory, ProductFactory


def vendor_admin(world):
    return principal_for_user(world.users["vendor_admin"])


def existing_product(vendor_id, sku, price="19.9900", **fields):
    """A product with its first price in the history, as create_product leaves it."""
    product = ProductFactory(vendor_id=vendor_id, sku=sku, name=f"Item {sku}", list_price=Decimal(price), **fields)
    db.session.add(ProductPrice(product_id=product.id, list_price=product.list_price, changed_by="test"))
    db.session.commit()
    return product


def history(product_id):
    """(list price, still in effect) of a product, oldest first."""
    db.session.expire_all()
    prices = db.session.scalars(select(ProductPrice).where(ProductPrice.product_id == product_id)
                                .order_by(ProductPrice.id))
    return [(p.list_price, p.effective_to is None) for p in prices]


def queued_import(monkeypatch, world, mode, products_rows) -> CatalogImport:
    """An import accepted by start_import, its job queued but not run yet."""
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)  # run by hand below
    body = json.dumps({"mode": mode, "products": products_rows}).encode()
    with unit_of_work():
        accepted = catalog_imports.start_import(vendor_admin(world), world.vendor.id, None, body, "json")
    return accepted


def test_an_import_creates_updates_leaves_and_deactivates_exactly_and_records_the_price_history(world, monkeypatch):
    vendor_id = world.vendor.id
    keep = existing_product(vendor_id, "KEEP")
    change = existing_product(vendor_id, "CHANGE", "10.0000")
    gone = existing_product(vendor_id, "GONE")
    rows = [
        {"sku": "KEEP", "name": "Item KEEP", "category": "supplies", "list_price": "19.99"},
        {"sku": "CHANGE", "name": "Item CHANGE", "category": "supplies", "list_price": "12.5"},
        {"sku": "NEW", "name": "Item NEW", "category": "it", "list_price": "7.25", "unit_of_measure": "box"},
        {"sku": "BAD", "name": "Item BAD", "category": "supplies", "list_price": "0"},
    ]
    accepted = queued_import(monkeypatch, world, "replace", rows)
    assert (accepted.status, accepted.mode, accepted.row_count) == ("queued", "replace", 4)

    result = jobs.run(accepted.job_id)

    assert result == {"created": 1, "updated": 1, "unchanged": 1, "deactivated": 1, "failed": 1}
    db.session.expire_all()
    report = db.session.get(CatalogImport, accepted.id)
    assert report.status == "finished" and report.finished_at is not None
    assert report.errors == [{"line": 4, "sku": "BAD", "errors": {"list_price": ["list_price must be greater than 0"]}}]
    job = db.session.get(Job, accepted.job_id)
    assert (job.status, job.result, job.attempts) == ("finished", result, 1)
    by_sku = {p.sku: p for p in db.session.scalars(select(Product).where(Product.vendor_id == vendor_id))}
    assert sorted(by_sku) == ["CHANGE", "GONE", "KEEP", "NEW"]
    assert (by_sku["CHANGE"].list_price, by_sku["CHANGE"].version) == (Decimal("12.5000"), 2)
    assert (by_sku["KEEP"].version, by_sku["KEEP"].active) == (1, True)
    assert (by_sku["GONE"].active, by_sku["GONE"].version) == (False, 2)
    new = by_sku["NEW"]
    assert (new.list_price, new.category, new.unit_of_measure, new.manufacturer, new.active) == (
        Decimal("7.2500"), "it", "box", "", True)
    assert history(keep.id) == [(Decimal("19.9900"), True)]
    assert history(change.id) == [(Decimal("10.0000"), False), (Decimal("12.5000"), True)]
    assert history(gone.id) == [(Decimal("19.9900"), True)]
    assert history(new.id) == [(Decimal("7.2500"), True)]
    changed_by = db.session.scalar(select(ProductPrice.changed_by).where(ProductPrice.product_id == new.id))
    assert changed_by == f"catalog import {accepted.id} (vendor_admin@example.test)"


def test_the_same_file_again_leaves_everything_unchanged_and_a_finished_import_runs_once(world, monkeypatch):
    rows = [{"sku": "A", "name": "Item A", "category": "supplies", "list_price": "3.10"}]
    first = queued_import(monkeypatch, world, "upsert", rows)
    assert jobs.run(first.job_id)["created"] == 1
    again = queued_import(monkeypatch, world, "upsert", rows)
    assert jobs.run(again.job_id) == {"created": 0, "updated": 0, "unchanged": 1, "deactivated": 0, "failed": 0}
    # Applied again (a retry after a crash): the finished import does nothing more.
    assert transactional(catalog_imports.apply_import)(again.id)["unchanged"] == 1
    product = db.session.scalars(select(Product).where(Product.vendor_id == world.vendor.id)).one()
    assert history(product.id) == [(Decimal("3.1000"), True)]


def test_an_import_cannot_unmark_what_mso_procurement_marked_clinical(world, monkeypatch):
    marked = existing_product(world.vendor.id, "SCALPEL", clinical=True, clinical_marked_by_mso=True)
    rows = [{"sku": "SCALPEL", "name": "Item SCALPEL", "category": "supplies", "list_price": "19.99",
             "clinical": False}]
    accepted = queued_import(monkeypatch, world, "upsert", rows)
    assert jobs.run(accepted.job_id) == {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 1}
    db.session.expire_all()
    assert db.session.get(CatalogImport, accepted.id).errors == [
        {"line": 1, "sku": "SCALPEL", "errors": {"clinical": [UNMARK_CLINICAL]}}]
    assert db.session.get(Product, marked.id).clinical is True


def test_a_price_edit_closes_the_old_price_and_a_vendor_cannot_unmark_the_mso_mark(world):
    product = existing_product(world.vendor.id, "EDIT", "10.0000", clinical=True, clinical_marked_by_mso=True)
    with unit_of_work():
        detail = products.update_product(vendor_admin(world), product.id, {"list_price": Decimal("11.0000")},
                                         [etag_for(product)])
        assert (detail.product.list_price, detail.contracts) == (Decimal("11.0000"), [])
    assert history(product.id) == [(Decimal("10.0000"), False), (Decimal("11.0000"), True)]
    product = db.session.get(Product, product.id)
    with pytest.raises(Forbidden, match=UNMARK_CLINICAL), unit_of_work():
        products.update_product(vendor_admin(world), product.id, {"clinical": False}, [etag_for(product)])
    db.session.expire_all()
    assert db.session.get(Product, product.id).clinical is True


def test_a_products_page_lists_the_contracts_in_effect_it_is_on(world):
    on_contract = existing_product(world.vendor.id, "ON")
    contract = ContractFactory(vendor_id=world.vendor.id, title="Gloves 2027", products=[on_contract])
    ContractFactory(vendor_id=world.vendor.id, products=[on_contract], accepted_at=None, accepted_proposal_number=None)
    with unit_of_work():
        detail = products.get_product(vendor_admin(world), on_contract.id)
    assert detail.product.id == on_contract.id
    assert detail.contracts == [ContractSummary(contract.id, "Gloves 2027", contract.starts_on, contract.ends_on)]
