"""The vendor portal's Webhooks pages, for a vendor's admins: the vendor's endpoints
with their status, adding one (URL, description, the event types it receives), its
page (change it, turn it on or off, rotate the secret, delete it) and its deliveries
with every attempt and "Send again".

The secret is shown once: in the answer to the POST that created the endpoint or
rotated its secret, never on a GET and never in the session cookie. A reload of that
answer sends the form again: the creation form carries a one-time token (kept in the
session, used up by the first creation) and the rotation form the ETag of the version
it was shown with, so a resend creates or rotates nothing and shows no secret."""
from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, session, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.errors import DomainError
from gpo.etags import etag_for
from gpo.notifications.outbox import PUBLIC_EVENT_TYPES
from gpo.notifications.webhooks import deliveries, endpoints
from gpo.notifications.webhooks.schemas import WebhookEndpointChangesSchema, WebhookEndpointInSchema
from gpo.web import Waiting
from gpo.web.forms import form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("webhooks_portal", __name__, "portal", url_prefix="/portal")

NO_STORE = {"Cache-Control": "no-store"}  # a page with a secret, or a form's one-time token
AT_FORM = (409, 412, 422)
_FORM_TOKEN = "webhook_form"
USED_FORM = ("That form was used already or is out of date, so nothing was changed by it. A secret is shown only "
             "once: if it was not copied, rotate the secret to get a new one.")


def waiting(principal) -> list[Waiting]:
    """The start page's lines: an endpoint the receiver disabled, deliveries that failed
    for good this week."""
    disabled, failed = deliveries.needing_attention(principal)
    lines = [Waiting(f"The webhook endpoint {e.url} was disabled: {e.disabled_reason}",
                     url_for("webhooks_portal.endpoint", endpoint_id=e.id)) for e in disabled]
    if failed:
        lines.append(Waiting(f"{failed} webhook deliver{'y' if failed == 1 else 'ies'} failed for good this week",
                             url_for("webhooks_portal.endpoints")))
    return lines


def _form_token() -> str:
    if _FORM_TOKEN not in session:
        session[_FORM_TOKEN] = secrets.token_urlsafe(16)
    return session[_FORM_TOKEN]


def _list_page(*, created=None, values=None, errors=None, status: int = 200):
    principal = current_principal()
    page, page_size = page_args()
    result = deliveries.summaries(principal, principal.organization_id, page, page_size)
    body = render_template("webhooks/portal_endpoints.html", summaries=result.items, total=result.total, page=page,
                           page_size=page_size, created=created, values=values or {}, errors=errors,
                           event_types=PUBLIC_EVENT_TYPES, form_token=_form_token())
    return body, status, NO_STORE


def _parsed(values: dict, *, editing: bool) -> dict:
    """The form as the API's body: event types as a list, the on/off box as a boolean."""
    values.setdefault("event_types", [])
    if editing:
        values.setdefault("description", "")
        values["enabled"] = bool(values.get("enabled"))
    elif "enabled" in values:
        values["enabled"] = bool(values["enabled"])
    return load(WebhookEndpointChangesSchema(partial=True) if editing else WebhookEndpointInSchema(), values)


@blp.get("/webhooks", endpoint="endpoints")
def endpoints_page():
    return _list_page()


@blp.post("/webhooks")
def create_endpoint():
    values = form_data(lists=("event_types",))
    token = values.pop("form_token", "")
    expected = session.get(_FORM_TOKEN)
    if not expected or not secrets.compare_digest(token.encode(), expected.encode()):
        flash(USED_FORM, "info")
        return redirect(url_for("webhooks_portal.endpoints"), 303)
    principal = current_principal()
    try:
        created = endpoints.create_endpoint(principal, principal.organization_id, _parsed(values, editing=False))
    except DomainError as exc:
        return _list_page(values=values, errors=refusal(exc, AT_FORM), status=exc.status_code)
    session.pop(_FORM_TOKEN)  # used up: a resend of this form creates nothing
    return _list_page(created=created, status=201)


