"""Drive one whole purchasing cycle over the HTTP API, as the real users would.

Against a server that `make run` started (it seeded the demo MSO, vendors and users):

 1. Acme (with its API key) and Bolt (its admin) import catalogs: new SKUs each run.
 2. MSO procurement opens a contract with each vendor, the vendor counters, procurement
    accepts.
 3. The MSO admin admits a dozen new practices: a location, an admin/buyer, a physician
    and a provider each.
 4. Procurement opens a new cycle; each practice orders; one order has a clinical item
    that the practice's physician approves. Only one cycle may be open: a cycle that is
    open already (`make run` seeds "Demo: this cycle") is closed first, and the demo
    prints what that changed.
 5. Procurement closes the cycle: tiers and results per contract.
 6. The cycle that was open before the demo opens again: a new cycle with the same
    closing time ("<name> (reopened <run tag>)"), that cycle's open orders copied into it
    and submitted again.
 7. The vendors acknowledge their purchase orders and ship: Acme refuses a few units,
    backorders two sleeves of gauze for a few days and offers vinyl gloves in place of
    one practice's large nitrile gloves. Acme's system does it in cXML: it fetches its
    purchase order as an OrderRequest (Accept: application/xml) and answers with a
    ConfirmationRequest (POST /api/v1/cxml); Bolt acknowledges in JSON.
 8. That practice's buyer takes the substitute (not clinical: a buyer may); Acme ships
    it, and the backordered gauze once it is in.
 9. The practices receive their shipments: one finds 2 boxes damaged, a claim that
    Acme credits (the practice's draft invoice drops them).
10. MSO finance finalizes the draft purchasing invoices (a table: goods + service fee =
    subtotal, - credits = total); each practice admin saves a card (localstripe) and pays.
11. Acme invoices what arrived: half the practices' lines at the contract price with
    freight (matched, approved at once), the rest with the gauze above the contract
    price (an exception MSO finance approves with a reason); the freight goes back to
    the practices (adjustment invoices, finalized).
12. MSO finance settles Acme through today: the remittance advice (JSON, CSV), the
    admin fee netted, marked sent with a bank reference.
13. MSO finance records a vendor rebate, allocated to the practices by spend.
14. A per-practice table: list value - paid = savings, and the rebate credit.
15. What the vendors' systems and the people were told: Acme's webhook deliveries of this
    run by event type and status (its endpoint at the receiver `make run` starts), Bolt's
    failing endpoint, and the e-mails written to instance/mail/ (--mail-dir).

Every run uses fresh names (a run tag from the clock), so it can run again and again.
It ends by listing what it changed in the data that was there before it (the seeded
demo data of `make run`): the practices, products and contracts it adds are its own.
Only `requests` and the standard library.

    .venv/bin/python scripts/demo_cycle.py --base-url http://127.0.0.1:5000 --stripe-url http://127.0.0.1:8420
"""
from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import json
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import requests

PASSWORD = "gpo-demo-password"  # every demo user's (gpo/demo/accounts.py)
ACME_API_KEY = "gpo_demo_acme_medical_supply_key_0001"
MSO_ADMIN = "admin@summit-mso.example"
MSO_PROCUREMENT = "procurement@summit-mso.example"
MSO_FINANCE = "finance@summit-mso.example"
ACME_ADMIN = "admin@acme.example"
BOLT_ADMIN = "admin@bolt.example"
STRIPE_KEY = "sk_test_localstripe"
STRIPE_WEBHOOK_SECRET = "whsec_localstripe"

# key, SKU (the run tag is appended), name, category, list price, clinical, min qty, multiple
ACME_ITEMS = [
    ("gloves_m", "GLV-NIT-M", "Nitrile exam gloves, medium, box of 100", "supplies", "12.9900", False, 1, 1),
    ("gloves_l", "GLV-NIT-L", "Nitrile exam gloves, large, box of 100", "supplies", "12.9900", False, 1, 1),
    ("gauze", "GAU-4X4", "Gauze sponges 4x4, sleeve of 200", "supplies", "7.2500", False, 2, 2),
    ("syringes", "SYR-3ML", "Syringe 3 mL luer lock, box of 100", "supplies", "18.5000", True, 1, 1),
    ("stool", "STOOL-PNEU", "Pneumatic exam stool", "equipment", "329.0000", False, 1, 1),
    # Acme's substitute for large nitrile gloves (step 7): not clinical, so a buyer decides
    ("vinyl_l", "GLV-VIN-L", "Vinyl exam gloves, large, box of 100", "supplies", "9.9900", False, 1, 1),
]
BOLT_ITEMS = [
    ("laptop", "LAP-14-PRO", "14-inch business laptop, 16 GB, 512 GB", "it", "1249.0000", False, 1, 1),
    ("monitor", "MON-24", "24-inch monitor", "it", "219.9900", False, 1, 1),
    ("router", "RTR-SMB", "Small-office router with firewall", "it", "449.0000", False, 1, 1),
]

# name, slug (e-mail domain), city, ZIP, physician (first, last), specialty
PRACTICES = [
    ("Aspen Family Care", "aspen", "Madison", "53703", ("Alice", "Moreno"), "family_medicine"),
    ("Birchwood Internal Medicine", "birchwood", "Middleton", "53562", ("Bruno", "Keller"), "internal_medicine"),
    ("Cedar Ridge Pediatrics", "cedarridge", "Verona", "53593", ("Chloe", "Nakamura"), "pediatrics"),
    ("Dogwood Dermatology", "dogwood", "Fitchburg", "53711", ("Darius", "Okafor"), "dermatology"),
    ("Elm Street Cardiology", "elmstreet", "Sun Prairie", "53590", ("Elena", "Petrova"), "cardiology"),
    ("Fairview Women's Health", "fairview", "Waunakee", "53597", ("Farah", "Haddad"), "obgyn"),
    ("Glenwood Orthopedics", "glenwood", "Monona", "53716", ("Gavin", "Li"), "orthopedic_surgery"),
    ("Harbor View ENT", "harborview", "McFarland", "53558", ("Hana", "Sato"), "otolaryngology"),
    ("Ironwood Urgent Care", "ironwood", "Oregon", "53575", ("Ivan", "Novak"), "emergency_medicine"),
    ("Juniper Sports Medicine", "juniper", "Stoughton", "53589", ("Julia", "Romero"), "sports_medicine"),
    ("Kingsley Family Practice", "kingsley", "DeForest", "53532", ("Kofi", "Mensah"), "family_medicine"),
    ("Laurel Hill Geriatrics", "laurelhill", "Cottage Grove", "53527", ("Lena", "Fischer"), "geriatrics"),
]
CLINICAL_PRACTICE = 2  # this practice's order has a clinical line its physician approves
SUBSTITUTE_PRACTICE = 0  # Acme offers vinyl gloves for this practice's large gloves; its buyer approves
BACKORDER_PRACTICE = 1  # 2 of this practice's sleeves of gauze are backordered, shipped later
DAMAGED_PRACTICE = 3  # this practice finds 2 boxes damaged in its shipment: Acme credits them
BACKORDERED_UNITS, DAMAGED_UNITS = 2, 2
FREIGHT_CENTS = (2501, 1800)  # on Acme's two invoices

POLL_INTERVAL = 0.3


class DemoError(RuntimeError):
    """The demo cannot go on (a job failed, a wait timed out, data is not as expected)."""


class ApiError(DemoError):
    def __init__(self, method: str, path: str, status: int, body: str, request_id: str | None):
        self.status = status
        text = body if len(body) <= 2000 else body[:2000] + "..."
        rid = f" (X-Request-Id {request_id})" if request_id else ""
        super().__init__(f"{method} {path} -> {status}{rid}: {text}")


