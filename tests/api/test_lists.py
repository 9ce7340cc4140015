"""Every list route answers a JSON list whether it holds no item, one or several (a
page of one order once answered 500), with X-Pagination where it pages."""
import datetime as dt
import json
from decimal import Decimal as D

import pytest

from gpo.billing.models import Invoice
from gpo.catalog.models import CatalogImport
from gpo.contracts.models import Proposal
from gpo.db import db, utcnow
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.orders.models import PurchaseOrder
from gpo.staffing.models import Availability, ShiftRequest, StaffMember
from tests.factories import (
    ContractFactory,
    CycleFactory,
    LocationFactory,
    PracticeFactory,
    ProductFactory,
    ProviderFactory,
    UserFactory,
    VendorFactory,
    api_key_with_secret,
)
from tests.scenarios import Market, program_body

SOON = utcnow() + dt.timedelta(days=10)


def _add(rows):
    db.session.add_all(rows)
    db.session.commit()


def _program(w, i=0):
    body = program_body(name=f"Program {i}")
    row = InsuranceProgram(carrier_vendor_id=w["carrier"].id, created_by="test", **{
        **body, "period_start": dt.date.fromisoformat(body["period_start"]),
        "period_end": dt.date.fromisoformat(body["period_end"])})
    _add([row])
    return row


def _make_orders(w, n):
    market = Market(w["client"], w["world"], w["run_jobs"])
    for i in range(n):
        assert market.order([(market.gloves, 10 + i)], key=f"list-{i}").status_code == 201


def _make_purchase_orders(w, n):
    cycle, vendor_id = CycleFactory(), w["world"].vendor.id
    _add([PurchaseOrder(cycle_id=cycle.id, contract_id=ContractFactory(vendor_id=vendor_id).id, vendor_id=vendor_id)
          for _ in range(n)])


def _make_enrollments(w, n):
    program = w.setdefault("program", _program(w))
    practice = w["world"].practice
    _add([Enrollment(program_id=program.id, practice_id=practice.id,
                     provider_id=ProviderFactory(practice_id=practice.id).id, specialty="family_medicine",
                     specialty_class="1", limits="1M/3M", fte=D("1"), claims_made_year=5, claims_free_years=0,
                     installments=1, effective_on=program.period_start, enrolled_by="test") for _ in range(n)])


def _staff(w):
    if "staff" not in w:
        w["staff"] = StaffMember(name="Dana", role="billing_specialist", hourly_cost_cents=3000)
        _add([w["staff"]])
    return w["staff"]


