"""Creating a user with an e-mail that is taken answers the same 409 whichever
organization holds it, without naming the address or its organization: no admin
learns who another tenant's users are."""
import pytest
from sqlalchemy import func, select

from gpo.accounts.models import User
from gpo.db import db
from tests.helpers import assert_error

MESSAGE = "this e-mail address cannot be used for a new user: choose another"


def _body(email, role):
    return {"email": email, "name": "N", "password": "long-enough-password", "roles": [role]}


@pytest.mark.parametrize("who, url, role", [
    ("practice_admin", "/api/v1/practices/{practice}/users", "practice_buyer"),
    ("vendor_admin", "/api/v1/vendors/{vendor}/users", "vendor_admin"),
    ("mso_admin", "/api/v1/mso/users", "mso_finance"),
])
def test_a_taken_e_mail_answers_the_same_whoever_holds_it(client, world, who, url, role):
    url = url.format(practice=world.practice.id, vendor=world.vendor.id)
    answers = []
    # own organization's user, another practice's, a vendor's, the MSO's; any case
    for email in (f"{who}@example.test", "other_practice_admin@example.test", "OTHER_VENDOR_ADMIN@example.test",
                  "Mso_Finance@Example.test"):
        before = db.session.scalar(select(func.count()).select_from(User))
        response = client.post(url, json=_body(email, role), headers=world.headers[who])
        body = assert_error(response, 409)
        answers.append(body)
        assert db.session.scalar(select(func.count()).select_from(User)) == before
        text = response.get_data(as_text=True).lower()
        assert email.strip().lower() not in text and "riverbend" not in text and "bolt" not in text
    assert all(a == {"code": 409, "status": "Conflict", "message": MESSAGE} for a in answers), answers
    assert client.post(url, json=_body(f"fresh-{role}@example.test", role), headers=world.headers[who]).status_code == 201
