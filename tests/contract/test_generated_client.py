"""A client generated from the served OpenAPI spec drives one whole purchasing loop.

openapi-python-client generates a client from /api/v1/openapi.json of a live server
(the suite's live_server: the app over real HTTP, with localstripe beside it), into a
temporary folder; the test imports it and, using only its functions and models, signs
in, imports a catalog, negotiates a contract, opens a cycle, orders, has a physician
approve the clinical line (If-Match from the ETag of the previous answer), closes the
cycle, reads the purchase order and the invoice, finalizes the invoice and pays it
through localstripe. The one call to localstripe itself creates the card (pm_...), as a
browser's Stripe.js would: that is the card network's side, not ours.

Whatever the generated code cannot do by itself is a defect of the spec, and the test
fails naming each one (operation, what the spec says, what the server sent): a header
the spec does not document (sent through the generated client's own `headers`), a model
whose from_dict crashes on the server's answer (read from the answer's JSON so the loop
can go on), a status the spec does not list. One run reports them all.

Operations are found by method and path (OPERATIONS, the one place that names them):
the generated module names change when the spec gains operationIds, and nothing here
has to.
"""
from __future__ import annotations

import datetime as dt
import enum
import importlib
import inspect
import json
import random
import re
import string
import subprocess
import sys
import time
import traceback
import types
import typing
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.factories import PASSWORD

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
CONFIG = Path(__file__).with_name("openapi-python-client.yaml")
PACKAGE = "gpo_generated_client"
STRIPE_KEY = "sk_test_gpo_suite"

# step -> (method, path) of the operation the generated client calls for it
OPERATIONS = {
    "login": ("POST", "/api/v1/auth/login"),
    "me": ("GET", "/api/v1/me"),
    "import_catalog": ("POST", "/api/v1/vendors/{vendor_id}/catalog-imports"),
    "get_catalog_import": ("GET", "/api/v1/catalog-imports/{import_id}"),
    "list_products": ("GET", "/api/v1/products"),
    "create_contract": ("POST", "/api/v1/contracts"),
    "propose": ("POST", "/api/v1/contracts/{contract_id}/proposals"),
    "accept_proposal": ("POST", "/api/v1/contracts/{contract_id}/proposals/{number}/accept"),
    "create_cycle": ("POST", "/api/v1/cycles"),
    "open_cycle": ("POST", "/api/v1/cycles/{cycle_id}/open"),
    "create_order": ("POST", "/api/v1/orders"),
    "get_order": ("GET", "/api/v1/orders/{order_id}"),
    "approve_order": ("POST", "/api/v1/orders/{order_id}/approve"),
    "close_cycle": ("POST", "/api/v1/cycles/{cycle_id}/close"),
    "get_cycle": ("GET", "/api/v1/cycles/{cycle_id}"),
    "get_job": ("GET", "/api/v1/jobs/{job_id}"),
    "list_purchase_orders": ("GET", "/api/v1/purchase-orders"),
    "get_purchase_order": ("GET", "/api/v1/purchase-orders/{purchase_order_id}"),
    "list_invoices": ("GET", "/api/v1/invoices"),
    "get_invoice": ("GET", "/api/v1/invoices/{invoice_id}"),
    "finalize_invoice": ("POST", "/api/v1/invoices/{invoice_id}/finalize"),
    "save_payment_method": ("PUT", "/api/v1/practices/{practice_id}/payment-method"),
    "pay_invoice": ("POST", "/api/v1/invoices/{invoice_id}/pay"),
}
HEADER_PARAMETERS = {"if_match": "If-Match", "idempotency_key": "Idempotency-Key"}


class StepFailed(AssertionError):
    """The loop cannot go on: a step got a status it should not have."""


def value(x):
    """An enum member's value, anything else as is."""
    return x.value if isinstance(x, enum.Enum) else x


def as_namespace(data):
    """The answer's JSON with attribute access, for a step whose model could not parse it."""
    if isinstance(data, dict):
        return types.SimpleNamespace(**{k: as_namespace(v) for k, v in data.items()})
    if isinstance(data, list):
        return [as_namespace(v) for v in data]
    return data


class RawBody:
    """A request body the generated model could not build (its from_dict crashed)."""

    def __init__(self, data: dict):
        self.data = data

    def to_dict(self) -> dict:
        return self.data


