"""The events of a vendor's contracts and catalog: every proposal of a negotiation
(created, accepted, rejected), whichever side acted, and a catalog import's end
(finished, with or without rows in error; failed for good). Refused requests write
no event; a finished import run again writes none more."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from gpo.catalog import catalog_imports
from gpo.catalog.models import CatalogImport
from gpo.contracts.models import Proposal
from gpo.db import db, transactional, unit_of_work
from tests.factories import ProductFactory
from tests.helpers import assert_error
from tests.notifications.event_support import events_after, mark

TODAY = dt.date.today()




# --- contracts ----------------------------------------------------------------------------


@pytest.fixture
def items(world):
    return [ProductFactory(vendor_id=world.vendor.id, sku="GLV", list_price=Decimal("19.99")),
            ProductFactory(vendor_id=world.vendor.id, sku="SYR", list_price=Decimal("18.50"))]


def _open(client, world, items):
    body = {"vendor_id": world.vendor.id, "title": "Exam room supplies", "category": "supplies", "basis": "units",
            "starts_on": str(TODAY - dt.timedelta(days=1)), "ends_on": str(TODAY + dt.timedelta(days=364)),
            "items": [p.id for p in items],
            "proposal": {"admin_fee_percent": "2.0", "tiers": [{"min_volume": 0, "discount_percent": "0"},
                                                               {"min_volume": 250, "discount_percent": "8.5"}]}}
    response = client.post("/api/v1/contracts", json=body, headers=world.headers["mso_procurement"])
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def _counter(client, world, contract_id, who, fee="2.5"):
    return client.post(f"/api/v1/contracts/{contract_id}/proposals", headers=world.headers[who], json={
        "tiers": [{"min_volume": 0, "discount_percent": "0"}, {"min_volume": 300, "discount_percent": "7"},
                  {"min_volume": 600, "discount_percent": "9"}], "admin_fee_percent": fee})


def _answer(client, world, contract_id, number, verb, who):
    return client.post(f"/api/v1/contracts/{contract_id}/proposals/{number}/{verb}", headers=world.headers[who])


def _proposal_id(contract_id, number):
    return db.session.scalars(select(Proposal.id).where(Proposal.contract_id == contract_id,
                                                        Proposal.number == number)).one()


def test_every_step_of_a_negotiation_is_told_to_the_vendor_whichever_side_took_it(client, world, items):
    cid = _open(client, world, items)
    assert _counter(client, world, cid, "vendor_key").status_code == 201
    assert_error(_answer(client, world, cid, 2, "accept", "vendor_admin"), 403)  # its own: refused, untold
    assert _answer(client, world, cid, 2, "reject", "mso_procurement").status_code == 200
    assert _counter(client, world, cid, "mso_procurement", fee="2.25").status_code == 201
    assert _answer(client, world, cid, 3, "accept", "vendor_admin").status_code == 200
    on = f"contract {cid} (Exam room supplies)"
    vendor = world.vendor.id

    def event(kind, number, proposed_by, by, summary):
        pid = _proposal_id(cid, number)
        return (f"contract.proposal.{kind}", vendor, None, "contract_proposal", pid,
                {"contract_id": cid, "proposal_id": pid, "number": number, "proposed_by": proposed_by, "by": by},
                summary)

    assert events_after() == [
        event("created", 1, "mso", "mso", f"The MSO proposed terms on {on}: proposal 1, admin fee 2%, 2 tiers"),
        event("created", 2, "vendor", "vendor", f"Acme proposed terms on {on}: proposal 2, admin fee 2.5%, 3 tiers"),
        event("rejected", 2, "vendor", "mso", f"The MSO rejected Acme's proposal 2 on {on}"),
        event("created", 3, "mso", "mso", f"The MSO proposed terms on {on}: proposal 3, admin fee 2.25%, 3 tiers"),
        event("accepted", 3, "mso", "vendor",
              f"Acme accepted the MSO's proposal 3 on {on}: its terms are the contract's"),
    ]


def test_a_proposal_breaking_a_rule_tells_nobody(client, world, items):
    cid = _open(client, world, items)
    before = mark()
    response = client.post(f"/api/v1/contracts/{cid}/proposals", headers=world.headers["vendor_key"], json={
        "tiers": [{"min_volume": 0, "discount_percent": "0"}], "admin_fee_percent": "3.5"})
    assert_error(response, 422)
    assert events_after(before) == []


# --- catalog imports ----------------------------------------------------------------------


def _row(sku, price="10.00"):
    return {"sku": sku, "name": f"Item {sku}", "category": "supplies", "list_price": price}


def _import(client, world, run_jobs, products):
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports",
                           json={"mode": "upsert", "products": products}, headers=world.headers["vendor_key"])
    assert response.status_code == 202, response.get_data(as_text=True)
    accepted = response.get_json()
    assert run_jobs(accepted["job_id"]).status == "finished"
    return accepted["id"]


def test_a_finished_import_is_told_with_its_counts_and_rows_in_error(client, world, run_jobs):
    first = _import(client, world, run_jobs, [_row("A"), _row("B")])
    second = _import(client, world, run_jobs, [_row("A", "11.00"), _row("B"), _row("C", "-1")])
    counts = {"created": 0, "updated": 1, "unchanged": 1, "deactivated": 0, "failed": 1}
    assert events_after() == [
        ("catalog_import.completed", world.vendor.id, None, "catalog_import", first,
         {"catalog_import_id": first, "status": "finished", "mode": "upsert", "row_count": 2,
          "counts": {"created": 2, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 0}},
         f"Catalog import {first} of Acme (2 rows) finished: 2 created, 0 updated, 0 unchanged, 0 deactivated"),
        ("catalog_import.completed", world.vendor.id, None, "catalog_import", second,
         {"catalog_import_id": second, "status": "finished", "mode": "upsert", "row_count": 3, "counts": counts},
         f"Catalog import {second} of Acme (3 rows) finished: 0 created, 1 updated, 1 unchanged, 0 deactivated; "
         "1 row with errors (see the error report)"),
    ]
    with unit_of_work():  # the job run again on a finished import: nothing more
        catalog_imports.IMPORT_RUN.run_once(second)
    assert len(events_after()) == 2


def test_an_import_whose_job_failed_for_good_is_told_as_failed(db_ctx, world):
    queued = CatalogImport(vendor_id=world.vendor.id, mode="upsert", source_format="json", status="queued",
                           payload='{"products": []}', row_count=1, errors=[], created_by="vendor_key")
    db.session.add(queued)
    db.session.commit()
    # what the job system does once the import's job has spent its attempts
    transactional(catalog_imports.IMPORT_RUN.fail_for_good)(queued.id)
    transactional(catalog_imports.IMPORT_RUN.fail_for_good)(queued.id)  # asked twice: failed once
    db.session.expire_all()
    assert db.session.get(CatalogImport, queued.id).status == "failed"
    assert events_after() == [(
        "catalog_import.completed", world.vendor.id, None, "catalog_import", queued.id,
        {"catalog_import_id": queued.id, "status": "failed", "mode": "upsert", "row_count": 1,
         "counts": {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 0}},
        f"Catalog import {queued.id} of Acme (1 row) failed: nothing of it was applied")]


def test_a_refused_import_tells_nobody(client, world):
    response = client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports", json={"mode": "sideways",
                           "products": [_row("A")]}, headers=world.headers["vendor_key"])
    assert_error(response, 422)
    assert events_after() == []
