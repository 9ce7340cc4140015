"""Unit tests run without the app: no database, Redis or localstripe (`make test-fast`).
A unit test that asks for one of the suite's app fixtures fails at once, rather than
starting localstripe and migrating a database behind `make test-fast`'s back."""
import pytest


def _not_here(name: str):
    @pytest.fixture(name=name)
    def fixture():
        pytest.fail(f"tests/unit runs without the app: the `{name}` fixture belongs in tests/api or tests/integration")

    return fixture


for _name in ("app", "database_url", "stripe_url", "rq_worker", "db_ctx", "client", "world", "live_server"):
    globals()[f"_no_{_name}"] = _not_here(_name)