class Api:
    """A requests.Session bound to the API's base URL and one principal's bearer token
    (a user's access token, renewed once on 401, or a vendor API key)."""

    def __init__(self, base_url: str, label: str, token: str | None = None,
                 email: str | None = None, password: str | None = None, timeout: float = 120):
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.email, self.password = email, password
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.token = token
        if token is None and email is not None:
            self.login()

    @classmethod
    def user(cls, base_url: str, email: str, password: str = PASSWORD) -> "Api":
        return cls(base_url, label=email, email=email, password=password)

    def login(self) -> dict:
        body = self.call("POST", "/api/v1/auth/login", json={"email": self.email, "password": self.password},
                         authenticated=False)
        self.token = body["access_token"]
        return body

    def call(self, method: str, path: str, *, expect=(200,), json=None, params=None, headers=None,
             idempotency_key: str | bool | None = None, if_match: str | None = None,
             authenticated: bool = True, full: bool = False, data: bytes | None = None):
        """Send a request (a JSON body, or `data` as it is); return the decoded JSON body
        (or (body, response) with full=True).
        Any status not in `expect` raises ApiError naming method, path, status and body."""
        expect = (expect,) if isinstance(expect, int) else tuple(expect)
        sent = dict(headers or {})
        if idempotency_key:
            sent["Idempotency-Key"] = str(uuid.uuid4()) if idempotency_key is True else idempotency_key
        if if_match:
            sent["If-Match"] = if_match
        for attempt in (1, 2):
            if authenticated and self.token:
                sent["Authorization"] = f"Bearer {self.token}"
            try:
                response = self.session.request(method, self.base_url + path, json=json, params=params,
                                                data=data, headers=sent, timeout=self.timeout)
            except requests.RequestException as exc:
                raise DemoError(f"{method} {path}: cannot reach {self.base_url}: is the server running "
                                f"(make run)? ({exc})") from None
            renewable = authenticated and self.email is not None and attempt == 1
            if response.status_code == 401 and renewable:
                self.login()  # the access token expired (they live 15 minutes): sign in again
                continue
            break
        shown = path + ("?" + urlencode(params) if params else "")
        if response.status_code not in expect:
            raise ApiError(method, shown, response.status_code, response.text, response.headers.get("X-Request-Id"))
        body = response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None
        return (body, response) if full else body

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json=None, *, expect=(200, 201), **kwargs):
        return self.call("POST", path, json=json, expect=expect, **kwargs)

    def put(self, path: str, json=None, *, expect=(200,), **kwargs):
        return self.call("PUT", path, json=json, expect=expect, **kwargs)

    def get_with_etag(self, path: str) -> tuple[dict, str | None]:
        body, response = self.call("GET", path, full=True)
        return body, response.headers.get("ETag")

    def get_all(self, path: str, params: dict | None = None) -> list:
        """Every item of a paginated list (page/page_size, X-Pagination)."""
        items, page = [], 1
        while True:
            body, response = self.call("GET", path, params={**(params or {}), "page": page, "page_size": 100},
                                       full=True)
            items.extend(body or [])
            pagination = json.loads(response.headers.get("X-Pagination") or "{}")
            if not pagination.get("next_page"):
                return items
            page = pagination["next_page"]


# --- helpers --------------------------------------------------------------------------


def dollars(cents: int) -> str:
    """Integer cents as dollars with two decimals (no floats anywhere)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{rest:02d}"


def percent(value: str) -> str:
    """A decimal string as a short percent: "9.0000" -> "9%", "12.5000" -> "12.5%"."""
    return format(Decimal(value).normalize(), "f") + "%"


def wait_for(what: str, probe, done, timeout: float = 120):
    """Call probe() until done(value); DemoError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f}s waiting for {what} (last seen: {value!r:.300})")
        time.sleep(POLL_INTERVAL)


def npi_for(first_nine: str) -> str:
    """A valid NPI: nine digits (starting 1 or 2) and the Luhn check digit over 80840 + them."""
    total = 0
    for position, char in enumerate(reversed("80840" + first_nine)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return first_nine + str((10 - total % 10) % 10)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def step(number: int, title: str) -> None:
    print(f"\n== {number}. {title}", flush=True)


def say(text: str) -> None:
    print(f"   {text}", flush=True)


def table(header: list[str], rows: list[list[str]], total: list[str] | None = None) -> None:
    """Print rows under a header: the first column left-aligned, the others (amounts)
    right-aligned, and an optional total row under a rule."""
    everything = [header] + rows + ([total] if total else [])
    widths = [max(len(r[c]) for r in everything) for c in range(len(header))]

    def line(cells):
        return "  ".join([cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)])

    rule = "  ".join("-" * w for w in widths)
    for text in [line(header), rule] + [line(r) for r in rows] + ([rule, line(total)] if total else []):
        say(text)


def ids(items: list[dict]) -> str:
    return ", ".join(str(i) for i in sorted(item["id"] for item in items)) or "none"


def count_by(items: list[dict], key: str) -> str:
    """"2 confirmed, 1 awaiting_approval" (or "none")."""
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item[key]] += 1
    return ", ".join(f"{n} {value}" for value, n in sorted(counts.items())) or "none"


# --- the demo -------------------------------------------------------------------------


