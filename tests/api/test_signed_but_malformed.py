"""Validly signed but malformed credentials and webhooks: a 4xx in the error shape,
never a 500 and never a different user."""
import json
import time

import jwt
import pytest
from sqlalchemy import func, select

from gpo.billing.models import StripeEvent
from gpo.db import db
from tests.conftest import TEST_SECRET
from tests.helpers import assert_error
from tests.scenarios import bearer, deliver_webhook, signed_webhook, stripe_event

ARABIC_INDIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")


def _token(sub) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "typ": "access", "iat": now, "exp": now + 600, "jti": "x"}, TEST_SECRET,
                      algorithm="HS256")


@pytest.mark.parametrize("sub", ["arabic-indic", "fullwidth", "99999999999999999999", str(2**63), "0", "-1", "+1",
                                 " 1", "1 ", "1.0", ""])
def test_a_signed_token_with_a_strange_sub_is_401(client, world, sub):
    user_id = str(world.users["mso_admin"].id)
    sub = {"arabic-indic": user_id.translate(ARABIC_INDIC),
           "fullwidth": "".join(chr(0xFF10 + int(d)) for d in user_id)}.get(sub, sub)
    response = client.get("/api/v1/me", headers=bearer(_token(sub)))
    assert_error(response, 401, contains="not valid")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_same_token_with_ascii_digits_works(client, world):
    response = client.get("/api/v1/me", headers=bearer(_token(str(world.users["mso_admin"].id))))
    assert response.status_code == 200


def _good_event() -> dict:
    return json.loads(stripe_event("evt_shape", "pi_shape", "key"))


def _without(field):
    event = _good_event()
    del event[field]
    return event


@pytest.mark.parametrize("name, body", [
    ("array", [_good_event()]),
    ("no id", _without("id")),
    ("no data", _without("data")),
    ("no type", _without("type")),
    ("id not a string", {**_good_event(), "id": 12}),
    ("id too long", {**_good_event(), "id": "evt_" + "x" * 100}),
    ("data not an object", {**_good_event(), "data": "x"}),
    ("data without object", {**_good_event(), "data": {}}),
    ("intent without id", {**_good_event(), "data": {"object": {"status": "succeeded"}}}),
    ("intent metadata not an object", {**_good_event(), "data": {"object": {
        "id": "pi_1", "status": "succeeded", "metadata": ["x"]}}}),
    ("attempt key not a string", {**_good_event(), "data": {"object": {
        "id": "pi_1", "status": "succeeded", "metadata": {"gpo_attempt_key": {"a": 1}}}}}),
    ("intent id longer than its column", {**_good_event(), "data": {"object": {
        "id": "pi_" + "x" * 62, "status": "succeeded"}}}),
    ("a string", "evt_1"),
    ("null", None),
])
def test_a_signed_webhook_that_is_not_an_event_is_400_and_records_nothing(client, world, name, body):
    payload = json.dumps(body).encode()
    assert_error(deliver_webhook(client, payload, signed_webhook(payload)), 400, contains="not a Stripe event")
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_a_signed_body_that_is_not_json_is_400(client, world):
    payload = b"\xff\xfe not json"
    assert_error(deliver_webhook(client, payload, signed_webhook(payload)), 400)
