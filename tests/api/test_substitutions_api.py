"""Substitutions over HTTP: the practice approves or declines a vendor's offered
substitute (a physician of that practice when either product is clinical, CPOM), once;
the invoice follows to the cent (a draft swaps the goods, an issued one gets ONE credit
note for the net difference); the achieved tier and everyone's unit prices never
change; who sees what, each refusal writing nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gpo.billing.models import Invoice, InvoiceLine
from gpo.db import db, utcnow
from gpo.orders.models import CycleContractResult, OrderLine, PurchaseOrderLine, Substitution
from tests.factories import ProductFactory
from tests.helpers import assert_error

LATER = (utcnow().date() + dt.timedelta(days=7)).isoformat()


@pytest.fixture
def offered(after_close):
    """Acme acknowledges: Lakeside 55 accepted, 5 offered as vinyl gloves at 15.0000;
    Riverbend all 50."""
    ac = after_close
    ac.vinyl = ProductFactory(vendor_id=ac.world.vendor.id, sku="VNL", name="Vinyl gloves")
    db.session.commit()
    response = ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": ac.line().id, "accepted_quantity": 55,
         "substitute": {"product_id": ac.vinyl.id, "quantity": 5, "unit_price": "15.0000"}},
        {"line_id": ac.line(ac.other_location).id, "accepted_quantity": 50}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    ac.substitution = db.session.scalars(select(Substitution)).one()
    return ac


def decide(ac, verb, who="practice_admin", substitution=None):
    return ac.post(f"/substitutions/{(substitution or ac.substitution).id}/{verb}", {}, who=who)


def invoice_of(ac, practice):
    db.session.commit()
    return db.session.scalars(select(Invoice).where(Invoice.practice_id == practice.id,
                                                    Invoice.kind == "purchasing")).one()


def lines_of(invoice):
    db.session.commit()
    return sorted((line.kind, line.amount_cents, line.substitution_id is not None)
                  for line in db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)))


def prices_and_tier(ac):
    db.session.commit()
    tier = db.session.execute(select(CycleContractResult.achieved_tier_index, CycleContractResult.volume,
                                     CycleContractResult.discount_percent)).all()
    return tier, sorted(str(p) for p in db.session.scalars(select(OrderLine.unit_price)))


def test_the_offer_is_listed_for_the_practice_and_the_vendor(offered):
    for who in ("practice_admin", "practice_buyer", "vendor_key", "mso_admin"):
        response = offered.client.get("/api/v1/substitutions?status=offered", headers=offered.world.headers[who])
        assert response.status_code == 200
        [item] = response.get_json()
        assert (item["status"], item["quantity"], item["unit_price"], item["original_unit_price"],
                item["product_name"], item["clinical"]) == ("offered", 5, "15.0000", "17.9910", "Vinyl gloves", False)
    for who in ("other_practice_admin", "other_vendor_key"):
        assert offered.client.get("/api/v1/substitutions", headers=offered.world.headers[who]).get_json() == []
        assert_error(offered.client.get(f"/api/v1/substitutions/{offered.substitution.id}",
                                        headers=offered.world.headers[who]), 404)
    assert offered.client.get("/api/v1/substitutions?status=approved",
                              headers=offered.world.headers["practice_admin"]).get_json() == []
    assert_error(offered.client.get("/api/v1/substitutions?status=nope",
                                    headers=offered.world.headers["practice_admin"]), 422)


def test_approving_on_the_draft_invoice_swaps_the_goods_to_the_cent(offered):
    before = prices_and_tier(offered)
    # before: the 5 offered stay billed until decided: 60 × 17.9910 = 107946; fee 2.5% 2698.65 -> 2699
    assert lines_of(invoice_of(offered, offered.world.practice)) == [
        ("product", 107946, False), ("service_fee", 2699, False)]
    response = decide(offered, "approve")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "approved" and body["decided_by"] and body["substitute_line_id"]
    # after: 55 × 17.9910 = 989.505 -> 98951; 5 × 15.0000 = 7500; fee 2.5% of 106451 = 2661.275 -> 2661
    invoice = invoice_of(offered, offered.world.practice)
    assert lines_of(invoice) == [("product", 7500, True), ("product", 98951, False), ("service_fee", 2661, False)]
    assert (invoice.subtotal_cents, invoice.total_cents) == (109112, 109112)
    substitute = db.session.get(PurchaseOrderLine, body["substitute_line_id"])
    assert (substitute.substitution_of_id, substitute.quantity, substitute.accepted_quantity, substitute.unit_price,
            substitute.line_cents, substitute.product_id) == (
        offered.line().id, 5, 5, D("15.0000"), 7500, offered.vinyl.id)
    assert prices_and_tier(offered) == before  # the achieved tier and every unit price stay
    # the substitute ships like any line (it marks no order lines)
    offered.ship(substitute, 5, tracking="sub")
    assert db.session.get(PurchaseOrderLine, substitute.id).shipped_quantity == 5
    po = offered.client.get(f"/api/v1/purchase-orders/{offered.po.id}", headers=offered.world.headers["vendor_key"])
    states = {line["id"]: line["state"] for line in po.get_json()["lines"]}
    assert states[substitute.id] == "substitute" and states[offered.line().id] == "split"


def test_approving_on_an_issued_invoice_gives_one_credit_note_for_the_net_difference(offered):
    invoice = invoice_of(offered, offered.world.practice)
    offered.finalize(invoice.id)
    before = prices_and_tier(offered)
    assert decide(offered, "approve").status_code == 200
    db.session.commit()
    notes = db.session.scalars(select(Invoice).where(Invoice.corrects_invoice_id == invoice.id)).all()
    assert len(notes) == 1
    # -(107946 - 98951) = -8995 for the gloves, +7500 for the vinyl, fee 2661 - 2699 = -38: -1533
    assert lines_of(notes[0]) == [("adjustment", -8995, False), ("adjustment", 7500, True), ("service_fee", -38, False)]
    assert notes[0].total_cents == -1533
    assert prices_and_tier(offered) == before


def test_declining_rejects_the_units_as_any_refusal(offered):
    response = decide(offered, "decline", who="practice_buyer")
    assert response.status_code == 200 and response.get_json()["status"] == "declined"
    # 60 -> 55 gloves: 98951; fee 2473.775 -> 2474
    assert lines_of(invoice_of(offered, offered.world.practice)) == [("product", 98951, False),
                                                                      ("service_fee", 2474, False)]
    line = db.session.get(PurchaseOrderLine, offered.line().id)
    assert (line.substituted_quantity, line.rejected_quantity) == (0, 5)


def test_declining_on_an_issued_invoice_credits_the_units_with_the_reason(offered):
    invoice = invoice_of(offered, offered.world.practice)
    offered.finalize(invoice.id)
    assert decide(offered, "decline").status_code == 200
    db.session.commit()
    note = db.session.scalars(select(Invoice).where(Invoice.corrects_invoice_id == invoice.id)).one()
    assert note.total_cents == -(8995 + 225)  # goods 107946 - 98951, fee 2699 - 2474
    assert any("Substitute declined by Lakeside" in line.description for line in note.lines)


@pytest.mark.parametrize("first", ["approve", "decline"])
def test_deciding_twice_is_409_and_changes_nothing(offered, first):
    assert decide(offered, first).status_code == 200
    invoice = lines_of(invoice_of(offered, offered.world.practice))
    for verb in ("approve", "decline"):
        assert_error(decide(offered, verb), 409, contains="already")
    assert lines_of(invoice_of(offered, offered.world.practice)) == invoice


def test_who_may_decide(offered):
    before = lines_of(invoice_of(offered, offered.world.practice))
    for who, status in (("other_practice_admin", 404), ("other_vendor_key", 404), ("vendor_key", 403),
                        ("mso_admin", 403)):
        assert_error(decide(offered, "approve", who=who), status)
        assert_error(decide(offered, "decline", who=who), status)
    assert lines_of(invoice_of(offered, offered.world.practice)) == before
    assert db.session.get(Substitution, offered.substitution.id).status == "offered"


@pytest.fixture
def clinical(offered):
    """The offer made clinical (as for a clinical product on either side)."""
    offered.substitution.clinical = True
    db.session.commit()
    return offered


@pytest.mark.parametrize("who", ["practice_admin", "practice_buyer"])
def test_a_clinical_substitute_waits_for_a_physician_cpom(clinical, who):
    for verb in ("approve", "decline"):
        assert_error(decide(clinical, verb, who=who), 403, contains="A physician of the practice")
    assert db.session.get(Substitution, clinical.substitution.id).status == "offered"
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrderLine)) == 2


def test_a_physician_of_the_practice_approves_a_clinical_substitute(clinical):
    response = decide(clinical, "approve", who="practice_physician")
    assert response.status_code == 200 and response.get_json()["status"] == "approved"


def test_a_physician_of_another_practice_gets_404(clinical):
    from tests.conftest import TEST_SECRET
    from tests.factories import UserFactory, token_for
    from tests.scenarios import bearer

    other = UserFactory(organization_id=clinical.world.other_practice.id, roles=["practice_physician"],
                        email="dr.other@example.test")
    db.session.commit()
    clinical.world.headers["other_physician"] = bearer(token_for(other, TEST_SECRET))
    assert_error(decide(clinical, "approve", who="other_physician"), 404)
    assert db.session.get(Substitution, clinical.substitution.id).status == "offered"
