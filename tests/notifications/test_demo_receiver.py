"""The demo's webhook receiver (scripts/webhook_receiver.py) keeps what a valid
signature signs and refuses a forgery, as a vendor's system would."""
import datetime as dt
import importlib.util
import json
import threading
import urllib.error
import urllib.request

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import ROOT

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver(tmp_path):
    spec = importlib.util.spec_from_file_location("webhook_receiver", ROOT / "scripts" / "webhook_receiver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "secrets").write_text(SECRET + "\n")
    state = module.Receiver(tmp_path / "secrets", tmp_path / "log.jsonl", 204)
    server = module.serve("127.0.0.1", 0, state)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


def _post(url, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        return urllib.request.urlopen(request, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_signed_delivery_is_kept_and_a_forged_one_refused(receiver):
    url, state = receiver
    body = json.dumps({"type": "settlement.sent", "data": {"summary": "Settlement 3 sent"}}).encode()
    now = dt.datetime.now(dt.timezone.utc)
    signature = Webhook(SECRET).sign("msg_1", now, body.decode())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    assert _post(url + "/acme", body, headers) == 204
    assert _post(url + "/acme", body.replace(b"3", b"4"), headers) == 401
    assert [(r["webhook_id"], r["valid"], r["type"]) for r in state.received] == [
        ("msg_1", True, "settlement.sent"), ("msg_1", False, "settlement.sent")]
    page = urllib.request.urlopen(url + "/", timeout=5).read().decode()
    assert "Settlement 3 sent" in page and "REJECTED" in page


def _signed(body: bytes, msg_id: str) -> dict:
    now = dt.datetime.now(dt.timezone.utc)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(SECRET).sign(msg_id, now, body.decode())}


def test_an_answer_path_answers_a_valid_delivery_with_its_status_and_a_forgery_still_401(receiver):
    url, state = receiver
    body = json.dumps({"type": "purchase_order.created", "data": {"summary": "Purchase order 7 created"}}).encode()
    assert _post(url + "/answer/503", body, _signed(body, "msg_2")) == 503
    assert _post(url + "/answer/429", body, _signed(body, "msg_3")) == 429
    assert _post(url + "/answer/503", body, {**_signed(body, "msg_4"), "webhook-signature": "v1,Zm9yZ2Vk"}) == 401
    assert _post(url + "/acme", body, _signed(body, "msg_5")) == 204  # any other path: --answer (204)
    assert [(r["webhook_id"], r["path"], r["valid"], r["answered"]) for r in state.received] == [
        ("msg_2", "/answer/503", True, 503), ("msg_3", "/answer/429", True, 429),
        ("msg_4", "/answer/503", False, 401), ("msg_5", "/acme", True, 204)]
    page = urllib.request.urlopen(url + "/", timeout=5).read().decode()
    assert "<td>/answer/503</td>" in page and "<td>503</td>" in page and "4 received" in page
