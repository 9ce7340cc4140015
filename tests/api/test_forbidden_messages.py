"""403 answers name the refused action as a readable sentence."""
from tests.helpers import assert_error


def test_a_key_listing_keys_is_told_in_english(client, world):
    body = assert_error(client.get(f"/api/v1/vendors/{world.vendor.id}/api-keys", headers=world.headers["vendor_key"]),
                        403)
    assert body["message"] == "your role may not list API keys"


def test_a_buyer_reading_the_audit_trail_is_told_in_english(client, world):
    body = assert_error(client.get("/api/v1/audit-events", headers=world.headers["practice_buyer"]), 403)
    assert body["message"] == "your role may not list audit events"
