"""The same-SQL floor of bench/api_load.py: a tiny WSGI app (no Flask, no SQLAlchemy)
answering the five benchmarked API endpoints with the SQL each needs, written by hand
with psycopg on one connection per worker process, and the same JSON keys as the app:

    GET  /api/v1/me                               authenticate (one statement)
    GET  /api/v1/products?q=gloves                + one page and its total (one statement)
    GET  /api/v1/products/<id>                    + the product, price history, contracts (one)
    GET  /api/v1/contracts/<id>/tier-progress     + contract and cycle, running volumes (two)
    POST /api/v1/orders (Idempotency-Key)         + one transaction: checks, order, lines,
                                                    running volumes, estimated prices,
                                                    idempotency record and audit event;
                                                    one commit

Volumes come from the running-volumes table (gpo/orders/running_volumes.py), never from
the cycle's lines: tier progress sums the contract's rows per tier index, POST /orders
adds a confirmed order's lines to its slot's rows (one INSERT ... ON CONFLICT DO UPDATE)
and reads the estimates back from tier index 0.

Authentication verifies the bearer token as gpo/auth/tokens.py does (HS256 with
SECRET_KEY, `exp`, `sub`, `typ`) and reads the user, roles and organization in one
statement; API keys are not covered (the bench signs in as a practice user). Each
endpoint's SQL is one small function: when the app's needs change, change it here too,
so the floor stays the same work.

    DATABASE_URL=postgresql://... SECRET_KEY=... gunicorn --pythonpath bench same_sql:app

Started by bench/api_load.py, never by tests.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import sys
import uuid
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs

import jwt
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

MSO_ROLES = frozenset({"mso_admin", "mso_procurement", "mso_finance", "mso_scheduler"})  # gpo/auth/roles.py
PLACES = Decimal("0.0001")
IN_EFFECT = ("k.accepted_at IS NOT NULL AND k.starts_on <= current_date AND k.ends_on >= current_date"
             " AND (k.terminated_on IS NULL OR k.terminated_on > current_date)")  # Contract.in_effect_on(today)
SEARCH_DOCUMENT = ("to_tsvector('english'::regconfig, name || ' ' || description || ' ' || manufacturer"
                   " || ' ' || manufacturer_part_number || ' ' || sku)")  # gpo.catalog.models, its GIN index
PRODUCT_COLUMNS = ("id, vendor_id, sku, name, description, category, manufacturer, manufacturer_part_number, gtin,"
                   " unit_of_measure, list_price, clinical, min_order_quantity, order_multiple, active,"
                   " clinical_marked_by_mso, created_at, updated_at")
PRICE_FIELDS = ("list_price", "estimated_unit_price", "unit_price")

statements = 0  # SQL statements sent by this process (bench/api_load.py's query count reads it)
commits = 0
_connection: psycopg.Connection | None = None


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# --- the connection -------------------------------------------------------------------


def connection() -> psycopg.Connection:
    """This worker's connection (opened at its first request, after gunicorn forks)."""
    global _connection
    if _connection is None or _connection.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        # Autocommit: a read is its statements alone (the app's reads send no more than
        # a BEGIN and a COMMIT besides); POST /orders opens its own transaction.
        _connection = psycopg.connect(url, autocommit=True, row_factory=dict_row,
                                      options="-c TimeZone=UTC")
    return _connection


def close() -> None:
    global _connection
    if _connection is not None:
        _connection.close()
        _connection = None


def run(sql: str, params=None) -> psycopg.Cursor:
    global statements
    statements += 1
    return connection().execute(sql, params)


# --- money and tiers: the same rules as gpo/money.py and gpo/contracts/tiers.py ----------


def round_half_up(value: Decimal, places: Decimal = Decimal(1)) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def line_cents(unit_price: Decimal, quantity: int) -> int:
    return int(round_half_up(unit_price * quantity * 100))


def price_at(tier: dict, product_id: int, list_price: Decimal) -> Decimal:
    fixed = (tier.get("item_prices") or {}).get(str(product_id))
    if fixed is not None:
        return Decimal(str(fixed))
    return round_half_up(list_price * (1 - Decimal(str(tier["discount_percent"])) / 100), PLACES)


