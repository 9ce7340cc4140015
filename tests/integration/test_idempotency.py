"""Idempotency-Key: a replay returns the first response and creates nothing new."""
import datetime as dt

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from gpo.accounts.models import Practice
from gpo.audit import AuditEvent
from gpo.db import db
from gpo.idempotency import IdempotencyRecord, _request_hash
from tests.helpers import assert_error

BODY = {"name": "Hilltop", "tax_id": "12-3456789"}


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def post(client, headers, key, body=BODY):
    return client.post("/api/v1/practices", json=body, headers={**headers, "Idempotency-Key": key})


def test_a_replay_returns_the_first_response_and_creates_nothing(client, world):
    headers = world.headers["mso_admin"]
    first = post(client, headers, "k-1")
    assert first.status_code == 201
    before = count(Practice), count(AuditEvent)
    again = post(client, headers, "k-1")
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (count(Practice), count(AuditEvent)) == before


def test_the_same_key_with_another_body_is_409(client, world):
    headers = world.headers["mso_admin"]
    assert post(client, headers, "k-2").status_code == 201
    assert_error(post(client, headers, "k-2", {**BODY, "name": "Other"}), 409, contains="different request")


def test_keys_belong_to_their_principal(client, world):
    assert post(client, world.headers["mso_admin"], "shared").status_code == 201
    other = post(client, world.headers["mso_admin"].copy() | {}, "shared")
    assert other.headers.get("Idempotent-Replayed") == "true"
    # another principal with the same key is a different request altogether
    response = client.post(f"/api/v1/practices/{world.practice.id}/locations",
                           json={"name": "A", "line1": "1", "city": "C", "state": "WI", "postal_code": "53703"},
                           headers={**world.headers["practice_admin"], "Idempotency-Key": "shared"})
    assert response.status_code == 201


def test_a_request_still_running_with_the_key_is_409(app, client, world):
    with app.test_request_context("/api/v1/practices", method="POST", json=BODY):
        request_hash = _request_hash()
    db.session.add(IdempotencyRecord(
        principal_key=f"user:{world.users['mso_admin'].id}", key="busy", request_hash=request_hash))
    db.session.commit()
    assert_error(post(client, world.headers["mso_admin"], "busy"), 409, contains="still being processed")
    assert count(Practice) == 2


def test_a_claim_left_by_a_crashed_request_is_taken_over_once_stale(app, client, world):
    with app.test_request_context("/api/v1/practices", method="POST", json=BODY):
        request_hash = _request_hash()
    db.session.add(IdempotencyRecord(
        principal_key=f"user:{world.users['mso_admin'].id}", key="crashed", request_hash=request_hash,
        created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)))
    db.session.commit()
    assert post(client, world.headers["mso_admin"], "crashed").status_code == 201
    assert count(Practice) == 3


def test_a_crash_inside_the_request_leaves_nothing_and_the_key_reusable(client, world, monkeypatch):
    import gpo.accounts.services as services

    def crash(*args, **kwargs):
        raise RuntimeError("injected crash after the practice was added")

    monkeypatch.setattr(services.audit, "record", crash)
    with pytest.raises(RuntimeError):
        post(client, world.headers["mso_admin"], "k-crash")
    monkeypatch.undo()
    assert count(Practice) == 2
    assert count(IdempotencyRecord) == 0
    assert post(client, world.headers["mso_admin"], "k-crash").status_code == 201
    assert count(Practice) == 3


def test_the_stored_response_commits_with_the_change(client, world):
    post(client, world.headers["mso_admin"], "k-atomic")
    record = db.session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == "k-atomic")).one()
    practice = db.session.scalars(select(Practice).where(Practice.name == "Hilltop")).one()
    assert record.status == "completed" and record.response_status == 201
    assert f'"id": {practice.id}' in record.response_body or f'"id":{practice.id}' in record.response_body


def test_a_malformed_key_is_422(client, world):
    assert_error(post(client, world.headers["mso_admin"], "x" * 300), 422)


def test_a_twin_that_fails_and_releases_the_key_mid_claim_is_not_a_500(client, world, monkeypatch):
    """The race schemathesis found: our insert meets the twin's claim (IntegrityError),
    the twin fails and deletes its claim, and our read of it finds nothing. The key is
    free again, so the request claims it anew and runs once."""
    import gpo.idempotency as idempotency

    headers = world.headers["mso_admin"]
    assert post(client, headers, "k-warmup").status_code == 201
    principal_key = db.session.scalar(select(IdempotencyRecord.principal_key).where(IdempotencyRecord.key == "k-warmup"))
    db.session.add(IdempotencyRecord(principal_key=principal_key, key="k-race", request_hash="the twin's"))
    db.session.commit()
    real_find, calls = idempotency._find, []

    def twin_releases_first(principal, key):
        calls.append(key)
        if len(calls) == 1:  # the twin's request failed just now and released its claim
            db.session.execute(sa_delete(IdempotencyRecord).where(IdempotencyRecord.key == key))
            db.session.commit()
            return None
        return real_find(principal, key)

    monkeypatch.setattr(idempotency, "_find", twin_releases_first)
    before = count(Practice)
    response = post(client, headers, "k-race", {**BODY, "name": "Raced"})
    assert response.status_code == 201, response.get_json()
    assert calls == ["k-race"] and count(Practice) == before + 1
    assert post(client, headers, "k-race", {**BODY, "name": "Raced"}).headers["Idempotent-Replayed"] == "true"
