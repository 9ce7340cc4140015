"""Standard Webhooks signatures (the `standardwebhooks` package): the `whsec_` secret
of an endpoint and the `webhook-signature` header of a delivery.

During a rotation the previous secret keeps signing for ROTATION_OVERLAP: the header
then carries both signatures, space separated (`v1,<new> v1,<old>`), so a receiver
still configured with the old secret accepts the delivery while it switches."""
from __future__ import annotations

import base64
import datetime as dt
import secrets as random

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ROTATION_OVERLAP = dt.timedelta(hours=24)


def new_secret() -> str:
    """A new signing secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def signing_secrets(secret: str, previous_secret: str | None, previous_expires_at: dt.datetime | None,
                    now: dt.datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one until it expires."""
    keys = [secret]
    if previous_secret and previous_expires_at is not None and now < previous_expires_at:
        keys.append(previous_secret)
    return keys


def signature_header(keys: list[str], webhook_id: str, timestamp: dt.datetime, body: str) -> str:
    """The `webhook-signature` value: one `v1,<base64>` per secret, space separated."""
    return " ".join(Webhook(key).sign(webhook_id, timestamp, body) for key in keys)
