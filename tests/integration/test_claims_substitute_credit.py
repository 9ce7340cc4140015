"""A credited claim on an approved substitute's line: the line pools no order lines, so
the credit goes through the invoice line billing the substitute (its `substitution_id`):
the draft keeps fewer units, or an issued invoice gets a credit note for the goods
and the service fee on them, in hand-computed cents.

The approved substitution and its invoice line are written here as the acknowledgement
slice's approval writes them (the substitute's PO line, a `product` invoice line with
`substitution_id` on the practice's draft)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from gpo.billing.models import Invoice, InvoiceLine
from gpo.billing.purchasing import _refresh_totals
from gpo.db import db, utcnow
from gpo.money import line_cents
from gpo.orders.models import PurchaseOrderLine, Substitution
from gpo.orders.purchase_orders import cut_units, follow_cut
from tests.factories import ProductFactory

PRICE = D("14.9950")  # 10 units: 14995 cents; 7: round_half_up(10496.5) = 10497


@pytest.fixture
def substitute(after_close, world):
    """Lakeside's 60 gloves: 50 accepted, 10 substituted by Acme's other gloves at
    $14.9950, approved and billed on Lakeside's draft; shipped, received 7 good and 3
    damaged: claim `substitute.claim_id` (3 units)."""
    ac = after_close
    original = ac.line()
    original.accepted_quantity, original.substituted_quantity = 50, 10
    ac.line(ac.other_location).accepted_quantity = 50
    cut_units(ac.po, original, 10)  # the original's 10 units leave Lakeside's order and draft
    follow_cut(ac.po, [original.id], "Substituted")
    other = ProductFactory(vendor_id=world.vendor.id, sku="GLV-L", list_price=D("18.5000"))
    sub_line = PurchaseOrderLine(purchase_order_id=ac.po.id, product_id=other.id, location_id=original.location_id,
                                 quantity=10, accepted_quantity=10, unit_price=PRICE, line_cents=line_cents(PRICE, 10),
                                 substitution_of_id=original.id)
    db.session.add(sub_line)
    db.session.flush()
    substitution = Substitution(purchase_order_id=ac.po.id, vendor_id=world.vendor.id, original_line_id=original.id,
                                practice_id=world.practice.id, location_id=original.location_id, product_id=other.id,
                                quantity=10, unit_price=PRICE, status="approved", offered_by="t", decided_by="t",
                                decided_at=utcnow(), substitute_line_id=sub_line.id)
    db.session.add(substitution)
    db.session.flush()
    draft = db.session.scalars(select(Invoice).where(Invoice.practice_id == world.practice.id)).one()
    db.session.add(InvoiceLine(invoice_id=draft.id, kind="product", description=f"{other.sku} {other.name}",
                               substitution_id=substitution.id, contract_id=ac.po.contract_id, vendor_id=world.vendor.id,
                               product_id=other.id, category=other.category, quantity=10, unit_price=PRICE,
                               list_cents=line_cents(other.list_price, 10), amount_cents=14995,
                               savings_cents=line_cents(other.list_price, 10) - 14995))
    db.session.flush()
    _refresh_totals(draft.cycle_id, [world.practice.id])
    db.session.commit()
    shipment = ac.ship(sub_line, 10)
    response = ac.post(f"/shipments/{shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": sub_line.id, "received_quantity": 7, "damaged_quantity": 3}]}, who="practice_buyer")
    assert response.status_code == 201, response.get_data(as_text=True)
    ac.claim_id = response.get_json()["lines"][0]["claim_id"]
    ac.sub_line_id, ac.draft_id = sub_line.id, draft.id
    return ac


def _invoices(world) -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).where(Invoice.practice_id == world.practice.id).order_by(Invoice.id)))


def test_a_credited_substitute_leaves_the_draft_through_its_own_invoice_line(substitute, world):
    [draft] = _invoices(world)
    assert draft.subtotal_cents == 89955 + 14995 + 2624  # 50 × $17.9910; fee: 2.5% of 104950 = 2623.75
    response = substitute.post(f"/claims/{substitute.claim_id}/credit", None)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["substitute"] is True
    [draft] = _invoices(world)
    billed = {line.substitution_id: (int(line.quantity), line.amount_cents) for line in draft.lines if line.kind == "product"}
    assert billed[db.session.scalars(select(Substitution.id)).one()] == (7, 10497)
    assert draft.service_fee_cents == 2511  # 2.5% of 89955 + 10497 = 100452: 2511.3
    assert draft.subtotal_cents == 89955 + 10497 + 2511
    assert db.session.get(PurchaseOrderLine, substitute.sub_line_id).line_cents == 10497


def test_a_credited_substitute_on_an_issued_invoice_makes_a_credit_note_to_the_cent(substitute, world):
    """Goods 14995 -> 10497: 4498 back; the fee on 89955 + 14995 = 104950 (2623.75:
    2624) becomes the fee on 100452 (2511.3: 2511): 113 back. The credit note:
    -4498 - 113 = -4611."""
    substitute.finalize(substitute.draft_id)
    assert substitute.post(f"/claims/{substitute.claim_id}/credit", None).status_code == 200
    issued, note = _invoices(world)
    assert note.kind == "credit" and note.corrects_invoice_id == issued.id
    assert [(line.kind, line.amount_cents) for line in note.lines] == [("adjustment", -4498), ("service_fee", -113)]
    assert note.total_cents == -4611
    assert note.lines[0].description.startswith("Credited by Acme for 3 damaged/missing: GLV-L ")


def _same_price_substitute_approved_after_issue(ac, world):
    """Lakeside's invoice issued (60 x $17.9910 = 107946, fee 2.5%: 2699); Acme
    substitutes 5 units by vinyl gloves at the same price; the physician approves: no
    credit note (nothing to give back), and no invoice line names the substitute. The
    5 vinyl ship and arrive damaged: the claim's id."""
    from gpo.billing.models import Invoice as _Invoice

    [invoice] = _invoices(world)
    ac.finalize(invoice.id)
    vinyl = ProductFactory(vendor_id=world.vendor.id, sku="VNL", name="Vinyl gloves", list_price=D("19.0000"))
    db.session.commit()
    response = ac.post(f"/purchase-orders/{ac.po.id}/acknowledge", {"lines": [
        {"line_id": ac.line().id, "accepted_quantity": 55,
         "substitute": {"product_id": vinyl.id, "quantity": 5, "unit_price": "17.9910"}},
        {"line_id": ac.line(ac.other_location).id, "accepted_quantity": 50}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    substitution = db.session.scalars(select(Substitution)).one()
    assert ac.post(f"/substitutions/{substitution.id}/approve", {}, who="practice_admin").status_code == 200
    assert [i.kind for i in _invoices(world)] == ["purchasing"]
    assert db.session.scalar(select(_Invoice.id).join(InvoiceLine).where(
        InvoiceLine.substitution_id == substitution.id)) is None
    sub_line = db.session.get(PurchaseOrderLine, db.session.get(Substitution, substitution.id).substitute_line_id)
    shipment = ac.ship(sub_line, 5)
    response = ac.post(f"/shipments/{shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": sub_line.id, "received_quantity": 0, "damaged_quantity": 5}]}, who="practice_buyer")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["lines"][0]["claim_id"]