class Demo:
    def __init__(self, base_url: str, stripe_url: str, tag: str, mail_dir: Path = Path("instance/mail")):
        self.base_url = base_url.rstrip("/")
        self.stripe_url = stripe_url.rstrip("/")
        self.tag = tag
        self.mail_dir = mail_dir  # where the server writes its e-mails (MAIL_DIR), if on this machine
        self.started_at = utc_now()  # this run's webhook deliveries and e-mails are those made since
        self.started_on = self.started_at.date()  # contract and rebate dates are UTC calendar days
        self.vendors: dict[str, dict] = {}  # "acme"/"bolt" -> {api, id, name, products, contract}
        self.practices: list[dict] = []     # {id, name, location_id, buyer, physician_email, ...}
        self.cycle: dict | None = None
        self.invoices: list[dict] = []
        self.rebate: dict | None = None
        self.problems: list[str] = []       # failures that do not stop the demo (unpaid invoices)
        self.displaced: list[dict] = []     # cycles open before the demo: {"cycle", "orders"} as found
        self.changes: list[str] = []        # what the demo changed in data that was there before it
        self.acme_po: dict | None = None     # Acme's purchase order in the demo's cycle (step 7)
        self.acme_invoices: list[dict] = []  # Acme's invoices (step 11)
        self.procurement: Api | None = None  # signed in at step 2
        self.finance: Api | None = None      # signed in when first needed
        self.current_step = 0

    def run(self) -> None:
        steps = [
            ("Vendors import their catalogs", self.import_catalogs),
            ("MSO procurement and the vendors negotiate contracts", self.negotiate_contracts),
            ("The MSO admin admits a dozen practices", self.admit_practices),
            ("A purchasing cycle opens and every practice orders", self.order_in_cycle),
            ("Procurement closes the cycle", self.close_cycle),
            ("The cycle that was open before the demo opens again", self.reopen_displaced),
            ("The vendors acknowledge and ship their purchase orders", self.acknowledge_and_ship),
            ("A practice takes a substitute; Acme ships it and the backorder", self.substitute_and_backorder),
            ("The practices receive their shipments; a damage claim is credited", self.receive_shipments),
            ("MSO finance finalizes the invoices; the practices pay by card", self.bill_and_collect),
            ("Acme invoices what arrived: the three-way match", self.vendor_invoices),
            ("MSO finance settles with Acme: the remittance advice", self.settle_with_acme),
            ("MSO finance records a vendor rebate", self.record_rebate),
            ("What each practice paid, saved and gets back", self.print_table),
            ("What the vendors' systems and the people were told: webhooks and e-mail", self.show_notifications),
        ]
        print(f"gpo demo cycle, run {self.tag}, against {self.base_url} (Stripe: {self.stripe_url})")
        for number, (title, action) in enumerate(steps, start=1):
            self.current_step = number
            step(number, title)
            action()

    # 1 -------------------------------------------------------------------------------

    def import_catalogs(self) -> None:
        acme = Api(self.base_url, label="Acme API key", token=ACME_API_KEY)
        bolt = Api.user(self.base_url, BOLT_ADMIN)
        for key, api, items in (("acme", acme, ACME_ITEMS), ("bolt", bolt, BOLT_ITEMS)):
            org = api.get("/api/v1/me")["organization"]
            vendor = {"api": api, "id": org["id"], "name": org["name"], "items": items}
            self.vendors[key] = vendor
            rows = [{
                "sku": f"{sku}-{self.tag}", "name": name, "category": category, "list_price": price,
                "clinical": clinical, "min_order_quantity": min_qty, "order_multiple": multiple,
                "manufacturer": org["name"].split()[0],
            } for _, sku, name, category, price, clinical, min_qty, multiple in items]
            accepted = api.post(f"/api/v1/vendors/{vendor['id']}/catalog-imports",
                                {"mode": "upsert", "products": rows}, expect=202, idempotency_key=True)
            report = wait_for(
                f"catalog import {accepted['id']}",
                lambda api=api, accepted=accepted: api.get(f"/api/v1/catalog-imports/{accepted['id']}"),
                lambda r: r["status"] in ("finished", "failed"))
            if report["status"] != "finished" or report["failed"]:
                raise DemoError(f"catalog import {report['id']} of {org['name']} {report['status']} with "
                                f"{report['failed']} failed rows: {report.get('errors')}")
            say(f"{org['name']} (vendor {vendor['id']}, as {api.label}): import {report['id']} finished, "
                f"{report['created']} created, {report['updated']} updated, {report['failed']} failed")
            vendor["products"] = self._product_ids(api, vendor["id"], {f"{i[1]}-{self.tag}": i[0] for i in items})

    def _product_ids(self, api: Api, vendor_id: int, keys_by_sku: dict[str, str]) -> dict[str, int]:
        """item key -> product id of this run's SKUs (the vendor lists its own products)."""
        found = {}
        for params in ({"q": self.tag}, {}):  # a search first; the whole catalog if it misses any
            for product in api.get_all("/api/v1/products", {"vendor_id": vendor_id, **params}):
                if product["sku"] in keys_by_sku:
                    found[keys_by_sku[product["sku"]]] = product["id"]
            if len(found) == len(keys_by_sku):
                return found
        missing = sorted(sku for sku, key in keys_by_sku.items() if key not in found)
        raise DemoError(f"imported products not found in vendor {vendor_id}'s catalog: {missing}")

    # 2 -------------------------------------------------------------------------------

    def negotiate_contracts(self) -> None:
        self.procurement = Api.user(self.base_url, MSO_PROCUREMENT)
        starts, ends = self.started_on, self.started_on + dt.timedelta(days=364)
        # Acme's admin fee is netted from what the MSO pays it (step 12); Bolt remits its own.
        settles = {"acme": "netted", "bolt": "remitted"}
        specs = {
            # vendor: title, category, basis, MSO's opening tiers, the vendor's counter
            "acme": (f"Exam room supplies {self.tag}", "supplies", "units",
                     [(0, "0"), (150, "6"), (300, "10")], [(0, "0"), (150, "5"), (350, "9")]),
            "bolt": (f"Practice IT refresh {self.tag}", "it", "spend",
                     [(0, "0"), (250_000, "4"), (750_000, "7")], [(0, "0"), (300_000, "3"), (900_000, "6")]),
        }
        for key, (title, category, basis, opening, counter) in specs.items():
            vendor = self.vendors[key]
            contract = self.procurement.post("/api/v1/contracts", {
                "vendor_id": vendor["id"], "title": title, "category": category, "basis": basis,
                "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
                "items": list(vendor["products"].values()),
                "proposal": {"admin_fee_percent": "2.0", "notes": "opening offer", "tiers": self._tiers(opening),
                             "admin_fee_settlement": settles[key]},
            }, expect=201, idempotency_key=True)
            say(f"procurement opened contract {contract['id']} '{title}' with {vendor['name']}: "
                f"{self._describe_tiers(basis, opening)}")
            proposal = vendor["api"].post(f"/api/v1/contracts/{contract['id']}/proposals", {
                "admin_fee_percent": "2.0", "notes": "our counter: a little more volume per step",
                "tiers": self._tiers(counter), "admin_fee_settlement": settles[key],
            }, expect=201, idempotency_key=True)
            say(f"{vendor['name']} countered with proposal {proposal['number']}: {self._describe_tiers(basis, counter)}")
            contract = self.procurement.post(
                f"/api/v1/contracts/{contract['id']}/proposals/{proposal['number']}/accept", expect=200)
            say(f"procurement accepted proposal {proposal['number']}: contract {contract['id']} is {contract['status']} "
                f"({contract['starts_on']} to {contract['ends_on']}; 2% admin fee {contract['admin_fee_settlement']})")
            if contract["status"] != "active":
                raise DemoError(f"contract {contract['id']} is {contract['status']}, expected active")
            vendor["contract"] = contract

    @staticmethod
    def _tiers(pairs) -> list[dict]:
        return [{"min_volume": volume, "discount_percent": p} for volume, p in pairs]

    @staticmethod
    def _volume(basis: str, volume: int, more: str = "") -> str:
        """A contract volume: units, or list-price cents on a spend basis."""
        return f"{volume} {more}units" if basis == "units" else f"{dollars(volume)} {more}spend"

    def _describe_tiers(self, basis: str, pairs) -> str:
        return ", ".join(f"{percent(p)} off from {self._volume(basis, volume)}" for volume, p in pairs[1:])

    # 3 -------------------------------------------------------------------------------

    def admit_practices(self) -> None:
        admin = Api.user(self.base_url, MSO_ADMIN)
        digits = "".join(c for c in self.tag if c.isdigit())[-7:].rjust(7, "0")
        for i, (name, slug, city, zip_code, (first, last), specialty) in enumerate(PRACTICES):
            practice = admin.post("/api/v1/practices", {
                "name": f"{name} {self.tag}", "tax_id": f"{40 + i:02d}-{digits}",
                "joined_on": self.started_on.isoformat(),
            }, expect=201, idempotency_key=True)
            pid = practice["id"]
            location = admin.post(f"/api/v1/practices/{pid}/locations", {
                "name": "Main office", "line1": f"{100 + 10 * i} Main St", "city": city, "state": "WI",
                "postal_code": zip_code,
            }, expect=201, idempotency_key=True)
            buyer_email = f"admin.{self.tag}@{slug}.example".lower()
            physician_email = f"dr.{last}.{self.tag}@{slug}.example".lower()
            admin.post(f"/api/v1/practices/{pid}/users", {
                "email": buyer_email, "name": f"{name} office manager", "password": PASSWORD,
                "roles": ["practice_admin", "practice_buyer"],
            }, expect=201, idempotency_key=True)
            admin.post(f"/api/v1/practices/{pid}/users", {
                "email": physician_email, "name": f"Dr. {first} {last}", "password": PASSWORD,
                "roles": ["practice_physician"],
            }, expect=201, idempotency_key=True)
            npi = npi_for(f"1{digits[-6:]}{i:02d}")
            admin.post(f"/api/v1/practices/{pid}/providers", {
                "first_name": first, "last_name": last, "npi": npi, "specialty": specialty,
                "active_from": self.started_on.isoformat(),
            }, expect=201, idempotency_key=True)
            self.practices.append({
                "index": i, "id": pid, "name": practice["name"], "location_id": location["id"],
                "buyer_email": buyer_email, "physician_email": physician_email,
                "buyer": Api.user(self.base_url, buyer_email),
            })
            say(f"practice {pid} {practice['name']}: location {location['id']}, {buyer_email} "
                f"(admin, buyer), {physician_email} (physician, NPI {npi})")

    # 4 -------------------------------------------------------------------------------

    def _close_and_wait(self, cycle: dict) -> dict:
        """Ask for the close (202, a job; asking again while it runs is harmless, and a
        close whose job failed starts again) and wait until the cycle is closed."""
        ref = self.procurement.post(f"/api/v1/cycles/{cycle['id']}/close", expect=202)
        say(f"closing cycle {cycle['id']} '{cycle['name']}' (job {ref['job_id']})")

        def probe():
            current = self.procurement.get(f"/api/v1/cycles/{cycle['id']}")
            job = current.get("close_job_id") or ref["job_id"]
            if current["status"] != "closed" and job:
                state = self.procurement.get(f"/api/v1/jobs/{job}")
                if state["status"] == "failed":
                    raise DemoError(f"the close of cycle {cycle['id']} failed (job {job}): {state.get('error')}")
            return current

        return wait_for(f"cycle {cycle['id']} to close", probe, lambda c: c["status"] == "closed")

    def _make_room(self) -> None:
        """Only one cycle may be open: close the one that is (make run seeds one), note
        exactly what that did, and keep its orders as found, to copy them back later."""
        for status in ("open", "closing"):
            for cycle in self.procurement.get_all("/api/v1/cycles", {"status": status}):
                orders = self.procurement.get_all("/api/v1/orders", {"cycle_id": cycle["id"]})
                say(f"cycle {cycle['id']} '{cycle['name']}' is {status} (closes {cycle['closes_at']}) with "
                    f"{len(orders)} orders ({count_by(orders, 'status')}): only one cycle may be open, so it "
                    "closes first and opens again after the demo's cycle (step 6)")
                self._close_and_wait(cycle)
                after = self.procurement.get_all("/api/v1/orders", {"cycle_id": cycle["id"]})
                pos = self.procurement.get_all("/api/v1/purchase-orders", {"cycle_id": cycle["id"]})
                drafts = self._finance().get_all("/api/v1/invoices", {"cycle_id": cycle["id"], "kind": "purchasing"})
                change = (f"closed cycle {cycle['id']} '{cycle['name']}' before its time: its orders are now "
                          f"{count_by(after, 'status')}; purchase orders {ids(pos)} went to the vendors (not "
                          f"acknowledged), draft purchasing invoices {ids(drafts)} to the practices (not finalized)")
                say(change)
                self.changes.append(change)
                if status == "open":
                    self.displaced.append({"cycle": cycle, "orders": orders})

    def _finance(self) -> Api:
        if self.finance is None:
            self.finance = Api.user(self.base_url, MSO_FINANCE)
        return self.finance

    def order_in_cycle(self) -> None:
        self._make_room()
        now = utc_now()
        cycle = self.procurement.post("/api/v1/cycles", {
            "name": f"Demo cycle {self.tag}", "opens_at": now.isoformat(),
            "closes_at": (now + dt.timedelta(days=1)).isoformat(),
        }, expect=201, idempotency_key=True)
        self.cycle = self.procurement.post(f"/api/v1/cycles/{cycle['id']}/open", expect=200)
        say(f"procurement opened cycle {self.cycle['id']} '{self.cycle['name']}' (closes {self.cycle['closes_at']})")

        acme, bolt = self.vendors["acme"]["products"], self.vendors["bolt"]["products"]
        clinical_order = None
        for practice in self.practices:
            i = practice["index"]
            lines = [
                (acme["gloves_m"], 10 + (i % 4) * 5),
                (acme["gloves_l"], 6 + (i % 3) * 3),
                (acme["gauze"], 4 if i % 2 == 0 else 6),
                (bolt["monitor"], 1 + i % 2),
            ]
            if i % 4 == 1:
                lines.append((acme["stool"], 1))
            if i % 3 == 0:
                lines.append((bolt["laptop"], 1))
            if i in (5, 11):
                lines.append((bolt["router"], 1))
            if i == CLINICAL_PRACTICE:
                lines.append((acme["syringes"], 10))
            order = practice["buyer"].post("/api/v1/orders", {
                "location_id": practice["location_id"],
                "lines": [{"product_id": pid, "quantity": qty} for pid, qty in lines],
            }, expect=201, idempotency_key=True)
            units = sum(qty for _, qty in lines)
            say(f"{practice['name']}: order {order['id']} {order['status']}, {len(lines)} lines, {units} units")
            if i == CLINICAL_PRACTICE:
                clinical_order = (practice, order)
            if i == len(self.practices) // 2 - 1:
                self.print_tier_progress("halfway through the orders")

        practice, order = clinical_order
        if order["status"] != "awaiting_approval":
            raise DemoError(f"order {order['id']} with a clinical line is {order['status']}, expected awaiting_approval")
        physician = Api.user(self.base_url, practice["physician_email"])
        seen, etag = physician.get_with_etag(f"/api/v1/orders/{order['id']}")
        approved = physician.post(f"/api/v1/orders/{order['id']}/approve", expect=200, if_match=etag)
        say(f"{practice['physician_email']} approved the clinical line of order {order['id']} "
            f"(If-Match {etag}): {seen['status']} -> {approved['status']}")
        self.print_tier_progress("all orders in")

    def print_tier_progress(self, when: str) -> None:
        say(f"tier progress, {when}:")
        for vendor in self.vendors.values():
            contract = vendor["contract"]
            progress = self.procurement.get(f"/api/v1/contracts/{contract['id']}/tier-progress",
                                            params={"cycle_id": self.cycle["id"]})
            basis = progress["basis"]
            text = (f"  {contract['title']}: {self._volume(basis, progress['volume'])} confirmed, "
                    f"{percent(progress['achieved_tier']['discount_percent'])} off")
            if progress["next_tier"] is not None:
                text += (f"; {self._volume(basis, progress['volume_to_next_tier'], 'more ')} unlock "
                         f"{percent(progress['next_tier']['discount_percent'])} off (everyone would save "
                         f"{dollars(progress['savings_at_next_tier_cents'])} more)")
            else:
                text += " (the top tier)"
            say(text)

    # 5 -------------------------------------------------------------------------------

    def close_cycle(self) -> None:
        self.cycle = self._close_and_wait(self.cycle)
        say(f"cycle {self.cycle['id']} closed at {self.cycle['closed_at']}")
        for result in self.procurement.get(f"/api/v1/cycles/{self.cycle['id']}/results"):
            tier = result["achieved_tier"]
            say(f"{result['title']}: {self._volume(result['basis'], result['volume'])}, tier {tier['index']} "
                f"({percent(tier['discount_percent'])} off): list {dollars(result['list_cents'])}, "
                f"paid {dollars(result['paid_cents'])}, saved {dollars(result['savings_cents'])}")

    # 6 -------------------------------------------------------------------------------

    def reopen_displaced(self) -> None:
        """Open a new cycle in place of each one closed at step 4 (same closing time; names
        are unique, so "<name> (reopened <run tag>)") and copy its open orders into it,
        submitted again by whoever placed them."""
        if not self.displaced:
            say("no cycle was open before the demo: nothing to reopen")
            return
        users: dict[str, Api] = {}
        for found in self.displaced:
            old = found["cycle"]
            now = utc_now()
            closes_at = dt.datetime.fromisoformat(old["closes_at"].replace("Z", "+00:00"))
            if closes_at < now + dt.timedelta(hours=1):
                closes_at = now + dt.timedelta(days=14)
            name = f"{old['name'].split(' (reopened ')[0]} (reopened {self.tag})"
            cycle = self.procurement.post("/api/v1/cycles", {
                "name": name, "opens_at": now.isoformat(), "closes_at": closes_at.isoformat(),
            }, expect=201, idempotency_key=True)
            cycle = self.procurement.post(f"/api/v1/cycles/{cycle['id']}/open", expect=200)
            copies = []
            for order in sorted(found["orders"], key=lambda o: o["id"]):
                if order["status"] not in ("draft", "awaiting_approval", "confirmed"):
                    continue  # cancelled orders stay behind
                placer = users.get(order["placed_by"])
                if placer is None:
                    try:
                        placer = Api.user(self.base_url, order["placed_by"])
                    except ApiError:  # not a demo user's e-mail: procurement acts for the practice
                        placer = self.procurement
                    users[order["placed_by"]] = placer
                copy = placer.post(f"/api/v1/orders/{order['id']}/copy-to-cycle", expect=201)
                if order["status"] != "draft":
                    copy = placer.post(f"/api/v1/orders/{copy['id']}/submit", expect=200)
                copies.append(copy)
                say(f"order {order['id']} ({order['status']}) copied as order {copy['id']} by {placer.label}: "
                    f"{copy['status']}")
            change = (f"opened cycle {cycle['id']} '{cycle['name']}' in place of cycle {old['id']} (closes "
                      f"{cycle['closes_at']}), with copies of its {len(copies)} open orders: "
                      f"{count_by(copies, 'status')}")
            say(change)
            self.changes.append(change)

    # 7 -------------------------------------------------------------------------------

    def acknowledge_and_ship(self) -> None:
        for key, vendor in self.vendors.items():
            api = vendor["api"]
            orders = api.get_all("/api/v1/purchase-orders", {"cycle_id": self.cycle["id"]})
            if not orders:
                raise DemoError(f"{vendor['name']} has no purchase order in cycle {self.cycle['id']}")
            for po in orders:
                po = api.get(f"/api/v1/purchase-orders/{po['id']}")
                acknowledgement = [{"line_id": line["id"], "accepted_quantity": line["quantity"]} for line in po["lines"]]
                notes = []
                if key == "acme":
                    notes = self._acme_acknowledgement(po, acknowledgement)
                    self._show_order_request(api, po)
                    po = self._acknowledge_in_cxml(api, po, acknowledgement)
                else:
                    po = api.post(f"/api/v1/purchase-orders/{po['id']}/acknowledge", {"lines": acknowledgement},
                                  expect=200)
                ordered = sum(line["quantity"] for line in po["lines"])
                accepted = sum(line["accepted_quantity"] for line in po["lines"])
                say(f"{vendor['name']} acknowledged purchase order {po['id']} (contract {po['contract_id']}): "
                    f"{len(po['lines'])} lines, {accepted} of {ordered} units accepted")
                for note in notes:
                    say(f"  {note}")
                if key == "acme":
                    self.acme_po = po
                by_location = defaultdict(list)
                for line in po["lines"]:
                    if line["accepted_quantity"]:
                        by_location[line["location_id"]].append(line)
                for n, (location_id, lines) in enumerate(sorted(by_location.items()), start=1):
                    api.post(f"/api/v1/purchase-orders/{po['id']}/shipments", {
                        "carrier": "UPS", "tracking_number": f"1Z{self.tag.replace('-', '')}{po['id']:04d}{n:03d}",
                        "lines": [{"line_id": line["id"], "location_id": location_id,
                                   "quantity": line["accepted_quantity"]} for line in lines],
                    }, expect=201, idempotency_key=True)
                say(f"{vendor['name']} shipped {accepted} units in {len(by_location)} shipments (one per location)")

    def _practice_line(self, po: dict, index: int, item: str) -> dict:
        """The purchase-order line of `item` (an ACME_ITEMS key) to practice `index`'s location."""
        practice, product = self.practices[index], self.vendors["acme"]["products"][item]
        for line in po["lines"]:
            if line["location_id"] == practice["location_id"] and line["product_id"] == product:
                return line
        raise DemoError(f"purchase order {po['id']} has no {item} line for {practice['name']}")

    def _acme_acknowledgement(self, po: dict, acknowledgement: list[dict]) -> list[str]:
        """Acme's answer, line by line: vinyl gloves offered for SUBSTITUTE_PRACTICE's large
        gloves, BACKORDERED_UNITS of BACKORDER_PRACTICE's gauze to ship in three days, 3
        units refused on the largest other line. Returns what it says about each."""
        by_id = {item["line_id"]: item for item in acknowledgement}
        gloves = self._practice_line(po, SUBSTITUTE_PRACTICE, "gloves_l")
        gauze = self._practice_line(po, BACKORDER_PRACTICE, "gauze")
        vinyl_price = next(Decimal(i[4]) for i in ACME_ITEMS if i[0] == "vinyl_l")
        price = min(vinyl_price, Decimal(gloves["unit_price"]))
        by_id[gloves["id"]].update(accepted_quantity=0, substitute={
            "product_id": self.vendors["acme"]["products"]["vinyl_l"], "quantity": gloves["quantity"],
            "unit_price": f"{price:.4f}"})
        ship_on = utc_now().date() + dt.timedelta(days=3)
        by_id[gauze["id"]].update(accepted_quantity=gauze["quantity"] - BACKORDERED_UNITS,
                                  backordered_quantity=BACKORDERED_UNITS, expected_ship_on=ship_on.isoformat())
        refused = max((line for line in po["lines"] if line["id"] not in (gloves["id"], gauze["id"])),
                      key=lambda line: (line["quantity"], -line["id"]))
        by_id[refused["id"]]["accepted_quantity"] = refused["quantity"] - 3
        names = {p["location_id"]: p["name"] for p in self.practices}
        return [
            f"3 refused on line {refused['id']} ({names[refused['location_id']]}): they leave its order and draft "
            "invoice",
            f"{BACKORDERED_UNITS} of {gauze['quantity']} sleeves of gauze backordered on line {gauze['id']} "
            f"({names[gauze['location_id']]}), expected to ship on {ship_on}",
            f"{gloves['quantity']} boxes of large nitrile gloves on line {gloves['id']} ({names[gloves['location_id']]}, "
            f"{Decimal(gloves['unit_price']):.4f} each) offered as vinyl gloves at {price:.4f}: the practice decides",
        ]

    def _show_order_request(self, api: Api, po: dict) -> None:
        """Acme's system fetches the purchase order as a cXML OrderRequest: its first
        lines, then the order's header and its first item as far as the unit of measure."""
        path = f"/api/v1/purchase-orders/{po['id']}"
        _, response = api.call("GET", path, headers={"Accept": "application/xml"}, full=True)
        rows = response.text.strip().splitlines()
        start = next((i for i, row in enumerate(rows) if row.strip() == "<OrderRequest>"), 3)
        end = next((i for i, row in enumerate(rows) if i > start and "<UnitOfMeasure>" in row), start + 20)
        items = sum(1 for row in rows if row.lstrip().startswith("<ItemOut "))
        say(f"Acme's system fetches purchase order {po['id']} as cXML (GET {path}, Accept: application/xml): "
            f"an OrderRequest, {items} ItemOut in {len(rows)} lines ({response.headers.get('Content-Type')}):")
        for text in rows[:3] + ["  ..."] + rows[start:end + 1] + ["  ..."]:
            say(f"  {text}")

    def _acknowledge_in_cxml(self, api: Api, po: dict, acknowledgement: list[dict]) -> dict:
        """The same acknowledgement as the JSON's, sent as a cXML ConfirmationRequest;
        returns the purchase order as it now is (JSON)."""
        document = confirmation_request(po, acknowledgement, self.vendors["acme"], self.tag)
        _, response = api.call("POST", "/api/v1/cxml", data=document, headers={"Content-Type": "application/xml"},
                               expect=(200, 400, 401, 403, 404, 409, 422), full=True)
        code, text = cxml_status(response.text)
        say(f"Acme's system answers with a cXML ConfirmationRequest of {len(acknowledgement)} items "
            f"(POST /api/v1/cxml): {code} {text}")
        if code != 200:
            raise DemoError(f"the ConfirmationRequest for purchase order {po['id']} was refused: {code} {text}")
        return api.get(f"/api/v1/purchase-orders/{po['id']}")

    # 8 -------------------------------------------------------------------------------

    def substitute_and_backorder(self) -> None:
        acme, po_id = self.vendors["acme"]["api"], self.acme_po["id"]
        practice = self.practices[SUBSTITUTE_PRACTICE]
        offered = [s for s in practice["buyer"].get_all("/api/v1/substitutions", {"status": "offered"})
                   if s["purchase_order_id"] == po_id]
        if len(offered) != 1:
            raise DemoError(f"{practice['name']} sees {len(offered)} substitutes offered on purchase order {po_id}")
        approved = practice["buyer"].post(f"/api/v1/substitutions/{offered[0]['id']}/approve", expect=200)
        say(f"{practice['buyer_email']} approved substitution {approved['id']} (not clinical, so a buyer may): "
            f"{approved['quantity']} x {approved['product_name']} at {Decimal(approved['unit_price']):.4f} in place "
            f"of {approved['original_product_name']}: line {approved['substitute_line_id']} ships it, and the draft "
            "invoice bills it instead")
        po = acme.get(f"/api/v1/purchase-orders/{po_id}")
        substitute = next(line for line in po["lines"] if line["id"] == approved["substitute_line_id"])
        practice_b = self.practices[BACKORDER_PRACTICE]
        backorders = [b for b in practice_b["buyer"].get_all("/api/v1/backorders", {"status": "open"})
                      if b["purchase_order_id"] == po_id]
        for b in backorders:
            say(f"{practice_b['buyer_email']} sees backorder on line {b['po_line_id']}: {b['open_backorder']} x "
                f"{b['product_name']}, expected {b['expected_ship_on']} (GET /api/v1/backorders)")
        shipments = [("substitute", [substitute], "1")] + [
            ("backorder", [next(line for line in po["lines"] if line["id"] == b["po_line_id"])], str(n))
            for n, b in enumerate(backorders, start=2)]
        for what, lines, n in shipments:
            shipped = acme.post(f"/api/v1/purchase-orders/{po_id}/shipments", {
                "carrier": "UPS", "tracking_number": f"1Z{self.tag.replace('-', '')}{po_id:04d}9{n.zfill(2)}",
                "lines": [{"line_id": line["id"], "location_id": line["location_id"], "quantity": line["deliverable"]
                           - line["shipped_quantity"]} for line in lines],
            }, expect=201, idempotency_key=True)
            units = sum(line["quantity"] for line in shipped["lines"])
            say(f"Acme shipped the {what}: shipment {shipped['id']}, {units} units")
        left = [b for b in practice_b["buyer"].get_all("/api/v1/backorders", {"status": "open"})
                if b["purchase_order_id"] == po_id]
        say(f"open backorders on purchase order {po_id} now: {len(left)}")

    # 9 -------------------------------------------------------------------------------

    def receive_shipments(self) -> None:
        acme_products = set(self.vendors["acme"]["products"].values())
        claim_id, good, damaged, count = None, 0, 0, 0
        for practice in self.practices:
            for shipment in practice["buyer"].get_all("/api/v1/shipments", {"status": "to_receive"}):
                lines = [line for line in shipment["lines"] if not line["received"]]
                hurt = None
                if practice["index"] == DAMAGED_PRACTICE and claim_id is None:
                    candidates = [x for x in lines if x["product_id"] in acme_products
                                  and x["shipped_quantity"] > DAMAGED_UNITS]
                    hurt = max(candidates, key=lambda x: x["shipped_quantity"], default=None)
                receipt = [{"shipment_line_id": x["shipment_line_id"],
                            "received_quantity": x["shipped_quantity"] - (DAMAGED_UNITS if x is hurt else 0),
                            "damaged_quantity": DAMAGED_UNITS if x is hurt else 0} for x in lines]
                seen = practice["buyer"].post(f"/api/v1/shipments/{shipment['id']}/receipts", {"lines": receipt},
                                              expect=201, idempotency_key=True)
                count += 1
                good += sum(x["received_quantity"] for x in receipt)
                damaged += sum(x["damaged_quantity"] for x in receipt)
                if hurt is not None:
                    line = next(x for x in seen["lines"] if x["shipment_line_id"] == hurt["shipment_line_id"])
                    claim_id = line["claim_id"]
                    say(f"{practice['buyer_email']} received shipment {shipment['id']} with {DAMAGED_UNITS} of "
                        f"{hurt['shipped_quantity']} x {hurt['product_name']} damaged: claim {claim_id} "
                        f"{line['claim_status']} to {shipment['vendor_name']}")
        say(f"the practices received {count} shipments: {good} good units, {damaged} damaged")
        if claim_id is None:
            raise DemoError("no damage claim was opened")
        practice = self.practices[DAMAGED_PRACTICE]
        before = self._draft_total(practice)
        acme = self.vendors["acme"]["api"]
        claim = acme.post(f"/api/v1/claims/{claim_id}/credit", expect=200)
        after = self._draft_total(practice)
        say(f"Acme credited claim {claim['id']} ({claim['quantity']} x {claim['sku']} at "
            f"{Decimal(claim['unit_price']):.4f} = {dollars(claim['worth_cents'])}): {claim['status']}; "
            f"{practice['name']}'s draft invoice went from {dollars(before)} to {dollars(after)} (the goods and "
            f"the service fee on them: {dollars(before - after)})")

    def _draft_total(self, practice: dict) -> int:
        drafts = self._finance().get_all("/api/v1/invoices", {
            "cycle_id": self.cycle["id"], "practice_id": practice["id"], "kind": "purchasing", "status": "draft"})
        return sum(invoice["total_cents"] for invoice in drafts)

    # 10 ------------------------------------------------------------------------------

    def bill_and_collect(self) -> None:
        self._finance()
        drafts = self.finance.get_all("/api/v1/invoices",
                                      {"cycle_id": self.cycle["id"], "kind": "purchasing", "status": "draft"})
        if not drafts:
            raise DemoError(f"no draft purchasing invoices for cycle {self.cycle['id']}")
        by_practice = {p["id"]: p for p in self.practices}
        order = {p["id"]: p["index"] for p in self.practices}
        drafts.sort(key=lambda inv: (order.get(inv.get("practice_id"), len(order)), inv["id"]))
        rows, totals = [], [0] * 5
        for draft in drafts:
            _, etag = self.finance.get_with_etag(f"/api/v1/invoices/{draft['id']}")
            invoice = self.finance.post(f"/api/v1/invoices/{draft['id']}/finalize", expect=200, if_match=etag)
            practice = by_practice.get(invoice.get("practice_id"), {"name": f"practice {invoice.get('practice_id')}"})
            # subtotal_cents is every line, the service fee's included; the goods are the product lines.
            goods = sum(line["amount_cents"] for line in invoice["lines"] if line["kind"] == "product")
            amounts = [goods, invoice["service_fee_cents"], invoice["subtotal_cents"],
                       invoice["credits_applied_cents"], invoice["total_cents"]]
            if goods + amounts[1] != amounts[2] or amounts[2] - amounts[3] != amounts[4]:
                self.problems.append(f"invoice {invoice['id']} does not add up: goods, fee, subtotal, credits, "
                                     f"total = {amounts}")
            totals = [t + a for t, a in zip(totals, amounts, strict=True)]
            rows.append([f"{invoice.get('number')} {practice['name']}"] + [dollars(a) for a in amounts]
                        + [invoice["status"]])
            self.invoices.append(invoice)
        say(f"finalized {len(rows)} purchasing invoices (credits apply oldest first; none below zero):")
        table(["Invoice, practice", "Goods", "+ Service fee", "= Subtotal", "- Credits", "= Total due", "Status"],
              rows, ["Total"] + [dollars(t) for t in totals] + [""])

        self._stripe_post("/_config/webhooks/gpo", {
            "url": f"{self.base_url}/api/v1/webhooks/stripe", "secret": STRIPE_WEBHOOK_SECRET})
        say(f"localstripe sends its webhooks to {self.base_url}/api/v1/webhooks/stripe")

        cards: set[int] = set()
        pending = []
        for invoice in self.invoices:
            practice = by_practice.get(invoice.get("practice_id"))
            payer = practice["buyer"] if practice else self.finance
            if invoice["status"] == "paid" or invoice["total_cents"] <= 0:
                say(f"invoice {invoice['id']} is {invoice['status']} with {dollars(invoice['total_cents'])} due: "
                    f"nothing to pay")
                continue
            if practice and practice["id"] not in cards:
                method = self._stripe_post("/v1/payment_methods", {
                    "type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
                    "card[exp_year]": "2030", "card[cvc]": "123"})
                payer.put(f"/api/v1/practices/{practice['id']}/payment-method",
                          {"stripe_payment_method_id": method["id"]}, expect=(200, 201, 204))
                cards.add(practice["id"])
                say(f"{practice['buyer_email']} saved card {method['id']} for {practice['name']}")
            attempt = payer.post(f"/api/v1/invoices/{invoice['id']}/pay", expect=202, idempotency_key=True)
            say(f"{payer.label} pays invoice {invoice['id']} ({dollars(invoice['total_cents'])}): attempt "
                f"{attempt.get('attempt_number')} {attempt.get('status')} (job {attempt.get('job_id')})")
            pending.append((payer, invoice, attempt.get("job_id")))

        deadline = time.monotonic() + 60  # Stripe confirms through the webhook
        for payer, invoice, job_id in pending:
            job = None
            while True:
                current = payer.get(f"/api/v1/invoices/{invoice['id']}")
                if current["status"] == "paid" or time.monotonic() > deadline:
                    break
                job = payer.get(f"/api/v1/jobs/{job_id}") if job_id else None
                if job and job["status"] == "failed":
                    break  # the charge failed for good: no webhook will come
                time.sleep(POLL_INTERVAL)
            invoice.update(current)
            if current["status"] == "paid":
                say(f"invoice {current['id']} {current.get('number')} paid ({dollars(current['total_cents'])})")
                continue
            if job and job["status"] == "failed":
                problem = f"invoice {current['id']} is {current['status']}: payment job {job_id} failed: {job.get('error')}"
            else:
                problem = f"invoice {current['id']} is still {current['status']} 60 s after paying"
            say(f"NOT PAID: {problem}")
            self.problems.append(problem)

    def _stripe_post(self, path: str, form: dict) -> dict:
        """A form-encoded POST to localstripe, as the practice's browser (Stripe.js) would."""
        url = self.stripe_url + path
        try:
            response = requests.post(url, data=form, headers={"Authorization": f"Bearer {STRIPE_KEY}"}, timeout=30)
        except requests.RequestException as exc:
            raise DemoError(f"POST {url}: cannot reach localstripe ({exc}): is it running (make stripe-mock)?") from None
        if response.status_code not in (200, 201):
            raise ApiError("POST", url, response.status_code, response.text, None)
        return response.json() if response.content else {}

    # 11 ------------------------------------------------------------------------------

    def vendor_invoices(self) -> None:
        """Acme invoices the good units received: the first half of the practices' lines
        at the contract price (matched: approved at once), the rest with the gauze at list
        price, above the contract's (an exception: MSO finance approves it with a reason).
        Each invoice's freight goes back to its practices by goods cents."""
        acme = self.vendors["acme"]
        po = acme["api"].get(f"/api/v1/purchase-orders/{self.acme_po['id']}")
        half = {p["location_id"] for p in self.practices[:len(self.practices) // 2]}
        gauze_price = next(Decimal(i[4]) for i in ACME_ITEMS if i[0] == "gauze")
        received = [line for line in po["lines"] if line["received_quantity"]]
        batches = [
            ("at the contract price", [line for line in received if line["location_id"] in half], False),
            ("with the gauze at list price", [line for line in received if line["location_id"] not in half], True),
        ]
        for n, (how, lines, above) in enumerate(batches, start=1):
            invoice = acme["api"].post(f"/api/v1/vendors/{acme['id']}/invoices", {
                "number": f"ACME-{self.tag}-{n}", "purchase_order_id": po["id"],
                "issued_on": utc_now().date().isoformat(), "freight_cents": FREIGHT_CENTS[n - 1], "tax": [],
                "lines": [{"po_line_id": line["id"], "quantity": line["received_quantity"],
                           "unit_price": f"{gauze_price:.4f}" if above and line["product_id"] == acme["products"]["gauze"]
                           else line["unit_price"]} for line in lines],
            }, expect=201, idempotency_key=True)
            results = count_by([{"r": f"{x['price_result']}/{x['quantity_result']}"} for x in invoice["lines"]], "r")
            say(f"Acme's invoice {invoice['number']} {how}: {len(invoice['lines'])} lines (price/quantity: "
                f"{results}), goods {dollars(invoice['goods_cents'])} + freight {dollars(invoice['freight_cents'])} = "
                f"{dollars(invoice['total_cents'])}: {invoice['status']}"
                + (f", {dollars(invoice['exception_cents'])} above the contract" if invoice["exception_cents"] else ""))
            for line in invoice["lines"]:
                if line["price_result"] == "exception":
                    say(f"  line {line['po_line_id']}: {line['quantity']} x {Decimal(line['unit_price']):.4f} = "
                        f"{dollars(line['line_cents'])}, contract {Decimal(line['contract_price']):.4f} x "
                        f"{line['quantity']} = {dollars(line['contract_cents'])}: "
                        f"{dollars(line['price_difference_cents'])} over")
            self.acme_invoices.append(invoice)
        finance = self._finance()
        waiting = [i for i in finance.get_all("/api/v1/vendor-invoices", {"vendor_id": acme["id"], "status": "exception"})
                   if i["number"].startswith(f"ACME-{self.tag}-")]
        for invoice in waiting:
            reason = "Acme's gauze price rise from this month, agreed with procurement by phone"
            decided = finance.post(f"/api/v1/vendor-invoices/{invoice['id']}/approve", {"reason": reason}, expect=200)
            say(f"{MSO_FINANCE} approved invoice {decided['number']} over its {dollars(decided['exception_cents'])} "
                f"exception: {decided['status']} (\"{decided['decision_reason']}\")")
            self.acme_invoices = [decided if i["id"] == decided["id"] else i for i in self.acme_invoices]
        self._finalize_pass_through()

    def _finalize_pass_through(self) -> None:
        """The freight went back to the practices as adjustment invoices (their purchasing
        invoices were issued at step 10): MSO finance finalizes them."""
        rows, total = [], 0
        for practice in self.practices:
            drafts = self.finance.get_all("/api/v1/invoices", {"practice_id": practice["id"], "kind": "adjustment",
                                                              "status": "draft"})
            for draft in drafts:
                _, etag = self.finance.get_with_etag(f"/api/v1/invoices/{draft['id']}")
                invoice = self.finance.post(f"/api/v1/invoices/{draft['id']}/finalize", expect=200, if_match=etag)
                freight = sum(x["amount_cents"] for x in invoice["lines"] if x["kind"] == "freight")
                total += freight
                rows.append([f"{invoice['number']} {practice['name']}", dollars(freight), invoice["status"]])
        say("the freight, split by each practice's goods cents on each invoice, on adjustment invoices (no service "
            "fee), finalized:")
        table(["Invoice, practice", "Freight", "Status"], rows, ["Total", dollars(total), ""])
        if total != sum(FREIGHT_CENTS):
            self.problems.append(f"the practices got {dollars(total)} of freight, Acme invoiced "
                                 f"{dollars(sum(FREIGHT_CENTS))}")

    # 12 ------------------------------------------------------------------------------

    def settle_with_acme(self) -> None:
        acme, finance, today = self.vendors["acme"], self._finance(), utc_now().date()
        try:
            run = finance.post("/api/v1/vendor-settlements", {"through": today.isoformat(), "vendor_id": acme["id"]},
                               expect=202, idempotency_key=True)
        except ApiError as exc:
            if exc.status != 409:
                raise
            say(f"Acme is settled through {today} already (an earlier run today): this run's invoices wait for "
                "tomorrow's settlement; here is today's")
        else:
            say(f"{MSO_FINANCE} runs the settlement through {today} for Acme (job {run['job_id']})")
            job = wait_for(f"settlement job {run['job_id']}", lambda: finance.get(f"/api/v1/jobs/{run['job_id']}"),
                           lambda j: j["status"] in ("finished", "failed"))
            if job["status"] != "finished":
                raise DemoError(f"settlement job {run['job_id']} failed: {job.get('error')}")
        found = [s for s in finance.get_all("/api/v1/vendor-settlements", {"vendor_id": acme["id"]})
                 if s["through"] == today.isoformat()]
        if not found:
            raise DemoError(f"no settlement of Acme through {today}")
        advice = finance.get(f"/api/v1/vendor-settlements/{found[0]['id']}")
        say(f"settlement {advice['id']} ({advice['status']}): invoices {dollars(advice['invoices_cents'])} - admin "
            f"fees netted {dollars(advice['deductions_cents'])} = payable {dollars(advice['payable_cents'])}")
        mine = f"ACME-{self.tag}-"
        for invoice in advice["invoices"]:
            say(f"  pays {invoice['number']}: {dollars(invoice['total_cents'])}"
                + ("" if invoice["number"].startswith(mine) else " (not this run's: approved before it)"))
        for deduction in advice["deductions"]:
            say(f"  nets {percent(deduction['admin_fee_percent'])} of {dollars(deduction['goods_cents'])} on "
                f"{deduction['number']} ({deduction['contract_title']}): -{dollars(deduction['amount_cents'])}")
        seeded = [i["number"] for i in advice["invoices"] if not i["number"].startswith(mine)]
        if seeded and advice["status"] == "pending" and any(i["number"].startswith(mine) for i in advice["invoices"]):
            self.changes.append(f"settlement {advice['id']} through {today} (sent) also pays Acme's invoices "
                                f"{', '.join(seeded)} that were approved before the run, waiting for a settlement")
        say("the remittance advice (GET /api/v1/vendor-settlements/{id}), as JSON:")
        shown = {k: advice[k] for k in ("id", "vendor_name", "through", "status", "invoices_cents", "deductions_cents",
                                        "payable_cents")}
        shown["invoices"] = [{k: i[k] for k in ("number", "total_cents")} for i in advice["invoices"]]
        shown["deductions"] = [{k: d[k] for k in ("number", "admin_fee_percent", "amount_cents")}
                               for d in advice["deductions"]]
        for text in json.dumps(shown, indent=1).splitlines():
            say(f"  {text}")
        _, response = finance.call("GET", f"/api/v1/vendor-settlements/{advice['id']}", headers={"Accept": "text/csv"},
                                   full=True)
        rows = response.text.strip().splitlines()
        say(f"and as CSV (Accept: text/csv), {len(rows)} rows:")
        for text in rows if len(rows) <= 12 else rows[:6] + ["..."] + rows[-4:]:
            say(f"  {text}")
        if advice["status"] == "pending":
            sent = finance.post(f"/api/v1/vendor-settlements/{advice['id']}/mark-sent",
                                {"bank_reference": f"ACH {self.tag}"}, expect=200)
            say(f"{MSO_FINANCE} paid it and marked it sent: {sent['status']}, bank reference {sent['bank_reference']}")
        else:
            say(f"it was sent already (bank reference {advice['bank_reference']})")

    # 13 ------------------------------------------------------------------------------

    def record_rebate(self) -> None:
        acme = self.vendors["acme"]
        self.rebate = self.finance.post("/api/v1/rebates", {
            "vendor_id": acme["id"], "contract_id": acme["contract"]["id"],
            "period_start": self.started_on.isoformat(), "period_end": utc_now().date().isoformat(),
            "amount_cents": 250000, "retained_percent": "20",
        }, expect=201, idempotency_key=True)
        say(f"rebate {self.rebate['id']} from {acme['name']}: {dollars(250000)}, MSO retains "
            f"{dollars(self.rebate['retained_cents'])}, distributes {dollars(self.rebate['distributed_cents'])} "
            f"to {len(self.rebate['allocations'])} practices as credits")

    # 14 ------------------------------------------------------------------------------

    def print_table(self) -> None:
        rebates = defaultdict(int)
        for allocation in self.rebate["allocations"]:
            rebates[allocation["practice_id"]] += allocation["amount_cents"]
        rows, totals = [], [0, 0, 0, 0]
        for practice in self.practices:
            report = self.finance.get("/api/v1/reports/savings", params={
                "practice_id": practice["id"], "from": self.started_on.isoformat(),
                "to": utc_now().date().isoformat()})
            values = [report["list_cents"], report["paid_cents"], report["savings_cents"], rebates[practice["id"]]]
            totals = [t + v for t, v in zip(totals, values, strict=True)]
            rows.append([practice["name"]] + [dollars(v) for v in values])
        say("goods at list price, what the practice paid for them at the tier reached (service fee not "
            "included), the difference, and its share of the rebate (a credit on its next invoice):")
        print()
        table(["Practice", "List value", "- Paid", "= Savings", "Rebate credit"], rows,
              ["Total"] + [dollars(v) for v in totals])


    # 15 ------------------------------------------------------------------------------

    def show_notifications(self) -> None:
        """Acme's admin lists its endpoints' deliveries made during this run (the outbox
        is dispatched after each commit with `make run`); Bolt's admin sees its failing
        endpoint's; then the e-mails in the mail folder."""
        for admin_email, key in ((ACME_ADMIN, "acme"), (BOLT_ADMIN, "bolt")):
            vendor = self.vendors[key]
            api = vendor["api"] if key == "bolt" else Api.user(self.base_url, admin_email)
            endpoints = api.get_all(f"/api/v1/vendors/{vendor['id']}/webhook-endpoints")
            if not endpoints:
                say(f"{vendor['name']} has no webhook endpoint (`make run` sets one up at its webhook receiver)")
            for endpoint in endpoints:
                self._show_deliveries(api, vendor, endpoint, detailed=key == "acme")
        self._show_emails()

    def _deliveries_of_this_run(self, api: Api, endpoint: dict) -> list[dict]:
        """The endpoint's deliveries made since the run started, once none waits for its
        first attempt (or after 15 s: a dispatcher that is not running leaves them so)."""
        def probe():
            found = api.get_all(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries")
            return [d for d in found if dt.datetime.fromisoformat(d["created_at"]) >= self.started_at]
        try:
            return wait_for(f"endpoint {endpoint['id']}'s deliveries", probe,
                            lambda found: all(d["attempt_count"] for d in found), timeout=15)
        except DemoError:
            return probe()

    def _show_deliveries(self, api: Api, vendor: dict, endpoint: dict, detailed: bool) -> None:
        mine = self._deliveries_of_this_run(api, endpoint)
        say(f"{vendor['name']}'s webhook endpoint {endpoint['id']} at {endpoint['url']} "
            f"({'on' if endpoint['enabled'] else 'off'}; GET /api/v1/webhook-endpoints/{endpoint['id']}/deliveries as "
            f"{api.label}): {len(mine)} deliveries during this run: {count_by(mine, 'status')}")
        if not detailed:
            codes = count_by([{"code": str(d["last_status_code"] or "no answer")} for d in mine if d["attempt_count"]],
                             "code")
            waiting = [d["next_attempt_at"] for d in mine if d["status"] == "pending" and d["next_attempt_at"]]
            say(f"  the receiver answered: {codes}" + (f"; next retry at {min(waiting)}" if waiting else ""))
            return
        by_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for delivery in mine:
            by_type[delivery["event_type"]][delivery["status"]] += 1
        statuses = sorted({d["status"] for d in mine})
        table(["Event type"] + statuses, [[event_type] + [str(counts[s]) for s in statuses]
                                          for event_type, counts in sorted(by_type.items())],
              ["Total"] + [str(sum(1 for d in mine if d["status"] == s)) for s in statuses] if mine else None)
        for delivery in sorted(mine, key=lambda d: d["id"])[-3:]:
            last = delivery["attempts"][-1] if delivery["attempts"] else {}
            say(f"  delivery {delivery['id']} {delivery['event_type']} ({delivery['webhook_id']}): {delivery['status']}"
                f" after {delivery['attempt_count']} attempt(s), last answer {delivery['last_status_code']}"
                + (f" in {last['duration_ms']} ms" if last else ""))

    def _show_emails(self) -> None:
        folder = self.mail_dir
        if not folder.is_dir():
            say(f"no {folder}/ here: the server sends its e-mails through SMTP_URL, or runs elsewhere")
            return
        files = sorted(folder.glob("*.eml"), key=lambda f: (f.stat().st_mtime, f.name))
        new = [f for f in files if dt.datetime.fromtimestamp(f.stat().st_mtime, dt.timezone.utc) >= self.started_at]
        kinds = count_by([{"kind": f.stem.split("-", 3)[-1]} for f in new], "kind")  # <when>-<id>-<kind>.eml
        say(f"{folder}/ holds {len(files)} e-mails, {len(new)} of them written during this run ({kinds}); the last "
            "few:")
        for path in new[-3:]:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            say(f"  {path.name} to {message['To']}: {message['Subject']}")


# --- cXML, as a vendor's system writes and reads it -------------------------------------

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def confirmation_request(po: dict, acknowledgement: list[dict], vendor: dict, tag: str) -> bytes:
    """A cXML ConfirmationRequest (type "detail", line by line) saying what the JSON
    acknowledgement says: per line, the units accepted, backordered (with the date they
    ship), offered as a substitute (the substitute's SKU and price) and rejected."""
    ordered = {line["id"]: line["quantity"] for line in po["lines"]}
    skus = {vendor["products"][key]: f"{sku}-{tag}" for key, sku, *_ in vendor["items"]}
    root = ElementTree.Element("cXML", payloadID=f"{tag}.{po['id']}.confirmation@acme.example",
                               timestamp=utc_now().isoformat(timespec="seconds"), version="1.2.060")
    header = ElementTree.SubElement(root, "Header")
    for part, identity in (("From", f"vendor-{vendor['id']}"), ("To", "gpo"), ("Sender", f"vendor-{vendor['id']}")):
        credential = ElementTree.SubElement(ElementTree.SubElement(header, part), "Credential", domain="gpo")
        ElementTree.SubElement(credential, "Identity").text = identity
    ElementTree.SubElement(header.find("Sender"), "UserAgent").text = "Acme order system (gpo demo)"
    request = ElementTree.SubElement(ElementTree.SubElement(root, "Request", deploymentMode="test"), "ConfirmationRequest")
    ElementTree.SubElement(request, "ConfirmationHeader", type="detail", noticeDate=utc_now().isoformat(timespec="seconds"))
    ElementTree.SubElement(request, "OrderReference", orderID=str(po["id"]))
    for line in acknowledgement:
        quantity = ordered[line["line_id"]]
        item = ElementTree.SubElement(request, "ConfirmationItem", lineNumber=str(line["line_id"]), quantity=str(quantity))
        ElementTree.SubElement(item, "UnitOfMeasure").text = "EA"
        substitute = line.get("substitute")
        parts = [("accept", line["accepted_quantity"], {}),
                 ("backordered", line.get("backordered_quantity", 0), {"shipmentDate": line.get("expected_ship_on", "")}),
                 ("detail", substitute["quantity"] if substitute else 0, {})]
        parts.append(("reject", quantity - sum(units for _, units, _ in parts), {}))
        for kind, units, dates in parts:
            if units:
                status = ElementTree.SubElement(item, "ConfirmationStatus", type=kind, quantity=str(units), **dates)
                ElementTree.SubElement(status, "UnitOfMeasure").text = "EA"
                if kind == "detail":
                    status.append(_item_in(skus[substitute["product_id"]], substitute["unit_price"], units))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="utf-8")


def _item_in(sku: str, unit_price: str, units: int) -> ElementTree.Element:
    """The substitute offered: another of the vendor's SKUs at its price."""
    item_in = ElementTree.Element("ItemIn", quantity=str(units))
    ElementTree.SubElement(ElementTree.SubElement(item_in, "ItemID"), "SupplierPartID").text = sku
    detail = ElementTree.SubElement(item_in, "ItemDetail")
    ElementTree.SubElement(ElementTree.SubElement(detail, "UnitPrice"), "Money", currency="USD").text = unit_price
    ElementTree.SubElement(detail, "Description", {XML_LANG: "en-US"}).text = "substitute"
    ElementTree.SubElement(detail, "UnitOfMeasure").text = "EA"
    return item_in


def cxml_status(document: str) -> tuple[int, str]:
    """The Status code and text of the cXML Response that answers a request (gpo's own
    answer: parsed with the standard library, which this script trusts it with)."""
    try:
        status = ElementTree.fromstring(document.encode()).find("Response/Status")
    except ElementTree.ParseError as exc:
        raise DemoError(f"the answer is not XML ({exc}): {document[:300]}") from None
    if status is None:
        raise DemoError(f"the answer is not a cXML Response: {document[:300]}")
    return int(status.get("code", "0")), f"{status.get('text', '')}: {(status.text or '').strip()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000", help="the gpo API (default: %(default)s)")
    parser.add_argument("--stripe-url", default="http://127.0.0.1:8420", help="localstripe (default: %(default)s)")
    parser.add_argument("--tag", default=utc_now().strftime("%y%m%d-%H%M%S"),
                        help="the run's suffix for new names (default: the UTC time, %(default)s)")
    parser.add_argument("--mail-dir", type=Path, default=Path("instance/mail"),
                        help="the server's MAIL_DIR, where its e-mails land without SMTP_URL (default: %(default)s)")
    args = parser.parse_args(argv)
    demo = Demo(args.base_url, args.stripe_url, args.tag, args.mail_dir)
    try:
        demo.run()
    except DemoError as exc:
        sys.stdout.flush()
        print(f"\nFAILED in step {demo.current_step}: {exc}", file=sys.stderr, flush=True)
        status = 1
    except KeyboardInterrupt:
        print(f"\ninterrupted in step {demo.current_step}", file=sys.stderr)
        status = 130
    else:
        if demo.problems:
            print("\nFINISHED WITH PROBLEMS:\n" + "\n".join(f" - {p}" for p in demo.problems), file=sys.stderr)
            status = 1
        else:
            print(f"\nDone: run {demo.tag}, cycle {demo.cycle['id']}.")
            status = 0
    sys.stderr.flush()
    print("\nWhat this run changed in the data that was there before it (all else it made is its own):")
    for change in demo.changes or ["nothing"]:
        print(f" - {change}")
    return status

if __name__ == "__main__":
    sys.exit(main())
