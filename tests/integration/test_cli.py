"""flask gpo create-admin and seed-demo."""
from sqlalchemy import func, select

from gpo.accounts.models import Mso, Organization, User
from gpo.db import db
from gpo.demo import DEMO_PASSWORD, DEMO_VENDOR_API_KEY


def test_create_admin_creates_the_mso_and_an_mso_admin(app, db_ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["gpo", "create-admin", "--email", "Boss@MSO.test", "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "boss@mso.test")).one()
    assert user.roles == ["mso_admin"] and isinstance(user.organization, Mso)
    again = runner.invoke(args=["gpo", "create-admin", "--email", "boss@mso.test", "--password", "a-long-password"])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["gpo", "create-admin", "--email", "x@mso.test", "--password", "short"])
    assert short.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Mso)) == 1


def test_seed_demo_is_idempotent_and_its_logins_work(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["gpo", "seed-demo"])
    assert first.exit_code == 0, first.output
    counts = (db.session.scalar(select(func.count()).select_from(Organization)),
              db.session.scalar(select(func.count()).select_from(User)))
    second = runner.invoke(args=["gpo", "seed-demo"])
    assert second.exit_code == 0
    db.session.expire_all()
    assert counts == (db.session.scalar(select(func.count()).select_from(Organization)),
                      db.session.scalar(select(func.count()).select_from(User)))
    assert "admin@summit-mso.example" in first.output and DEMO_PASSWORD in first.output
    for email in ("admin@summit-mso.example", "buyer@lakeside.example", "dr.ortiz@lakeside.example", "admin@acme.example"):
        assert email in first.output
        response = client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 200, email
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {DEMO_VENDOR_API_KEY}"})
    assert me.status_code == 200 and me.get_json()["organization"]["name"] == "Acme Medical Supply"


def test_tick_closes_the_due_cycle_then_opens_the_next_as_two_use_cases(app, db_ctx, run_jobs):
    """One tick: the closing cycle's close is asked for and committed first, so (jobs in
    process) the next cycle opens in the same tick; each step is its own unit of work."""
    import datetime as dt

    from gpo.db import utcnow
    from gpo.orders.models import Cycle
    from tests.factories import CycleFactory

    now = utcnow()
    due = CycleFactory(opens_at=now - dt.timedelta(days=7), closes_at=now - dt.timedelta(minutes=1))
    upcoming = CycleFactory(status="scheduled", opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(days=7))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["gpo", "tick"])
    assert result.exit_code == 0, result.output
    run_jobs(db.session.get(Cycle, due.id).close_job_id)
    db.session.expire_all()
    assert db.session.get(Cycle, due.id).status == "closed"
    if not app.config.get("REDIS_URL"):  # in process, the close ran before the next step
        assert f"'opened': [{upcoming.id}]" in result.output
        assert db.session.get(Cycle, upcoming.id).status == "open"
    assert f"'closing': [{due.id}]" in result.output
