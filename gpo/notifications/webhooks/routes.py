"""Vendors' webhook endpoints, their deliveries and attempts over the API (API.md
"Integrations and notifications")."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.notifications.webhooks import deliveries, endpoints
from gpo.notifications.webhooks.schemas import (
    WEBHOOK_ENDPOINT_EXAMPLE,
    WebhookDeliverySchema,
    WebhookEndpointChangesSchema,
    WebhookEndpointInSchema,
    WebhookEndpointSchema,
    WebhookEndpointWithSecretSchema,
)

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description=(
    "Vendors' webhook endpoints: events signed per Standard Webhooks (webhook-id, webhook-timestamp, "
    "webhook-signature), retried on a schedule, every attempt kept and replayable"))


@blp.route("/vendors/<int:vendor_id>/webhook-endpoints")
class VendorEndpoints(MethodView):
    @blp.response(200, WebhookEndpointSchema(many=True))
    @blp.paginate()
    def get(self, vendor_id, pagination_parameters):
        """The vendor's endpoints, oldest first (the vendor's admins, MSO staff); never
        their secrets."""
        pp = pagination_parameters
        return page_of(endpoints.list_endpoints(current_principal(), vendor_id, pp.page, pp.page_size), pp)

    @blp.etag
    @blp.arguments(WebhookEndpointInSchema, example=WEBHOOK_ENDPOINT_EXAMPLE)
    @blp.response(201, WebhookEndpointWithSecretSchema)
    def post(self, data, vendor_id):
        """Add an endpoint (the vendor's admin or the MSO's admin). The answer shows its
        `whsec_` secret this once: copy it, it is never shown again. A URL gpo may not
        call (see `url`) or an unknown event type: 422 at the field.

        Not idempotent on purpose: replaying the answer would mean storing the secret a
        second time. A twin endpoint is harmless to a receiver that keys on webhook-id."""
        created = endpoints.create_endpoint(current_principal(), vendor_id, data)
        blp.set_etag_for(created.endpoint)
        return created


@blp.route("/webhook-endpoints/<int:endpoint_id>")
class EndpointItem(MethodView):
    @blp.etag
    @blp.response(200, WebhookEndpointSchema)
    def get(self, endpoint_id):
        """An endpoint (never its secret)."""
        endpoint = endpoints.get_endpoint(current_principal(), endpoint_id)
        blp.set_etag_for(endpoint)
        return endpoint

    @blp.etag
    @blp.arguments(WebhookEndpointChangesSchema(partial=True), example={"enabled": True, "event_types": []})
    @blp.response(200, WebhookEndpointSchema)
    def patch(self, data, endpoint_id):
        """Change the URL, description, event types or `enabled` (If-Match). Enabling an
        endpoint disabled by a 410 clears `disabled_reason`; disabling one fails its
        deliveries still waiting (each may be sent again by hand later)."""
        endpoint = endpoints.update_endpoint(current_principal(), endpoint_id, data, request.if_match)
        blp.set_etag_for(endpoint)
        return endpoint

    @blp.etag
    @blp.response(204)
    def delete(self, endpoint_id):
        """Delete the endpoint with its deliveries and attempts (If-Match)."""
        endpoints.delete_endpoint(current_principal(), endpoint_id, request.if_match)


@blp.route("/webhook-endpoints/<int:endpoint_id>/rotate-secret")
class RotateSecret(MethodView):
    @blp.etag
    @blp.response(200, WebhookEndpointWithSecretSchema)
    @blp.doc(operationId="rotate_webhook_endpoint_secret")
    def post(self, endpoint_id):
        """A new secret (the vendor's admin), shown in this answer only. The previous one
        keeps signing for 24 hours: meanwhile `webhook-signature` carries both
        signatures, space separated, so the receiver can switch without losing one."""
        rotated = endpoints.rotate_secret(current_principal(), endpoint_id)
        blp.set_etag_for(rotated.endpoint)
        return rotated


@blp.route("/webhook-endpoints/<int:endpoint_id>/deliveries")
class Deliveries(MethodView):
    @blp.response(200, WebhookDeliverySchema(many=True))
    @blp.paginate()
    def get(self, endpoint_id, pagination_parameters):
        """The endpoint's deliveries, newest first, each with every attempt (when, how
        long, the status code, the error)."""
        pp = pagination_parameters
        return page_of(deliveries.list_deliveries(current_principal(), endpoint_id, pp.page, pp.page_size), pp)


@blp.route("/webhook-deliveries/<int:delivery_id>/retry")
class Retry(MethodView):
    @idempotent()
    @blp.response(200, WebhookDeliverySchema)
    @blp.doc(operationId="retry_webhook_delivery")
    def post(self, delivery_id):
        """Send the delivery again now under the same `webhook-id`, recorded as a replay
        attempt (the vendor's admin or the MSO's admin); answers the delivery with it. A
        failed replay leaves the delivery as it was. A disabled endpoint or a delivery
        in flight: 409."""
        return deliveries.replay(current_principal(), delivery_id)
