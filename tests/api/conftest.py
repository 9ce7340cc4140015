"""Fixtures several API test files share (their builders are in tests/scenarios.py)."""
import pytest

from tests.scenarios import Billing


@pytest.fixture
def billing(client, world, run_jobs):
    return Billing(client, world, run_jobs)
