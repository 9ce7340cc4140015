"""An audit event is seen by whoever may read the object it is about: tenancy is not
enough (a vendor admin, 403 on its rebate, must not read the rebate's split in the
audit trail). The MSO's admins see every event."""
from gpo.audit import READ_ACTIONS
from gpo.auth.policy import ACTIONS
from gpo.db import db
from tests.helpers import assert_error
from tests.scenarios import rebate_body


def _events(billing, who, **filters):
    query = "&".join(f"{k}={v}" for k, v in {"page_size": 100, **filters}.items())
    response = billing.client.get(f"/api/v1/audit-events?{query}", headers=billing.world.headers[who])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _a_rebate(billing):
    billing.buy_and_close()
    for practice in (billing.world.practice, billing.world.other_practice):
        billing.finalize(billing.invoice_of(practice, kind="purchasing")["id"])
    response = billing.client.post("/api/v1/rebates", json=rebate_body(billing), headers=billing.finance)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_a_vendor_admin_does_not_see_the_rebate_it_may_not_read(billing):  # noqa: F811
    rebate = _a_rebate(billing)
    vendor = billing.world.vendor
    key = billing.client.post(f"/api/v1/vendors/{vendor.id}/api-keys", json={"name": "ERP"},
                              headers=billing.world.headers["vendor_admin"])
    assert key.status_code == 201
    assert_error(billing.client.get(f"/api/v1/rebates/{rebate['id']}", headers=billing.world.headers["vendor_admin"]),
                 403)
    seen = _events(billing, "vendor_admin")
    assert "rebates" not in {e["object_type"] for e in seen}
    assert not any("retained_cents" in e["details"] for e in seen)
    assert _events(billing, "vendor_admin", object_type="rebates") == []
    assert _events(billing, "vendor_admin", object_id=rebate["id"], object_type="rebates") == []
    # it still sees its own organization's events about what it may read
    assert "api_key.create" in {e["action"] for e in seen}
    assert {e["organization_id"] for e in seen} == {vendor.id}


def test_the_mso_admin_sees_the_rebate_and_its_split(billing):  # noqa: F811
    rebate = _a_rebate(billing)
    [event] = _events(billing, "mso_admin", object_type="rebates")
    assert (event["action"], event["object_id"], event["organization_id"]) == (
        "rebate.create", rebate["id"], billing.world.vendor.id)
    assert event["details"]["retained_cents"] == 20000


def test_a_practice_admin_sees_its_own_practices_events_only(billing):  # noqa: F811
    _a_rebate(billing)
    practice = billing.world.practice
    billing.client.post(f"/api/v1/practices/{practice.id}/locations", headers=billing.world.headers["practice_admin"],
                        json={"name": "Annex 2", "line1": "2 Main St", "city": "Madison", "state": "WI",
                              "postal_code": "53703"})
    seen = _events(billing, "practice_admin")
    assert {e["organization_id"] for e in seen} == {practice.id}
    assert {"invoice.finalize", "location.create", "order.place"} <= {e["action"] for e in seen}
    assert "rebates" not in {e["object_type"] for e in seen}
    others = _events(billing, "other_practice_admin")
    assert {e["organization_id"] for e in others} == {billing.world.other_practice.id}


def test_every_audited_kind_has_a_real_read_action():
    assert set(READ_ACTIONS.values()) <= set(ACTIONS)
    assert set(READ_ACTIONS) <= set(db.metadata.tables)