def achieved_index(tiers: list[dict], volume: int) -> int:
    return max(i for i, tier in enumerate(tiers) if volume >= int(tier["min_volume"]))


def tier_json(tier: dict) -> dict:
    """As Tier.to_json() answers it."""
    prices = {int(k): Decimal(str(v)) for k, v in (tier.get("item_prices") or {}).items()}
    return {"min_volume": int(tier["min_volume"]), "discount_percent": str(Decimal(str(tier["discount_percent"]))),
            "item_prices": {str(k): str(v) for k, v in sorted(prices.items())}}


def price_text(value) -> str | None:
    return None if value is None else format(Decimal(value).quantize(PLACES), "f")


# --- authentication: one statement ----------------------------------------------------

AUTH_SQL = """
SELECT u.id, u.organization_id, u.email, u.name, u.active, u.created_at, o.name AS organization_name, o.org_type,
       coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles
FROM users u JOIN organizations o ON o.id = u.organization_id LEFT JOIN user_roles r ON r.user_id = u.id
WHERE u.id = %s GROUP BY u.id, o.id"""


def authenticate(environ) -> dict:
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(401, "the Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(token.strip(), os.environ["SECRET_KEY"], algorithms=["HS256"],
                            options={"require": ["exp", "sub", "typ"]})
    except jwt.PyJWTError:
        raise Refused(401, "the access token is not valid") from None
    sub = claims["sub"]
    if claims.get("typ") != "access" or not isinstance(sub, str) or not (sub.isascii() and sub.isdigit()):
        raise Refused(401, "the access token is not valid")
    user = run(AUTH_SQL, (int(sub),)).fetchone()
    if user is None or not user["active"]:
        raise Refused(401, "the access token is not valid")
    roles = frozenset(user["roles"])
    user["principal_roles"] = roles | MSO_ROLES if "mso_admin" in roles else roles
    return user


def user_json(user: dict) -> dict:
    return {"id": user["id"], "organization_id": user["organization_id"], "email": user["email"],
            "name": user["name"], "roles": list(user["roles"]), "active": user["active"],
            "created_at": user["created_at"]}


def me(user: dict, environ) -> tuple[int, dict, dict]:
    organization = {"id": user["organization_id"], "name": user["organization_name"], "org_type": user["org_type"]}
    return 200, {"kind": "user", "organization": organization, "roles": sorted(user["principal_roles"]),
                 "user": user_json(user), "api_key": None}, {}


# --- the catalog ------------------------------------------------------------------------


def visible_products(user: dict) -> str:
    """gpo.catalog.products.browse/product_visible: practices (and by default everyone)
    see the active catalog, a vendor its own."""
    if user["org_type"] == "vendor":
        return "vendor_id = %(organization)s AND active"
    return "active"


def product_json(row: dict) -> dict:
    product = {k: v for k, v in row.items() if k not in ("total", "prices", "contracts")}
    product["list_price"] = price_text(product["list_price"])
    return product


def search(user: dict, environ) -> tuple[int, list, dict]:
    """One page of the search and its total, in one pass (count(*) OVER ())."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    q = query.get("q", [""])[0]
    page, size = int(query.get("page", ["1"])[0]), min(int(query.get("page_size", ["20"])[0]), 100)
    match = f" AND {SEARCH_DOCUMENT} @@ websearch_to_tsquery('english', %(q)s)" if q else ""
    # MATERIALIZED: the matches first (the GIN index), then their order. Left to itself the
    # planner walks ix_products_active_name to skip the sort and tests every product's
    # document (30x slower for q=gloves on 20,000 products).
    rows = run(f"WITH found AS MATERIALIZED (SELECT {PRODUCT_COLUMNS} FROM products"
               f" WHERE {visible_products(user)}{match})"
               f" SELECT *, count(*) OVER () AS total FROM found ORDER BY name, id LIMIT %(limit)s OFFSET %(offset)s",
               {"q": q, "organization": user["organization_id"], "limit": size, "offset": (page - 1) * size}).fetchall()
    total = rows[0]["total"] if rows else 0  # (past the last page: 0, where the app counts anyway)
    return 200, [product_json(row) for row in rows], {"X-Pagination": json.dumps(pagination(page, size, total))}


def pagination(page: int, size: int, total: int) -> dict:
    """flask-smorest's X-Pagination."""
    if total == 0:
        return {"total": 0, "total_pages": 0}
    last = (total - 1) // size + 1
    meta = {"total": total, "total_pages": last, "first_page": 1, "last_page": last, "page": page}
    if page > 1:
        meta["previous_page"] = page - 1
    if page < last:
        meta["next_page"] = page + 1
    return meta


