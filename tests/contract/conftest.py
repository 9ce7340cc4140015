"""The API tests' small world (organizations, users who can sign in, a vendor key)."""
from tests.api.conftest import world  # noqa: F401  (a fixture, shared)
