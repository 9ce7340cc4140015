"""Audit events: append-only, in the change's transaction, filtered per organization."""
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from gpo import audit
from gpo.accounts.models import Practice
from gpo.audit import AuditEvent
from gpo.auth.principal import SYSTEM
from gpo.db import db
from tests.factories import PracticeFactory


def test_the_orm_refuses_to_change_or_delete_an_event(db_ctx):
    practice = PracticeFactory()
    event = audit.record(SYSTEM, "practice.create", practice)
    db.session.commit()
    event.action = "something.else"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_postgresql_refuses_it_in_the_database_too(db_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (runs when TEST_DATABASE_URL is set)")
    practice = PracticeFactory()
    audit.record(SYSTEM, "practice.create", practice)
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE audit_events SET action = 'x'"))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()


def test_an_event_rolls_back_with_its_change(db_ctx):
    practice = Practice(name="Temp", tax_id="11-1111111", joined_on=db.func.current_date())
    db.session.add(practice)
    db.session.flush()
    audit.record(SYSTEM, "practice.create", practice)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_secrets_never_reach_details(db_ctx):
    practice = PracticeFactory()
    event = audit.record(SYSTEM, "x", practice, details={"password": "p", "key": "gpo_x", "name": "ok"})
    assert event.details == {"name": "ok"}


def test_admins_read_their_organizations_events_with_filters(client, world):
    headers = world.headers["mso_admin"]
    client.post("/api/v1/practices", json={"name": "Hilltop", "tax_id": "12-3456789"}, headers=headers)
    client.post(f"/api/v1/practices/{world.practice.id}/locations",
                json={"name": "Annex", "line1": "1", "city": "C", "state": "WI", "postal_code": "53703"},
                headers=world.headers["practice_admin"])
    everything = client.get("/api/v1/audit-events", headers=headers).get_json()
    assert {e["action"] for e in everything} == {"practice.create", "location.create"}
    mine = client.get("/api/v1/audit-events", headers=world.headers["practice_admin"]).get_json()
    assert [e["action"] for e in mine] == ["location.create"]
    assert mine[0]["actor_label"] == "practice_admin@example.test"
    assert client.get("/api/v1/audit-events", headers=world.headers["other_practice_admin"]).get_json() == []
    filtered = client.get("/api/v1/audit-events?action=practice.create", headers=headers).get_json()
    assert len(filtered) == 1 and filtered[0]["object_type"] == "practices"
    by_object = client.get(
        f"/api/v1/audit-events?object_type=locations&object_id={mine[0]['object_id']}", headers=headers).get_json()
    assert [e["id"] for e in by_object] == [mine[0]["id"]]
    assert client.get("/api/v1/audit-events", headers=world.headers["practice_buyer"]).status_code == 403
    later = client.get("/api/v1/audit-events?since=2999-01-01T00:00:00Z", headers=headers).get_json()
    assert later == []