PRODUCT_SQL = f"""
SELECT {PRODUCT_COLUMNS},
  (SELECT coalesce(json_agg(json_build_object('list_price', pp.list_price::text, 'effective_from', pp.effective_from,
                                              'effective_to', pp.effective_to)
                            ORDER BY pp.effective_from DESC, pp.id DESC), '[]')
   FROM product_prices pp WHERE pp.product_id = products.id) AS prices,
  (SELECT coalesce(json_agg(json_build_object('id', k.id, 'title', k.title, 'starts_on', k.starts_on,
                                              'ends_on', k.ends_on) ORDER BY k.id), '[]')
   FROM contract_items ci JOIN contracts k ON k.id = ci.contract_id
   WHERE ci.product_id = products.id AND {IN_EFFECT}) AS contracts
FROM products WHERE id = %(id)s"""


def product(user: dict, environ, product_id: str) -> tuple[int, dict, dict]:
    """A product with its price history and the contracts in effect it is on: one statement."""
    row = run(PRODUCT_SQL, {"id": int(product_id)}).fetchone()
    visible = row is not None and (row["active"] if user["org_type"] == "practice" else
                                   user["org_type"] == "mso" or row["vendor_id"] == user["organization_id"])
    if not visible:
        raise Refused(404, f"product {product_id} not found")
    for price in row["prices"]:  # (JSON from PostgreSQL drops trailing zeros of the microseconds)
        price["list_price"] = price_text(price["list_price"])
        for field in ("effective_from", "effective_to"):
            if price[field] is not None:
                price[field] = dt.datetime.fromisoformat(price[field]).isoformat()
    return 200, {**product_json(row), "price_history": row["prices"], "contracts": row["contracts"]}, {}


# --- running volumes: gpo/orders/running_volumes.py's table ---------------------------------
# Per (cycle, contract, slot, tier_index): the confirmed lines' units, list cents and
# cents at that tier's prices; an order adds to the rows of its slot (order id % SLOTS).
# Summed over the slots: the volume (tier_index 0) and what the lines cost at each tier.

SLOTS = 64  # gpo.orders.models.RUNNING_VOLUME_SLOTS
LIST_PRICE = {"min_volume": 0, "discount_percent": "0", "item_prices": {}}  # a contract without agreed tiers

TIER_SUMS_SQL = """
SELECT tier_index, sum(units) AS units, sum(list_cents) AS list_cents, sum(tier_cents) AS tier_cents
FROM running_volumes WHERE cycle_id = %(cycle)s AND contract_id = %(contract)s GROUP BY tier_index"""

VOLUMES_SQL = """
SELECT contract_id, sum(units) AS units, sum(list_cents) AS list_cents FROM running_volumes
WHERE cycle_id = %(cycle)s AND contract_id = ANY(%(contracts)s) AND tier_index = 0 GROUP BY contract_id"""

# The deltas in (contract, tier) order, as gpo.orders.running_volumes._upsert: two orders
# sharing a slot lock its rows in the same order.
ADD_VOLUMES_SQL = """
INSERT INTO running_volumes AS v (cycle_id, contract_id, slot, tier_index, units, list_cents, tier_cents)
SELECT %(cycle)s, u.contract_id, %(slot)s, u.tier_index, u.units, u.list_cents, u.tier_cents
FROM unnest(%(contracts)s::bigint[], %(tiers)s::int[], %(units)s::bigint[], %(list_cents)s::bigint[],
            %(tier_cents)s::bigint[]) AS u(contract_id, tier_index, units, list_cents, tier_cents)
ON CONFLICT (cycle_id, contract_id, slot, tier_index) DO UPDATE
SET units = v.units + EXCLUDED.units, list_cents = v.list_cents + EXCLUDED.list_cents,
    tier_cents = v.tier_cents + EXCLUDED.tier_cents"""