def _endpoint_page(endpoint_id: int, *, values=None, errors=None, rotated=None, status: int = 200):
    principal = current_principal()
    endpoint = endpoints.get_endpoint(principal, endpoint_id)
    page, page_size = page_args(10)
    shown = deliveries.list_deliveries(principal, endpoint_id, page, page_size)
    body = render_template(
        "webhooks/portal_endpoint.html", endpoint=endpoint, etag=etag_for(endpoint), deliveries=shown,
        page=page, page_size=page_size, values=values, errors=errors, rotated=rotated,
        event_types=PUBLIC_EVENT_TYPES, signs_until=endpoints.previous_secret_signs_until(endpoint),
        may_rotate=policy.may(principal, "webhook_endpoint.rotate_secret"),
        may_retry=policy.may(principal, "webhook_delivery.retry"))
    return body, status, NO_STORE


@blp.get("/webhooks/<int:endpoint_id>")
def endpoint(endpoint_id: int):
    return _endpoint_page(endpoint_id)


@blp.post("/webhooks/<int:endpoint_id>")
def update_endpoint(endpoint_id: int):
    values = form_data(lists=("event_types",))
    etag = values.pop("etag", "")
    try:
        changed = endpoints.update_endpoint(current_principal(), endpoint_id, _parsed(values, editing=True), [etag])
    except DomainError as exc:
        return _endpoint_page(endpoint_id, values=values, errors=refusal(exc, AT_FORM), status=exc.status_code)
    flash(f"Saved. The endpoint is {'enabled' if changed.enabled else 'disabled: nothing is sent to it'}.", "success")
    return redirect(url_for("webhooks_portal.endpoint", endpoint_id=endpoint_id), 303)


@blp.post("/webhooks/<int:endpoint_id>/rotate-secret")
def rotate_secret(endpoint_id: int):
    etag = form_data().get("etag", "")
    try:
        rotated = endpoints.rotate_secret(current_principal(), endpoint_id, [etag])
    except DomainError as exc:
        if exc.status_code != 412:
            raise
        flash(USED_FORM, "info")  # a reload of the page that showed the new secret, or a stale page
        return redirect(url_for("webhooks_portal.endpoint", endpoint_id=endpoint_id), 303)
    return _endpoint_page(endpoint_id, rotated=rotated)


@blp.post("/webhooks/<int:endpoint_id>/delete")
def delete_endpoint(endpoint_id: int):
    etag = form_data().get("etag", "")
    principal = current_principal()
    url = endpoints.get_endpoint(principal, endpoint_id).url
    try:
        endpoints.delete_endpoint(principal, endpoint_id, [etag])
    except DomainError as exc:
        return _endpoint_page(endpoint_id, errors=refusal(exc, AT_FORM), status=exc.status_code)
    flash(f"The endpoint {url} is deleted, with its deliveries: nothing is sent to it any more.", "success")
    return redirect(url_for("webhooks_portal.endpoints"), 303)


@blp.post("/webhooks/deliveries/<int:delivery_id>/retry")
def retry(delivery_id: int):
    return send_again(delivery_id, "webhooks_portal.endpoint")


def send_again(delivery_id: int, endpoint_page: str):
    """"Send again" (the portal's and the console's): the replay's outcome is said on
    top of the endpoint's page; a refusal (the endpoint is disabled) too."""
    principal = current_principal()
    endpoint_id = deliveries.get_delivery(principal, delivery_id).endpoint_id
    try:
        delivery = deliveries.replay(principal, delivery_id)
    except DomainError as exc:
        if exc.status_code != 409:
            raise
        flash(f"Not sent: {exc.message}.", "error")
        return redirect(url_for(endpoint_page, endpoint_id=endpoint_id), 303)
    attempt = delivery.attempts[-1] if delivery.attempts else None
    if attempt is not None and attempt.succeeded:
        flash(f"Sent again ({delivery.event.webhook_id}): the receiver answered {attempt.status_code}.", "success")
    else:
        why = attempt.error if attempt is not None else "no attempt was recorded"
        flash(f"Sent again ({delivery.event.webhook_id}), but it did not succeed: {why}.", "error")
    return redirect(url_for(endpoint_page, endpoint_id=endpoint_id, _anchor=f"delivery-{delivery_id}"), 303)