class Generated:
    """The generated package, its operations by step, and the defects met on the way."""

    def __init__(self, package, base_url: str):
        self.package = package
        self.base_url = base_url
        self.client_module = importlib.import_module(f"{package.__name__}.client")
        self.types_module = importlib.import_module(f"{package.__name__}.types")
        self.defects: list[str] = []
        self.steps: list[str] = []
        self.ops = self._resolve()
        self._clients: dict[int, tuple] = {}

    def _resolve(self) -> dict:
        """step -> generated module, found by the method and URL template each module sends."""
        found = {}
        root = Path(self.package.__file__).parent
        for file in sorted((root / "api").rglob("*.py")):
            match = re.search(r'"method":\s*"(\w+)",\s*"url":\s*"([^"]+)"', file.read_text())
            if match:
                name = ".".join(file.relative_to(root).with_suffix("").parts)
                found[(match.group(1).upper(), match.group(2))] = f"{self.package.__name__}.{name}"
        missing = [f"{m} {p}" for m, p in OPERATIONS.values() if (m, p) not in found]
        assert not missing, f"the generated client has no function for: {missing}"
        return {step: importlib.import_module(found[op]) for step, op in OPERATIONS.items()}

    def defect(self, text: str) -> None:
        if text not in self.defects:
            self.defects.append(text)

    def client(self, token: str | None = None, headers: dict | None = None):
        """A generated Client (AuthenticatedClient with a token) that keeps the last raw answer."""
        slot: dict = {}

        def keep(response):  # the answer as sent, for when the generated parser crashes on it
            response.read()
            slot["response"] = response

        args = dict(base_url=self.base_url, headers=dict(headers or {}), timeout=None,
                    httpx_args={"event_hooks": {"response": [keep]}})
        if token is None:
            client = self.client_module.Client(**args)
        else:
            client = self.client_module.AuthenticatedClient(token=token, **args)
        self._clients[id(client)] = (client, token, slot)  # the client stays alive: its id stays its own
        return client

    def _crash_site(self, exc: BaseException) -> str:
        """Which generated model's from_dict raised (the innermost one)."""
        site = "the generated parser"
        for frame, _ in traceback.walk_tb(exc.__traceback__):
            path = Path(frame.f_code.co_filename)
            if path.parent.name == "models" and self.package.__name__ in path.parts:
                cls = frame.f_locals.get("cls")
                site = f"{getattr(cls, '__name__', path.stem)}.{frame.f_code.co_name} ({path.name})"
        return site

    def body_model(self, module):
        hints = typing.get_type_hints(module.sync_detailed)
        annotation = hints["body"]
        options = [a for a in typing.get_args(annotation) or (annotation,) if hasattr(a, "from_dict")]
        assert options, f"{module.__name__}: body is {annotation!r}"
        return options[0]

    def call(self, step: str, client, expect: int | tuple[int, ...], **kwargs):
        """The step's generated `sync_detailed`, checked against the status expected."""
        module = self.ops[step]
        method, path = OPERATIONS[step]
        label = f"{method} {path}"
        expect = (expect,) if isinstance(expect, int) else expect
        parameters = inspect.signature(module.sync_detailed).parameters
        extra_headers = {}
        for name, header in HEADER_PARAMETERS.items():
            if name in kwargs and name not in parameters:
                extra_headers[header] = kwargs.pop(name)
                self.defect(f"{label}: the spec does not document the {header} request header the server "
                            f"uses (sent through the generated client's headers instead)")
        if isinstance(kwargs.get("body"), dict):
            model = self.body_model(module)
            try:
                kwargs["body"] = model.from_dict(kwargs["body"])
            except Exception as exc:  # noqa: BLE001
                self.defect(f"{label}: the request model {model.__name__}.from_dict cannot build a valid "
                            f"request body ({type(exc).__name__}: {exc})")
                kwargs["body"] = RawBody(kwargs["body"])
        if extra_headers:  # a client of its own: with_headers() would change the shared httpx client
            client = self.client(self._clients[id(client)][1], headers=extra_headers)
        self.steps.append(f"{step}: {module.__name__.rsplit('.', 1)[-1]}")
        try:
            response = module.sync_detailed(client=client, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the generated parser crashed on the server's answer
            raw = self._clients[id(client)][2].get("response")
            if raw is None:
                raise
            self.defect(f"{label}: the generated client cannot parse the server's {raw.status_code} answer: "
                        f"{self._crash_site(exc)} raised {type(exc).__name__}: {exc} (the spec's response "
                        f"schema does not describe what the server sends)")
            response = self.types_module.Response(
                status_code=raw.status_code, content=raw.content, headers=raw.headers,
                parsed=as_namespace(raw.json()) if raw.content else None)
        if response.status_code not in expect:
            raise StepFailed(f"{step} ({label}) answered {int(response.status_code)}, expected {expect}: "
                             f"{response.content[:1500]!r}")
        return response

    def wait_for_job(self, client, job_id: int, timeout: float = 60) -> object:
        deadline = time.monotonic() + timeout
        while True:
            job = self.call("get_job", client, 200, job_id=job_id).parsed
            if value(job.status) in ("finished", "failed"):
                assert value(job.status) == "finished", f"job {job_id} failed: {job.error}"
                return job
            assert time.monotonic() < deadline, f"job {job_id} is still {value(job.status)} after {timeout}s"
            time.sleep(0.1)


@pytest.fixture
def generated_client(live_server, tmp_path):
    """A client generated from the spec the live server serves, imported."""
    started = time.monotonic()
    done = subprocess.run(
        [str(GENERATOR), "generate", "--url", f"{live_server}/api/v1/openapi.json", "--config", str(CONFIG),
         "--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and (tmp_path / PACKAGE / "client.py").exists(), \
        f"openapi-python-client failed ({done.returncode}):\n{output[-5000:]}"
    warnings = [" ".join(pair) for pair in re.findall(r"^(WARNING .*)\n\n(.*)$", output, flags=re.M)]
    print(f"\ngenerated {PACKAGE} in {time.monotonic() - started:.1f}s; generator warnings: "
          + ("; ".join(warnings) or "none"))
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        yield Generated(package, live_server), warnings
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _stripe_card(stripe_url: str) -> str:
    """A card in localstripe, as Stripe.js creates it in the practice's browser."""
    form = urllib.parse.urlencode({"type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
                                   "card[exp_year]": "2030", "card[cvc]": "123"}).encode()
    request = urllib.request.Request(f"{stripe_url}/v1/payment_methods", data=form,
                                     headers={"Authorization": f"Bearer {STRIPE_KEY}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["id"]


def test_a_generated_client_drives_the_whole_purchasing_loop(
        generated_client, world, db_ctx, run_jobs, stripe_url, stripe_webhooks):
    api, _warnings = generated_client
    emails = {name: user.email for name, user in world.users.items()}
    vendor_key = world.headers["vendor_key"]["Authorization"].removeprefix("Bearer ")
    practice_id, location_id, world_vendor_id = world.practice.id, world.location.id, world.vendor.id
    db_ctx.commit()  # the test's own transaction would hold SQLite's write lock (BEGIN IMMEDIATE)
    today = dt.datetime.now(dt.timezone.utc).date()
    # Letters only: PostgreSQL's full-text parser reads a hex tag such as "7e6fedba" as a number
    # followed by a word, and the search for it would miss the SKU it is part of.
    tag = "".join(random.choices(string.ascii_lowercase, k=8))

    # -- sign in (the vendor integration uses its API key) ----------------------
    def sign_in(name: str):
        token = api.call("login", api.client(), 200, body={"email": emails[name],
                                                           "password": PASSWORD}).parsed
        assert value(token.token_type) == "Bearer" and token.access_token
        return api.client(token.access_token)

    procurement, finance = sign_in("mso_procurement"), sign_in("mso_finance")
    buyer, physician, practice_admin = sign_in("practice_buyer"), sign_in("practice_physician"), sign_in("practice_admin")
    vendor = api.client(vendor_key)
    me = api.call("me", vendor, 200).parsed
    vendor_id = me.organization.id
    assert vendor_id == world_vendor_id

    # -- the vendor imports its catalog (JSON) ----------------------------------
    rows = [
        {"sku": f"GLV-{tag}", "name": "Nitrile exam gloves, medium, box of 100", "category": "supplies",
         "manufacturer": "Acme", "unit_of_measure": "box", "list_price": "12.9900", "clinical": False,
         "min_order_quantity": 1, "order_multiple": 1},
        {"sku": f"SYR-{tag}", "name": "Syringe 3 mL luer lock, box of 100", "category": "supplies",
         "manufacturer": "Acme", "unit_of_measure": "box", "list_price": "18.5000", "clinical": True,
         "min_order_quantity": 1, "order_multiple": 1},
    ]
    accepted = api.call("import_catalog", vendor, 202, vendor_id=vendor_id, idempotency_key=f"import-{tag}",
                        body={"mode": "upsert", "products": rows}).parsed
    deadline = time.monotonic() + 60
    while value((report := api.call("get_catalog_import", vendor, 200, import_id=accepted.id).parsed).status) \
            not in ("finished", "failed"):
        assert time.monotonic() < deadline, "the catalog import did not finish"
        time.sleep(0.1)
    assert (value(report.status), report.created, report.failed) == ("finished", 2, 0), report
    listed = api.call("list_products", buyer, 200, vendor_id=vendor_id, q=tag).parsed
    products = {p.sku: p.id for p in listed}
    gloves, syringes = products[f"GLV-{tag}"], products[f"SYR-{tag}"]

    # -- procurement proposes, the vendor counters, procurement accepts ---------
    contract = api.call("create_contract", procurement, 201, idempotency_key=f"contract-{tag}", body={
        "vendor_id": vendor_id, "title": f"Exam room supplies {tag}", "category": "supplies", "basis": "units",
        "starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=364)).isoformat(),
        "items": [gloves, syringes],
        "proposal": {"admin_fee_percent": "2.0", "notes": "opening offer", "tiers": [
            {"min_volume": 0, "discount_percent": "0"}, {"min_volume": 10, "discount_percent": "8"}]},
    }).parsed
    counter = api.call("propose", vendor, 201, contract_id=contract.id, idempotency_key=f"counter-{tag}", body={
        "admin_fee_percent": "2.0", "notes": "our counter",
        "tiers": [{"min_volume": 0, "discount_percent": "0"}, {"min_volume": 12, "discount_percent": "7.5"}]}).parsed
    contract = api.call("accept_proposal", procurement, 200, contract_id=contract.id, number=counter.number).parsed
    assert value(contract.status) == "active", contract

    # -- a cycle opens; the practice's buyer orders -------------------------------
    now = dt.datetime.now(dt.timezone.utc)
    cycle = api.call("create_cycle", procurement, 201, idempotency_key=f"cycle-{tag}", body={
        "name": f"Cycle {tag}", "opens_at": now.isoformat(),
        "closes_at": (now + dt.timedelta(days=1)).isoformat()}).parsed
    cycle = api.call("open_cycle", procurement, 200, cycle_id=cycle.id).parsed
    assert value(cycle.status) == "open"
    order = api.call("create_order", buyer, 201, idempotency_key=f"order-{tag}", body={
        "location_id": location_id, "submit": True,
        "lines": [{"product_id": gloves, "quantity": 10}, {"product_id": syringes, "quantity": 4}]}).parsed
    assert value(order.status) == "awaiting_approval", order

    # -- the physician approves the clinical line of the version read ------------
    read = api.call("get_order", physician, 200, order_id=order.id)
    etag = read.headers.get("ETag")
    assert etag, f"GET /api/v1/orders/{order.id} sent no ETag: {dict(read.headers)}"
    approved = api.call("approve_order", physician, 200, order_id=order.id, if_match=etag).parsed
    assert value(approved.status) == "confirmed", approved

    # -- procurement closes the cycle (a job) -------------------------------------
    ref = api.call("close_cycle", procurement, 202, cycle_id=cycle.id).parsed
    api.wait_for_job(procurement, ref.job_id)
    closed = api.call("get_cycle", procurement, 200, cycle_id=cycle.id).parsed
    assert value(closed.status) == "closed", closed

    # -- the vendor's purchase order, the practice's invoice ---------------------
    [po_ref] = api.call("list_purchase_orders", vendor, 200, cycle_id=cycle.id).parsed
    po = api.call("get_purchase_order", vendor, 200, purchase_order_id=po_ref.id).parsed
    assert sorted((line.product_id, line.quantity) for line in po.lines) == [(gloves, 10), (syringes, 4)]
    [draft] = api.call("list_invoices", finance, 200, cycle_id=cycle.id, practice_id=practice_id).parsed
    assert value(draft.status) == "draft" and draft.total_cents > 0, draft

    # -- finance finalizes it; the practice reads it and pays by card -------------
    invoice = api.call("finalize_invoice", finance, 200, invoice_id=draft.id).parsed
    assert value(invoice.status) == "open" and invoice.number, invoice
    seen = api.call("get_invoice", practice_admin, 200, invoice_id=invoice.id).parsed
    assert (seen.id, seen.total_cents) == (invoice.id, invoice.total_cents)
    saved = api.call("save_payment_method", practice_admin, 200, practice_id=practice_id,
                     body={"stripe_payment_method_id": _stripe_card(stripe_url)}).parsed
    assert saved.stripe_customer_id.startswith("cus_")
    attempt = api.call("pay_invoice", practice_admin, 202, invoice_id=invoice.id, idempotency_key=f"pay-{tag}").parsed
    api.wait_for_job(practice_admin, attempt.job_id)
    deadline = time.monotonic() + 30
    while value((paid := api.call("get_invoice", practice_admin, 200, invoice_id=invoice.id).parsed).status) != "paid":
        assert time.monotonic() < deadline, f"invoice {invoice.id} is still {value(paid.status)}"
        time.sleep(0.1)

    print("\ngenerated functions used: " + ", ".join(dict.fromkeys(api.steps)))
    assert not api.defects, "the loop ran, but only around these spec defects:\n- " + "\n- ".join(api.defects)