def volume_of(basis: str, sums: dict | None) -> int:
    """The volume that sets the tier: units, or list cents (spend basis); 0 without rows."""
    if sums is None:
        return 0
    return int(sums["units"] if basis == "units" else sums["list_cents"])


def volume_deltas(lines: list[dict]) -> dict[tuple[int, int], list[int]]:
    """(contract id, tier index) -> what the lines add: units, list cents, cents at the
    tier's prices (each line rounded half-up at each price), as running_volumes.move."""
    deltas: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in lines:
        list_cents = line_cents(line["list_price"], line["quantity"])
        for index, tier in enumerate(line["tiers"] or [LIST_PRICE]):
            row = deltas[(line["contract_id"], index)]
            row[0] += line["quantity"]
            row[1] += list_cents
            row[2] += line_cents(price_at(tier, line["id"], line["list_price"]), line["quantity"])
    return deltas


def add_to_running_volumes(cycle_id: int, order_id: int, lines: list[dict]) -> None:
    """The confirmed order's lines added to its slot's rows: one statement."""
    deltas = sorted(volume_deltas(lines).items())
    run(ADD_VOLUMES_SQL, {
        "cycle": cycle_id, "slot": order_id % SLOTS, "contracts": [contract for (contract, _), _ in deltas],
        "tiers": [index for (_, index), _ in deltas], "units": [d[0] for _, d in deltas],
        "list_cents": [d[1] for _, d in deltas], "tier_cents": [d[2] for _, d in deltas]})


# --- tier progress ------------------------------------------------------------------------

CONTRACT_SQL = f"""
SELECT k.id, k.vendor_id, k.basis, k.tiers, ({IN_EFFECT}) AS in_effect, c.id AS cycle_id
FROM contracts k LEFT JOIN cycles c
  ON CASE WHEN %(cycle)s::bigint IS NULL THEN c.status = 'open' ELSE c.id = %(cycle)s::bigint END
WHERE k.id = %(contract)s"""


def tier_progress(user: dict, environ, contract_id: str) -> tuple[int, dict, dict]:
    """The contract and the cycle (named, or the open one) in one statement, then the
    contract's running volumes in the cycle summed per tier."""
    cycle = parse_qs(environ.get("QUERY_STRING", "")).get("cycle_id", [None])[0]
    found = run(CONTRACT_SQL, {"contract": int(contract_id), "cycle": cycle}).fetchone()
    visible = found is not None and (user["org_type"] == "mso" or found["vendor_id"] == user["organization_id"]
                                     or (user["org_type"] == "practice" and found["in_effect"]))
    if not visible:
        raise Refused(404, f"contract {contract_id} not found")
    if found["cycle_id"] is None:
        raise Refused(404, "no cycle is open: name cycle_id")
    if not found["tiers"]:
        raise Refused(409, f"contract {contract_id} has no agreed tiers yet")
    sums = {row["tier_index"]: row for row in run(TIER_SUMS_SQL, {"cycle": found["cycle_id"], "contract": found["id"]})}
    return 200, progress_of(found, sums), {}


def progress_of(contract: dict, sums: dict[int, dict]) -> dict:
    """gpo.orders.tier_progress.progress_of, from the contract row and its sums per tier
    index (the savings: the lines' cents at the tier reached less at the next)."""
    tiers = contract["tiers"]
    volume = volume_of(contract["basis"], sums.get(0))
    index = achieved_index(tiers, volume)
    current, following = tiers[index], tiers[index + 1] if index + 1 < len(tiers) else None

    def cents_at(i: int) -> int:
        return int(sums[i]["tier_cents"]) if i in sums else 0

    return {"contract_id": contract["id"], "cycle_id": contract["cycle_id"], "basis": contract["basis"],
            "volume": volume, "achieved_tier": tier_json(current),
            "next_tier": tier_json(following) if following else None,
            "volume_to_next_tier": int(following["min_volume"]) - volume if following else None,
            "savings_at_next_tier_cents": cents_at(index) - cents_at(index + 1) if following else None}


