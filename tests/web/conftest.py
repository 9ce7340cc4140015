"""Page tests without a browser: the Flask test client signs in through /login (the
CSRF token read from the form, as a browser sends it) and reads the HTML."""
from __future__ import annotations

import pytest

from tests.pages import Pages


@pytest.fixture
def pages(app, world):
    """`pages.as_(name)`: a client signed in as world.users[name]."""
    return Pages(app, world)