def test_a_credited_claim_on_a_same_price_substitute_approved_after_issue_is_a_credit_note(after_close, world):
    """The 5 vinyl gloves are billed by the issued invoice's original units: the credit
    note gives back their goods at the substitute's price, 5 x 17.9910 = 89.955 -> 8996,
    and the fee: 2.5% of 107946 = 2698.65 -> 2699 becomes 2.5% of 98950 = 2473.75 ->
    2474: 225 back. -8996 - 225 = -9221."""
    claim_id = _same_price_substitute_approved_after_issue(after_close, world)
    assert after_close.post(f"/claims/{claim_id}/credit", None).status_code == 200
    issued, note = _invoices(world)
    assert note.kind == "credit" and note.corrects_invoice_id == issued.id
    assert [(line.kind, line.amount_cents) for line in note.lines] == [("adjustment", -8996), ("service_fee", -225)]
    assert note.total_cents == -9221
    assert note.lines[0].description == "Credited by Acme for 5 damaged/missing: VNL Vinyl gloves (substitute)"


def test_a_later_credit_of_the_original_does_not_credit_the_substitute_s_units_again(after_close, world):
    """Then 1 of the 55 original gloves goes missing and Acme credits it: only that
    unit comes back. Lakeside's order line holds 54 now (971.514 -> 97151): the issued
    lines bill 107946 - 97151 = 10795 beyond it, of which the swap's fixed value
    (8996) is the substitute's, already credited above: 1799 back. Fee: goods were
    107946 - 8996 = 98950 (2474), now 97151 (2428.775 -> 2429): 45 back. -1844."""
    ac = after_close
    claim_id = _same_price_substitute_approved_after_issue(ac, world)
    assert ac.post(f"/claims/{claim_id}/credit", None).status_code == 200
    shipment = ac.ship(ac.line(), 55)
    response = ac.post(f"/shipments/{shipment['id']}/receipts", {"lines": [
        {"shipment_line_id": ac.line().id, "received_quantity": 54, "damaged_quantity": 0}]}, who="practice_buyer")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert ac.post(f"/claims/{response.get_json()['lines'][0]['claim_id']}/credit", None).status_code == 200
    issued, _, note = _invoices(world)
    assert [(line.kind, line.amount_cents) for line in note.lines] == [("adjustment", -1799), ("service_fee", -45)]
    assert note.total_cents == -1844