# --- POST /orders: one transaction ----------------------------------------------------------

ORDER_CONTEXT_SQL = """
SELECT p.status, (SELECT l.id FROM locations l WHERE l.id = %(location)s AND l.practice_id = p.id) AS location_id,
       c.id AS cycle_id, c.closes_at > now() AS accepting
FROM practices p, cycles c WHERE p.id = %(practice)s AND c.status = 'open'
FOR SHARE OF c"""  # the open cycle share-locked, as gpo.orders.ordering._lock_open_cycle

ORDER_PRODUCTS_SQL = f"""
SELECT p.id, p.active, p.list_price, p.clinical, p.min_order_quantity, p.order_multiple,
       k.id AS contract_id, k.basis, k.tiers
FROM products p LEFT JOIN LATERAL (
  SELECT k.id, k.basis, k.tiers FROM contract_items ci JOIN contracts k ON k.id = ci.contract_id
  WHERE ci.product_id = p.id AND {IN_EFFECT} LIMIT 1) k ON true
WHERE p.id = ANY(%(ids)s)"""  # each product with the contract in effect it is on (its basis and tiers)

INSERT_ORDER_SQL = """
INSERT INTO orders (practice_id, location_id, cycle_id, status, placed_by, submitted_at, substitutions_allowed,
                    backorders_allowed, version, created_at)
VALUES (%(practice)s, %(location)s, %(cycle)s, %(status)s, %(placed_by)s, now(), %(substitutions)s, %(backorders)s,
        1, now())
RETURNING id, practice_id, location_id, cycle_id, status, placed_by, submitted_at, approved_by_user_id, approved_at,
          cancelled_at, missed_reason, copied_from_order_id, substitutions_allowed, backorders_allowed, created_at"""

INSERT_LINES_SQL = """
INSERT INTO order_lines (order_id, product_id, contract_id, quantity, list_price, clinical, shipped_quantity)
SELECT %(order)s, u.product_id, u.contract_id, u.quantity, u.list_price, u.clinical, 0
FROM unnest(%(products)s::bigint[], %(contracts)s::bigint[], %(quantities)s::int[], %(prices)s::numeric[],
            %(clinical)s::boolean[]) WITH ORDINALITY AS u(product_id, contract_id, quantity, list_price, clinical, n)
ORDER BY u.n
RETURNING id, product_id, contract_id, quantity, clinical, list_price, unit_price, list_cents, line_cents,
          savings_cents, accepted_quantity, shipped_quantity"""

# The stored answer for Idempotency-Key replays and the audit event, in one statement.
RECORD_SQL = """
WITH claim AS (
  INSERT INTO idempotency_records (principal_key, key, request_hash, status, response_status, response_headers,
                                   response_body, completed_at, created_at)
  VALUES (%(principal)s, %(key)s, %(hash)s, 'completed', 201, %(headers)s, %(body)s, now(), now()))
INSERT INTO audit_events (at, actor_type, actor_user_id, actor_label, organization_id, action, object_type, object_id,
                          request_id, details)
VALUES (now(), 'user', %(user)s, %(label)s, %(organization)s, 'order.place', 'orders', %(order)s, %(request_id)s,
        %(details)s)"""


