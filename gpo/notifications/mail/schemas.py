"""The e-mail settings of the caller (`GET/PUT /me/notifications`): the answer lists
every kind the user could receive; the request names the kinds to turn on or off."""
from __future__ import annotations

from marshmallow import fields, validate

from gpo.api import JsonBoolean, Schema


class NotificationSettingSchema(Schema):
    kind = fields.String(required=True, metadata={"example": "invoice.issued",
                                                  "description": "the kind of e-mail (the event it comes from)"})
    label = fields.String(required=True, metadata={"example": "Invoices issued"})
    description = fields.String(required=True, metadata={"example": "An invoice to your practice is issued."})
    essential = fields.Boolean(required=True, metadata={
        "example": False, "description": "always sent: it cannot be turned off"})
    enabled = fields.Boolean(required=True, metadata={"example": True})
    essential_reason = fields.String(required=True, metadata={
        "nullable": True, "example": None, "description": "why an essential kind is always sent; null otherwise"})


class NotificationSettingsSchema(Schema):
    notifications = fields.List(fields.Nested(NotificationSettingSchema), required=True)


class NotificationChoiceSchema(Schema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"example": "invoice.issued"})
    enabled = JsonBoolean(required=True, metadata={"example": False})


class NotificationSettingsUpdateSchema(Schema):
    notifications = fields.List(fields.Nested(NotificationChoiceSchema), required=True,
                                validate=validate.Length(min=1, max=50),
                                metadata={"description": "the kinds to turn on or off; kinds left out keep their setting"})


SETTINGS_EXAMPLE = {"notifications": [
    {"kind": "substitution.offered", "label": "Substitutes to decide",
     "description": "A vendor offers a substitute for units your practice ordered: approve or decline it.",
     "essential": False, "enabled": True, "essential_reason": None},
    {"kind": "invoice.issued", "label": "Invoices issued", "description": "An invoice to your practice is issued.",
     "essential": False, "enabled": False, "essential_reason": None},
    {"kind": "payment.failed", "label": "Failed payments", "description": "A payment of an invoice failed.",
     "essential": True, "enabled": True,
     "essential_reason": "A failed payment needs someone to act before the invoice is overdue: it is always sent."},
]}
UPDATE_EXAMPLE = {"notifications": [{"kind": "invoice.issued", "enabled": False},
                                    {"kind": "substitution.offered", "enabled": True}]}
