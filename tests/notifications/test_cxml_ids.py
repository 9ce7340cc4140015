"""an orderID of more than 4,300 digits makes parsing.object_id() call int() on
it, which Python refuses with ValueError (the int max-str-digits limit): a 500 where
the document promises 404 for "anything that is not one of ours"."""
from tests.notifications import cxml_builders as cx


def test_an_order_id_of_thousands_of_digits_is_not_found_not_a_500(client, after_close):
    body = cx.document(cx.confirmation("1" * 5000, kind="accept"), payload_id="review-long-id@acme.example")
    response = cx.post(client, body, after_close.world.headers["vendor_key"])
    code, text = cx.answer(response)
    assert code == 404, text