# route name -> (who asks, url given the setup, make n items)
ROUTES = {
    "practices": ("mso_admin", lambda w: "/api/v1/practices",
                  lambda w, n: [PracticeFactory() for _ in range(n)]),
    "locations": ("mso_admin", lambda w: f"/api/v1/practices/{w['world'].other_practice.id}/locations",
                  lambda w, n: [LocationFactory(practice=w["world"].other_practice) for _ in range(n)]),
    "providers": ("mso_admin", lambda w: f"/api/v1/practices/{w['world'].other_practice.id}/providers",
                  lambda w, n: [ProviderFactory(practice_id=w["world"].other_practice.id) for _ in range(n)]),
    "practice users": ("mso_admin", lambda w: f"/api/v1/practices/{w['spare_practice'].id}/users",
                       lambda w, n: [UserFactory(organization_id=w["spare_practice"].id) for _ in range(n)]),
    "vendor users": ("mso_admin", lambda w: f"/api/v1/vendors/{w['carrier'].id}/users",
                     lambda w, n: [UserFactory(organization_id=w["carrier"].id, roles=["vendor_admin"])
                                   for _ in range(n)]),
    "mso users": ("mso_admin", lambda w: "/api/v1/mso/users",
                  lambda w, n: [UserFactory(organization_id=w["world"].mso.id, roles=["mso_finance"])
                                for _ in range(n)]),
    "vendors": ("mso_admin", lambda w: "/api/v1/vendors", lambda w, n: [VendorFactory() for _ in range(n)]),
    "api keys": ("vendor_admin", lambda w: f"/api/v1/vendors/{w['world'].vendor.id}/api-keys",
                 lambda w, n: [api_key_with_secret(w["world"].vendor.id) for _ in range(n)]),
    "invoices": ("mso_finance", lambda w: "/api/v1/invoices",
                 lambda w, n: _add([Invoice(practice_id=w["world"].practice.id, kind="membership",
                                            source_key=f"list-{i}", description="Membership") for i in range(n)])),
    "products": ("vendor_admin", lambda w: "/api/v1/products",
                 lambda w, n: [ProductFactory(vendor_id=w["world"].vendor.id) for _ in range(n)]),
    "catalog imports": ("vendor_admin", lambda w: f"/api/v1/vendors/{w['world'].vendor.id}/catalog-imports",
                        lambda w, n: _add([CatalogImport(vendor_id=w["world"].vendor.id, mode="upsert",
                                                         source_format="csv", row_count=0, payload="",
                                                         created_by="test") for _ in range(n)])),
    "contracts": ("mso_admin", lambda w: "/api/v1/contracts",
                  lambda w, n: [ContractFactory(vendor_id=w["world"].vendor.id) for _ in range(n)]),
    "proposals": ("mso_admin", lambda w: f"/api/v1/contracts/{w.setdefault('contract', ContractFactory()).id}/proposals",
                  lambda w, n: _add([Proposal(contract_id=w["contract"].id, number=i + 1, author_side="mso",
                                              author_label="test", tiers=w["contract"].tiers,
                                              admin_fee_percent=D("2"), status="rejected") for i in range(n)])),
    "insurance programs": ("mso_admin", lambda w: "/api/v1/insurance/programs",
                           lambda w, n: [_program(w, i) for i in range(n)]),
    "enrollments": ("mso_admin", lambda w: f"/api/v1/insurance/programs/{w.setdefault('program', _program(w)).id}"
                                           "/enrollments", _make_enrollments),
    "cycles": ("mso_admin", lambda w: "/api/v1/cycles",
               lambda w, n: [CycleFactory(status="scheduled", opens_at=SOON + dt.timedelta(days=30 * i),
                                          closes_at=SOON + dt.timedelta(days=30 * i + 7)) for i in range(n)]),
    "orders": ("practice_buyer", lambda w: "/api/v1/orders", _make_orders),
    "purchase orders": ("vendor_admin", lambda w: "/api/v1/purchase-orders", _make_purchase_orders),
    "staff": ("mso_admin", lambda w: "/api/v1/staffing/staff",
              lambda w, n: _add([StaffMember(name=f"S{i}", role="billing_specialist", hourly_cost_cents=3000)
                                 for i in range(n)])),
    "availability": ("mso_admin", lambda w: f"/api/v1/staffing/staff/{_staff(w).id}/availability",
                     lambda w, n: _add([Availability(staff_id=_staff(w).id, kind="weekly", weekday=i, start_minute=480,
                                                     end_minute=1080) for i in range(n)])),
    "shift requests": ("practice_admin", lambda w: "/api/v1/staffing/shift-requests",
                       lambda w, n: _add([ShiftRequest(practice_id=w["world"].practice.id,
                                                       location_id=w["world"].location.id, role="billing_specialist",
                                                       starts_at=SOON + dt.timedelta(days=i),
                                                       ends_at=SOON + dt.timedelta(days=i, hours=8),
                                                       requested_by="test") for i in range(n)])),
    "audit events": ("mso_admin", lambda w: "/api/v1/audit-events?action=practice.create",
                     lambda w, n: [w["client"].post("/api/v1/practices", headers=w["world"].headers["mso_admin"],
                                                    json={"name": f"New {i}", "tax_id": f"12-345678{i}"})
                                   for i in range(n)]),
}


@pytest.fixture
def setup(client, world, run_jobs):
    return {"client": client, "world": world, "run_jobs": run_jobs,
            "carrier": VendorFactory(name="Carrier", kind="carrier"), "spare_practice": PracticeFactory()}


def _list(client, url, headers, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.get(f"{url}{'&' if '?' in url else '?'}{query}" if query else url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert isinstance(body, list), body
    return response, body


@pytest.mark.parametrize("count", [0, 1, 3], ids=["none", "one", "several"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_every_list_route_answers_a_list(setup, route, count):
    who, url_of, make = ROUTES[route]
    client, headers = setup["client"], setup["world"].headers[who]
    url = url_of(setup)
    _, before = _list(client, url, headers, page_size=100)
    make(setup, count)
    response, items = _list(client, url, headers, page_size=100)
    assert len(items) == len(before) + count, (route, items)
    assert all(isinstance(item, dict) and ("id" in item or "number" in item) for item in items)
    if "X-Pagination" in response.headers:
        assert json.loads(response.headers["X-Pagination"])["total"] == len(items)
        if items:  # a page holding exactly one item is still a list
            _, page = _list(client, url, headers, page_size=1)
            assert len(page) == 1 and page[0] == items[0]
    else:
        assert route == "availability"  # the one list that does not page (a person's few windows)


@pytest.mark.parametrize("count", [0, 1, 3], ids=["none", "one", "several"])
def test_cycle_results_are_a_list_of_none_one_or_several_contracts(setup, count):
    """The one list that is not a paged collection: a closed cycle's result per contract."""
    from decimal import Decimal

    from gpo.orders.models import CycleContractResult

    cycle = CycleFactory(status="closed")
    contracts = [ContractFactory(vendor_id=setup["world"].vendor.id) for _ in range(count)]
    _add([CycleContractResult(cycle_id=cycle.id, contract_id=c.id, volume=10 * (i + 1), achieved_tier_index=0,
                              achieved_min_volume=0, discount_percent=Decimal("0")) for i, c in enumerate(contracts)])
    _, items = _list(setup["client"], f"/api/v1/cycles/{cycle.id}/results", setup["world"].headers["mso_admin"])
    assert [item["contract_id"] for item in items] == [c.id for c in contracts]
    assert [item["volume"] for item in items] == [10 * (i + 1) for i in range(count)]
