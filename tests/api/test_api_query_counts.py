"""The API's busiest reads send a fixed, small number of SQL statements, however many
rows the database holds: each is requested, its statements counted (a
`before_cursor_execute` listener on db.engine around the request), the exact count
asserted, then rows are added and the count must not move (`tests.pages.same_count`).

Counts leave out SQLite's `BEGIN IMMEDIATE` (gpo starts SQLite's transactions itself;
psycopg starts PostgreSQL's without a statement the listener sees), so they are the
same on both databases. Authentication is one statement for each kind of caller (an
access token, an API key, a browser session); `GET /me` answers from the rows it read."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from sqlalchemy import event

from gpo.catalog.models import ProductPrice
from gpo.db import db, utcnow
from tests.factories import (
    ContractFactory,
    CycleFactory,
    OrderFactory,
    PracticeFactory,
    UserFactory,
    api_key_with_secret,
)
from tests.pages import Pages, same_count


def _one_line(statement: str) -> str:
    return " ".join(statement.split())


class Recorded:
    """What one request sent: its statements (BEGIN aside) and its commits."""

    def __init__(self):
        self.statements: list[str] = []
        self.commits = 0

    def __enter__(self):
        db.session.commit()  # the test's own rows are written before counting
        event.listen(db.engine, "before_cursor_execute", self._statement)
        event.listen(db.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._statement)
        event.remove(db.engine, "commit", self._commit)

    def _statement(self, conn, cursor, statement, *args) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.statements.append(_one_line(statement))

    def _commit(self, conn) -> None:
        self.commits += 1


class ApiStatements:
    """`statements(path)`: how many statements a GET of `path` sends once warm (the
    first request alone may write, e.g. an API key's last use). Fits `same_count`."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def __call__(self, path: str) -> int:
        assert self.client.get(path, headers=self.headers).status_code == 200
        with Recorded() as recorded:
            response = self.client.get(path, headers=self.headers)
        assert response.status_code == 200, response.get_json()
        self.last = recorded.statements
        return len(recorded.statements)


def _assert_count(statements: ApiStatements, path: str, expected: int) -> None:
    count = statements(path)
    assert count == expected, f"{path}: {count} statements, expected {expected}:\n" + "\n".join(
        s[:300] for s in statements.last)


def more_people(world, n: int = 5) -> None:
    """More users (with several roles), organizations and API keys."""
    for _ in range(n):
        practice = PracticeFactory()
        UserFactory(organization_id=practice.id, roles=["practice_admin", "practice_buyer"])
        UserFactory(organization_id=world.practice.id, roles=["practice_buyer", "practice_physician"])
        api_key_with_secret(world.vendor.id)


# --- GET /me: authentication's one statement, and nothing more -----------------------------


def test_me_for_a_user_is_one_statement(client, world):
    statements = ApiStatements(client, world.headers["practice_admin"])
    _assert_count(statements, "/api/v1/me", 1)
    [auth] = statements.last
    assert all(table in auth for table in ("users", "user_roles", "organizations", "practices"))
    same_count(statements, "/api/v1/me", lambda: more_people(world))


def test_me_for_an_api_key_is_one_statement(client, world):
    statements = ApiStatements(client, world.headers["vendor_key"])
    _assert_count(statements, "/api/v1/me", 1)
    [auth] = statements.last
    assert "api_keys" in auth and "vendors" in auth
    same_count(statements, "/api/v1/me", lambda: more_people(world))


def test_an_api_keys_last_use_is_written_at_most_once_a_minute(client, world):
    from gpo.auth.models import ApiKey

    db.session.execute(ApiKey.__table__.update().values(last_used_at=None))
    with Recorded() as first:
        client.get("/api/v1/me", headers=world.headers["vendor_key"])
    with Recorded() as second:
        client.get("/api/v1/me", headers=world.headers["vendor_key"])
    assert sum(s.startswith("UPDATE api_keys") for s in first.statements) == 1
    assert not any(s.startswith("UPDATE") for s in second.statements)


# --- search and a product's page ------------------------------------------------------------


def test_search_is_one_statement_for_the_page_and_its_total(client, world, products):
    products(5, name="Nitrile gloves")
    statements = ApiStatements(client, world.headers["practice_buyer"])
    _assert_count(statements, "/api/v1/products?q=gloves", 2)  # authentication, then the page
    page = statements.last[-1]
    assert "SELECT count(*) AS count_1 FROM (SELECT products.id" in page and "LIMIT" in page
    # more matches than a page holds: still one pass, and the total counts them all
    same_count(statements, "/api/v1/products?q=gloves", lambda: products(45, name="Nitrile gloves"))
    response = client.get("/api/v1/products?q=gloves&page=3&page_size=20", headers=world.headers["practice_buyer"])
    assert len(response.get_json()) == 10
    assert '"total": 50' in response.headers["X-Pagination"]


def test_a_page_past_the_end_counts_apart(client, world, products):
    products(3, name="Nitrile gloves")
    statements = ApiStatements(client, world.headers["practice_buyer"])
    # no row carries the total: one count more
    _assert_count(statements, "/api/v1/products?q=gloves&page=2&page_size=20", 3)
    response = client.get("/api/v1/products?q=gloves&page=2&page_size=20", headers=world.headers["practice_buyer"])
    assert response.get_json() == [] and '"total": 3' in response.headers["X-Pagination"]


def test_the_catalog_list_is_one_statement_for_any_filter(client, world, products):
    products(4)
    statements = ApiStatements(client, world.headers["mso_admin"])
    path = f"/api/v1/products?vendor_id={world.vendor.id}&on_contract=true&sort=-price"
    _assert_count(statements, path, 2)
    same_count(statements, path, lambda: products(30))


def test_a_products_page_is_two_statements_after_authentication(client, world, products):
    product, *_ = products(2)
    now = utcnow()
    db.session.add(ProductPrice(product_id=product.id, list_price=D("19.99"), changed_by="t", effective_from=now))
    statements = ApiStatements(client, world.headers["practice_buyer"])
    path = f"/api/v1/products/{product.id}"
    _assert_count(statements, path, 3)  # authentication; the product with its prices; its contracts

    def grow():
        ContractFactory(vendor_id=world.vendor.id, products=[product])  # a second contract it is on
        db.session.add_all(ProductPrice(product_id=product.id, list_price=D("19.99") + i, changed_by="t",
                                        effective_from=now - dt.timedelta(days=10 * (i + 1))) for i in range(6))
        CycleFactory()
        for _ in range(3):
            OrderFactory(location=world.location, items=[(product, 10)])
        more_people(world, 2)

    same_count(statements, path, grow)
    body = client.get(path, headers=world.headers["practice_buyer"]).get_json()
    assert len(body["price_history"]) == 7 and len(body["contracts"]) == 2
    assert [p["effective_from"] for p in body["price_history"]] == sorted(
        (p["effective_from"] for p in body["price_history"]), reverse=True)


# --- pages: the session cookie is one statement too ---------------------------------------


def test_a_page_recognizes_its_session_in_one_statement(app, world, products):
    products(3)
    page = Pages(app, world).as_("practice_buyer")
    with Recorded() as signed_in_login:
        response = page.get("/login")  # signed in already: sent home, nothing but the session read
    assert response.status_code == 302
    assert len(signed_in_login.statements) == 1, signed_in_login.statements
    [auth] = signed_in_login.statements
    assert all(table in auth for table in ("web_sessions", "users", "user_roles", "organizations", "practices"))

    with Recorded() as shop:
        assert page.get("/shop").status_code == 200
    reading_the_caller = [s for s in shop.statements if "web_sessions" in s or "user_roles" in s]
    assert reading_the_caller == [shop.statements[0]]
    assert not any(s.startswith("SELECT practices.") for s in shop.statements)  # the practice came with it


# --- an idempotent POST is one transaction ---------------------------------------------------


def test_an_idempotent_order_commits_once_with_its_key(client, world, products):
    gloves, = products(1)
    CycleFactory()
    headers = {**world.headers["practice_buyer"], "Idempotency-Key": "order-once"}
    body = {"location_id": world.location.id, "lines": [{"product_id": gloves.id, "quantity": 10}]}
    with Recorded() as placed:
        first = client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert placed.commits == 1  # the claim of the key, the order and the stored answer together
    writes = [s.split(" (")[0] for s in placed.statements if s.startswith(("INSERT", "UPDATE"))]
    assert writes[0] == "INSERT INTO idempotency_records" and writes[-1].startswith("UPDATE idempotency_records")
    with Recorded() as replayed:
        again = client.post("/api/v1/orders", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert not any(s.startswith("INSERT INTO orders") for s in replayed.statements)
