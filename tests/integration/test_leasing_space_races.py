"""Shared-space races the database decides (PostgreSQL: real concurrent transactions).
Two occupancies added at once that fit alone but not together: the suite's row lock
orders them, so the second sees the first and is refused; never both."""
from sqlalchemy import func, select

from gpo.db import db
from gpo.leasing.models import Occupancy
from tests.factories import PracticeFactory, SpaceFactory
from tests.scenarios import race


def test_two_occupancies_that_together_exceed_the_suite_one_wins(app, client, world, postgresql_only):
    space = SpaceFactory(square_feet=2500)
    hillcrest = PracticeFactory(name="Hillcrest")
    db.session.commit()
    url = f"/api/v1/leasing/spaces/{space.id}/occupancies"
    bodies = [{"practice_id": world.practice.id, "square_feet": 1500, "starts_on": "2027-01-01"},
              {"practice_id": world.other_practice.id, "square_feet": 1500, "starts_on": "2027-03-01"},
              {"practice_id": hillcrest.id, "square_feet": 1500, "starts_on": "2027-02-01", "ends_on": "2027-12-31"}]
    responses = race(app, [("POST", url, {"json": body, "headers": world.headers[who]})
                           for body, who in zip(bodies, ("mso_finance", "mso_admin", "mso_finance"), strict=True)])
    assert sorted(r.status_code for r in responses) == [201, 409, 409], [r.get_json() for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        assert "1,500 are occupied, so 1,500 more would make 3,000" in refused.get_json()["message"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Occupancy.id))) == 1
    assert db.session.scalar(select(func.sum(Occupancy.square_feet))) == 1500


def test_one_practice_added_twice_at_once_occupies_once(app, client, world, postgresql_only):
    space = SpaceFactory(square_feet=2500)
    db.session.commit()
    url = f"/api/v1/leasing/spaces/{space.id}/occupancies"
    body = {"practice_id": world.practice.id, "square_feet": 500, "starts_on": "2027-01-01"}
    responses = race(app, [("POST", url, {"json": body, "headers": world.headers["mso_finance"]})] * 4)
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert all("never overlap" in r.get_json()["message"] for r in responses if r.status_code == 409)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Occupancy.id))) == 1
