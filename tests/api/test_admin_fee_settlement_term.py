"""The contract term `admin_fee_settlement` (DOMAIN.md "After the close", Settlement):
how the vendor pays the admin fee, `remitted` (the default) or `netted` from the MSO's
settlements. It is a proposal's term, becomes the contract's on acceptance, and is read
by MSO staff and the vendor, never by practices."""
from __future__ import annotations

from sqlalchemy import select

from gpo.contracts.models import Contract, Proposal
from gpo.db import db
from tests.api.test_contracts import answer, counter, items, open_contract  # noqa: F401 - the fixture
from tests.helpers import assert_error


def test_the_default_is_remitted_and_a_netted_counter_becomes_the_contracts_on_acceptance(client, world, items):  # noqa: F811
    contract = open_contract(client, world, items)
    thread = client.get(f"/api/v1/contracts/{contract['id']}/proposals", headers=world.headers["vendor_key"]).get_json()
    assert thread[0]["admin_fee_settlement"] == "remitted"
    assert counter(client, world, contract["id"], "vendor_key", admin_fee_settlement="netted").status_code == 201
    accepted = answer(client, world, contract["id"], 2, "accept", "mso_procurement")
    assert accepted.status_code == 200 and accepted.get_json()["admin_fee_settlement"] == "netted"
    db.session.expire_all()
    assert db.session.get(Contract, contract["id"]).admin_fee_settlement == "netted"
    seen = client.get(f"/api/v1/contracts/{contract['id']}", headers=world.headers["vendor_admin"]).get_json()
    assert seen["admin_fee_settlement"] == "netted"


def test_practices_do_not_see_how_the_fee_is_paid(client, world, items):  # noqa: F811
    contract = open_contract(client, world, items)
    answer(client, world, contract["id"], 1, "accept", "vendor_key")
    seen = client.get(f"/api/v1/contracts/{contract['id']}", headers=world.headers["practice_admin"]).get_json()
    assert "admin_fee_settlement" not in seen and "admin_fee_percent" not in seen


def test_an_unknown_settlement_is_refused_and_writes_nothing(client, world, items):  # noqa: F811
    contract = open_contract(client, world, items)
    before = db.session.scalar(select(db.func.count(Proposal.id)))
    response = counter(client, world, contract["id"], "vendor_key", admin_fee_settlement="cheque")
    body = assert_error(response, 422)
    assert "admin_fee_settlement" in body["errors"]["json"]
    assert db.session.scalar(select(db.func.count(Proposal.id))) == before
