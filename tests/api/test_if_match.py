"""`If-Match: *` names no version: on every route that takes If-Match it is refused
(428) and nothing changes, above all a physician's approval (CPOM: approve the version
you reviewed)."""
from decimal import Decimal as D

import pytest

from gpo.db import db
from gpo.staffing.models import StaffMember
from tests.factories import ProductFactory
from tests.helpers import assert_error
from tests.scenarios import Market


def _routes(client, world, run_jobs):
    staff = StaffMember(name="Dana", role="billing_specialist", hourly_cost_cents=3000)
    db.session.add(staff)
    db.session.commit()
    product = ProductFactory(vendor_id=world.vendor.id, list_price=D("5.00"))
    market = Market(client, world, run_jobs)
    order = market.order([(market.gloves, 10)]).get_json()
    clinical = market.order([(market.table, 1)], key="clinical").get_json()
    assert clinical["status"] == "awaiting_approval"
    return {
        "practice": ("PATCH", f"/api/v1/practices/{world.practice.id}", "practice_admin", {"name": "Renamed"}),
        "provider": ("PATCH", f"/api/v1/providers/{world.provider.id}", "practice_admin", {"last_name": "Renamed"}),
        "vendor": ("PATCH", f"/api/v1/vendors/{world.vendor.id}", "vendor_admin", {"name": "Renamed"}),
        "product": ("PATCH", f"/api/v1/products/{product.id}", "vendor_admin", {"name": "Renamed"}),
        "staff": ("PATCH", f"/api/v1/staffing/staff/{staff.id}", "mso_admin", {"name": "Renamed"}),
        "order": ("PATCH", f"/api/v1/orders/{order['id']}", "practice_buyer", {"location_id": market.annex.id}),
        "approval": ("POST", f"/api/v1/orders/{clinical['id']}/approve", "practice_physician", None),
    }


@pytest.mark.parametrize("star", ["*", '"0000", *', " * "])
@pytest.mark.parametrize("route", ["practice", "provider", "vendor", "product", "staff", "order", "approval"])
def test_if_match_star_is_refused_everywhere(client, world, run_jobs, route, star):
    method, url, who, body = _routes(client, world, run_jobs)[route]
    read_as = "practice_admin" if route == "order" else who
    before = client.get(url.removesuffix("/approve"), headers=world.headers[read_as])
    assert before.status_code == 200
    response = client.open(url, method=method, json=body, headers={**world.headers[who], "If-Match": star})
    assert_error(response, 428, contains="If-Match: * names no version")
    after = client.get(url.removesuffix("/approve"), headers=world.headers[read_as])
    assert after.get_json() == before.get_json() and after.headers["ETag"] == before.headers["ETag"]
    # the ETag that was read still works
    ok = client.open(url, method=method, json=body, headers={**world.headers[who], "If-Match": before.headers["ETag"]})
    assert ok.status_code == 200, ok.get_data(as_text=True)
