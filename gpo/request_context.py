"""What every layer may know about the request it runs in, without importing the web
layer: its id (for logs and audit events)."""
from __future__ import annotations

import re
import uuid

from flask import has_request_context, request

# A caller's X-Request-Id is kept when it is this safe; otherwise a new one is made.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current_request_id() -> str | None:
    """The request's id: the caller's X-Request-Id if it is safe, else a new one."""
    if not has_request_context():
        return None
    rid = request.environ.get("gpo.request_id")
    if rid is None:
        incoming = request.headers.get("X-Request-Id", "")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.environ["gpo.request_id"] = rid
    return rid