def order_input(environ) -> tuple[dict, bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    try:
        data = json.loads(body)
        lines = [{"product_id": int(line["product_id"]), "quantity": int(line["quantity"])} for line in data["lines"]]
        data["location_id"] = int(data["location_id"])
    except (ValueError, KeyError, TypeError):
        raise Refused(422, "the body must be {location_id, lines: [{product_id, quantity}]}") from None
    if not 1 <= len(lines) <= 500 or len({line["product_id"] for line in lines}) != len(lines):
        raise Refused(422, "1 to 500 lines, one per product")
    return {**data, "lines": lines}, body


def request_hash(environ, body: bytes) -> str:
    """gpo.idempotency._request_hash: HMAC of method, full path and canonical JSON body."""
    canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hmac.new(os.environ["SECRET_KEY"].encode(), digestmod=hashlib.sha256)
    for part in (environ["REQUEST_METHOD"].encode(), (environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", "")).encode(),
                 canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def order_lines(data: dict) -> list[dict]:
    """The order's lines from its products (active, on a contract in effect, quantity rules)."""
    products = {row["id"]: row for row in run(ORDER_PRODUCTS_SQL, {"ids": [x["product_id"] for x in data["lines"]]})}
    lines = []
    for i, line in enumerate(data["lines"]):
        found = products.get(line["product_id"])
        if found is None or not found["active"] or found["contract_id"] is None:
            raise Refused(422, f"line {i}: product {line['product_id']} is not in the active catalog on a contract")
        quantity = line["quantity"]
        if not 1 <= quantity <= 1_000_000 or quantity < found["min_order_quantity"] or quantity % found["order_multiple"]:
            raise Refused(422, f"line {i}: quantity {quantity} breaks the product's ordering rules")
        lines.append({**found, "quantity": quantity})
    return lines


def place_order(user: dict, environ) -> tuple[int, dict, dict]:
    key = environ.get("HTTP_IDEMPOTENCY_KEY")
    if not key or not re.fullmatch(r"[\x21-\x7e]{1,255}", key):
        raise Refused(428, "this request needs an Idempotency-Key header")
    if user["org_type"] != "practice" or not user["principal_roles"] & {"practice_admin", "practice_buyer",
                                                                          "practice_physician"}:
        raise Refused(403, "only a practice's users order here")
    data, body = order_input(environ)
    digest = request_hash(environ, body)
    try:
        with connection().transaction():
            answer = create_order(user, data, key, digest)
    except psycopg.errors.UniqueViolation:  # a twin with this key committed first
        return replay(user, key, digest)
    global commits
    commits += 1
    return 201, answer, {}


def create_order(user: dict, data: dict, key: str, digest: str) -> bytes:
    """The order, its lines, their running volumes (a confirmed order), its estimated
    prices, the stored answer and the audit event (in the caller's transaction); the
    answer's JSON."""
    context = run(ORDER_CONTEXT_SQL, {"practice": user["organization_id"], "location": data["location_id"]}).fetchone()
    if context is None or not context["accepting"]:
        raise Refused(409, "no purchasing cycle is open for orders")
    if context["status"] != "active":
        raise Refused(409, f"practice {user['organization_id']} is {context['status']}: it cannot order")
    if context["location_id"] is None:
        raise Refused(422, f"location {data['location_id']} is not a ship-to location of the practice")
    lines = order_lines(data)
    # Clinical lines wait for a physician (CPOM); the bench orders none, and its user is no
    # physician, so neither the approval columns nor the physicians' notice are written here.
    status = "awaiting_approval" if any(line["clinical"] for line in lines) else "confirmed"
    order = run(INSERT_ORDER_SQL, {
        "practice": user["organization_id"], "location": data["location_id"], "cycle": context["cycle_id"],
        "status": status, "placed_by": user["email"], "substitutions": data.get("substitutions_allowed", True),
        "backorders": data.get("backorders_allowed", True)}).fetchone()
    inserted = run(INSERT_LINES_SQL, {
        "order": order["id"], "products": [x["id"] for x in lines], "contracts": [x["contract_id"] for x in lines],
        "quantities": [x["quantity"] for x in lines], "prices": [x["list_price"] for x in lines],
        "clinical": [x["clinical"] for x in lines]}).fetchall()
    if status == "confirmed":
        add_to_running_volumes(context["cycle_id"], order["id"], lines)
    body = json.dumps(order_json(order, inserted, estimates(context["cycle_id"], lines)), default=json_default)
    run(RECORD_SQL, {
        "principal": f"user:{user['id']}", "key": key, "hash": digest, "headers": Jsonb({"Content-Type": "application/json"}),
        "body": body, "user": user["id"], "label": user["email"], "organization": user["organization_id"],
        "order": order["id"], "request_id": uuid.uuid4().hex,
        "details": Jsonb({"cycle_id": context["cycle_id"], "status": status, "lines": len(inserted)})})
    return body.encode()


def estimates(cycle_id: int, lines: list[dict]) -> dict[int, dict | None]:
    """Contract id -> the tier its contract reaches now in the cycle (None without agreed
    tiers), from the running volumes: one statement."""
    contracts = {line["contract_id"]: line for line in lines}
    sums = {row["contract_id"]: row for row in run(VOLUMES_SQL, {"cycle": cycle_id, "contracts": sorted(contracts)})}
    reached = {}
    for contract_id, line in contracts.items():
        tiers = line["tiers"]
        volume = volume_of(line["basis"], sums.get(contract_id))
        reached[contract_id] = tiers[achieved_index(tiers, volume)] if tiers else None
    return reached


def order_json(order: dict, lines: list[dict], reached: dict[int, dict | None]) -> dict:
    """OrderSchema: each line with its estimated unit price at the tier its contract reaches now."""
    answered = []
    for line in lines:
        tier = reached[line["contract_id"]]
        estimate = price_at(tier, line["product_id"], line["list_price"]) if tier else None
        answered.append({**line, "estimated_unit_price": estimate})
    for line in answered:
        for field in PRICE_FIELDS:
            line[field] = price_text(line[field])
    return {**order, "lines": answered}


def replay(user: dict, key: str, digest: str) -> tuple[int, bytes, dict]:
    stored = run("SELECT request_hash, status, response_status, response_body FROM idempotency_records"
                 " WHERE principal_key = %s AND key = %s", (f"user:{user['id']}", key)).fetchone()
    if stored is None or stored["status"] != "completed":
        raise Refused(409, "a request with this Idempotency-Key is still being processed")
    if stored["request_hash"] != digest:
        raise Refused(409, "this Idempotency-Key was already used with a different request")
    return stored["response_status"], stored["response_body"].encode(), {"Idempotent-Replayed": "true"}


# --- WSGI -------------------------------------------------------------------------------

ROUTES = [
    ("GET", re.compile(r"/api/v1/me"), me),
    ("GET", re.compile(r"/api/v1/products"), search),
    ("GET", re.compile(r"/api/v1/products/(\d+)"), product),
    ("GET", re.compile(r"/api/v1/contracts/(\d+)/tier-progress"), tier_progress),
    ("POST", re.compile(r"/api/v1/orders"), place_order),
]
REASONS = {200: "OK", 201: "Created", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
           422: "Unprocessable Entity", 428: "Precondition Required", 500: "Internal Server Error"}


def json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat()  # datetimes (UTC: the connection's time zone) and dates


def answer(environ) -> tuple[int, bytes, dict]:
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    for route_method, pattern, view in ROUTES:
        match = pattern.fullmatch(path)
        if match and method == route_method:
            status, payload, headers = view(authenticate(environ), environ, *match.groups())
            body = payload if isinstance(payload, bytes) else json.dumps(payload, default=json_default).encode()
            return status, body, headers
    raise Refused(404, f"{method} {path} is not an endpoint of the same-SQL floor")


def app(environ, start_response):
    try:
        status, body, headers = answer(environ)
    except Refused as exc:
        status, headers = exc.status, {}
        body = json.dumps({"code": exc.status, "status": REASONS.get(exc.status, ""), "message": exc.message}).encode()
    except Exception as exc:  # noqa: BLE001  an error answers 500, with a fresh connection next time
        print(f"same_sql: {exc!r}", file=sys.stderr)
        close()
        status, headers = 500, {}
        body = json.dumps({"code": 500, "status": REASONS[500], "message": "the floor failed"}).encode()
    start_response(f"{status} {REASONS.get(status, '')}", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
        ("X-Request-Id", uuid.uuid4().hex), *headers.items()])
    return [body]
