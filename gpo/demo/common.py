"""What the demo's sections share: acting as a demo user, a practice's location, and
waiting for a job that a section asked for."""
from __future__ import annotations

import time

from sqlalchemy import select

from gpo.accounts.models import Location, Organization, Practice, User
from gpo.auth.services import principal_for_user
from gpo.db import commit_midway, db


def wait_until_done(what: str, status_query, done: tuple[str, ...], timeout: float = 120) -> None:
    """With REDIS_URL set an RQ worker runs the demo's jobs: wait for them (in-process
    jobs are already done)."""
    commit_midway(f"the demo waits for {what}: its job starts once what asked for it is committed")
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        status = db.session.scalar(status_query)
        if status in done:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} is still {status}: is a worker running (make worker)?")
        time.sleep(0.2)


def principal_of(email: str):
    """The principal of the demo user with this e-mail, as if they had signed in."""
    return principal_for_user(db.session.scalars(select(User).where(User.email == email)).one())


def location_of(practice_name: str) -> int:
    """The id of the (first) location of the practice with this name."""
    return db.session.scalars(select(Location.id).join(Practice, Practice.id == Location.practice_id)
                              .where(Organization.name == practice_name)).first()
