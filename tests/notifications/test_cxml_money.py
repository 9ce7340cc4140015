"""a <Money> amount Decimal reads but cannot scale to cents (1E+999999 and the
like: 11 characters, finite) must be a 422 cXML Status, not a 500 (inbound.py: "never
a 5xx for anything a client can send")."""
import pytest

from tests.notifications import cxml_builders as cx


@pytest.mark.parametrize("amount", ["1E+999999", "9E+99999999", "1E+30"])
@pytest.mark.parametrize("where", ["subtotal", "tax", "shipping", "unit_price"])
def test_an_absurd_money_amount_is_refused_not_a_500(client, after_close, amount, where):
    ac = after_close
    line = ac.po.lines[0]
    price = amount if where == "unit_price" else "1.0000"
    body = cx.document(cx.invoice_detail(
        ac.po.id, "ACME-REVIEW-1", [(1, line.id, 1, price, None)],
        subtotal=amount if where == "subtotal" else "1.00",
        tax=amount if where == "tax" else None, shipping=amount if where == "shipping" else None),
        payload_id=f"review-{where}-{amount}@acme.example")
    response = cx.post(client, body, ac.world.headers["vendor_key"])
    code, text = cx.answer(response)
    assert 400 <= code < 500, text
