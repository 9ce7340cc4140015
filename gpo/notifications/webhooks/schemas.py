"""The schemas of webhook endpoints, their deliveries and attempts (API.md
"Integrations and notifications"). The secret is a field of the creation's and the
rotation's answers only."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from gpo.api import Id, JsonBoolean, Schema
from gpo.notifications.models import DELIVERY_STATUSES
from gpo.notifications.outbox import PUBLIC_EVENT_TYPES
from gpo.notifications.webhooks import endpoints
from gpo.notifications.webhooks.addresses import MAX_URL_LENGTH

AT = {"example": "2027-01-12T15:04:05+00:00"}
URL_DOC = {"example": "https://erp.acme-medical.example/gpo/webhooks", "description": (
    "Where the events are POSTed. In production it must be https and its host must resolve only to public "
    "addresses (no loopback, private, link-local or metadata addresses); checked when it is set and again "
    "before every delivery.")}
EVENT_TYPES_DOC = {"example": ["purchase_order.created", "purchase_order.changed"], "description": (
    f"The event types it receives, from: {', '.join(PUBLIC_EVENT_TYPES)}. Empty: every one.")}


class _SignsUntil(fields.DateTime):
    """Until when the secret a rotation replaced still signs (computed, not stored as such)."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return self._serialize(endpoints.previous_secret_signs_until(obj), attr, obj, **kwargs)


def _known_event_types(values: list[str]) -> None:
    problem = endpoints.unknown_event_types(values)
    if problem:
        raise ValidationError(problem)


class WebhookEndpointInSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL_LENGTH), metadata=URL_DOC)
    description = fields.String(validate=validate.Length(max=200), metadata={"example": "ERP: purchase orders"})
    event_types = fields.List(fields.String(validate=validate.Length(max=64)), validate=_known_event_types,
                              metadata=EVENT_TYPES_DOC)
    enabled = JsonBoolean(metadata={"example": True, "description": "Off: nothing is sent to it (default on)."})


class WebhookEndpointChangesSchema(WebhookEndpointInSchema):
    """What a PATCH may change (any of the fields, used with partial=True)."""


WEBHOOK_ENDPOINT_EXAMPLE = {"url": "https://erp.acme-medical.example/gpo/webhooks", "description": "ERP: purchase orders",
                    "event_types": ["purchase_order.created", "purchase_order.changed"], "enabled": True}


class WebhookEndpointSchema(Schema):
    """A vendor's webhook endpoint (never its secret)."""

    id = Id(required=True, metadata={"example": 4})
    vendor_id = Id(required=True, metadata={"example": 5})
    url = fields.String(required=True, metadata=URL_DOC)
    description = fields.String(required=True, metadata={"example": "ERP: purchase orders"})
    event_types = fields.List(fields.String(), required=True, metadata=EVENT_TYPES_DOC)
    enabled = fields.Boolean(required=True, metadata={"example": True})
    disabled_reason = fields.String(required=True, allow_none=True, metadata={
        "example": None, "description": "Why gpo disabled it (the receiver answered 410 Gone); null otherwise. "
                                        "Enabling it again clears it."})
    previous_secret_signs_until = _SignsUntil(required=True, allow_none=True, metadata={
        "example": None, "description": "After a rotation: until when the previous secret also signs (null: it does not)."})
    created_by = fields.String(required=True, metadata={"example": "admin@acme-medical.example"})
    created_at = fields.DateTime(required=True, metadata=AT)


class WebhookEndpointWithSecretSchema(WebhookEndpointSchema):
    """An endpoint with its signing secret: the only answers that show it."""

    secret = fields.String(required=True, metadata={
        "example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7Q2Vm6Yl0Hs=",
        "description": "The signing secret (Standard Webhooks). Shown in this answer only: copy it now."})


class WebhookAttemptSchema(Schema):
    id = Id(required=True, metadata={"example": 31})
    attempted_at = fields.DateTime(required=True, metadata=AT)
    duration_ms = fields.Integer(required=True, metadata={"example": 182})
    status_code = fields.Integer(required=True, allow_none=True, metadata={
        "example": 500, "description": "The receiver's answer; null when there was none (refused, timed out)."})
    error = fields.String(required=True, allow_none=True, metadata={"example": "the receiver answered 500"})
    succeeded = fields.Boolean(required=True, metadata={"example": False})
    replay = fields.Boolean(required=True, metadata={"example": False, "description": "Sent again by hand."})


class WebhookDeliverySchema(Schema):
    """One event to one endpoint, with every attempt, oldest first."""

    id = Id(required=True, metadata={"example": 12})
    endpoint_id = Id(required=True, metadata={"example": 4})
    event_id = Id(required=True, metadata={"example": 88})
    event_type = fields.String(attribute="event.event_type", required=True, metadata={"example": "purchase_order.created"})
    webhook_id = fields.String(attribute="event.webhook_id", required=True, metadata={
        "example": "msg_88",
        "description": "The `webhook-id` header: the same on every attempt and replay (the receiver's idempotency key)."})
    status = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATUSES), metadata={
        "example": "pending", "description": "pending (waiting for its next attempt), sending (an attempt in flight), "
                                             "succeeded, failed (for good: retries ran out, 410, or the endpoint "
                                             "was disabled)"})
    attempt_count = fields.Integer(required=True, metadata={"example": 1})
    next_attempt_at = fields.DateTime(required=True, allow_none=True, metadata={
        **AT, "description": "pending: when it is tried next; sending: when the attempt in flight is given up"})
    last_status_code = fields.Integer(required=True, allow_none=True, metadata={"example": 500})
    delivered_at = fields.DateTime(required=True, allow_none=True, metadata={"example": None})
    created_at = fields.DateTime(required=True, metadata=AT)
    attempts = fields.List(fields.Nested(WebhookAttemptSchema), required=True)
