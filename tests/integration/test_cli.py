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
