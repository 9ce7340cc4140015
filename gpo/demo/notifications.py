"""The demo's webhooks and e-mail (issue 19, DOMAIN.md "Telling people and systems").

Two vendors' systems listen at the webhook receiver that `make run` starts beside the
app (scripts/webhook_receiver.py, which checks every signature): Acme's order system at
/acme receives every event and answers 204; Bolt's ticketing system at /answer/503 is
down (the receiver answers 503 there), so Bolt's Webhooks page shows failed attempts
and the retries scheduled. Lakeside's admin has turned invoice e-mails off, so the
settings page shows a choice made and Lakeside's invoices e-mail nobody.

`seed_notifications()` runs right after the accounts, so every later section's events
reach the endpoints: with OUTBOX_DISPATCH empty (`make run`) each is delivered as its
section commits. `dispatch_and_report()`, at the end of the seed and outside any unit of
work, sends what is still waiting (OUTBOX_DISPATCH=manual, a queue without a worker)
and says where to look.

Where the receiver is: DEMO_WEBHOOK_RECEIVER_URL (default http://127.0.0.1:8430, the
Makefile passes RECEIVER_PORT). The test suite points it at a port nobody listens on,
or at a receiver of its own (tests/conftest.py), so a test never delivers to a
developer's running receiver.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from gpo.accounts.models import Organization, User, Vendor
from gpo.config import PROJECT_ROOT
from gpo.db import db, unit_of_work
from gpo.demo.accounts import DEMO_VENDOR_API_KEY
from gpo.demo.common import principal_of
from gpo.etags import etag_for
from gpo.notifications import dispatcher
from gpo.notifications.mail.settings import update_notification_settings
from gpo.notifications.models import EmailMessage, NotificationSetting, WebhookDelivery, WebhookEndpoint
from gpo.notifications.webhooks.endpoints import create_endpoint, private_urls_allowed, update_endpoint
from gpo.orders.models import PurchaseOrder

# vendor, its admin (who sets the endpoint up), the receiver's path, the endpoint's description
ENDPOINTS = [
    ("Acme Medical Supply", "admin@acme.example", "/acme", "Acme's order system (the demo's webhook receiver)"),
    ("Bolt IT Solutions", "admin@bolt.example", "/answer/503",
     "Bolt's ticketing system, down for now (the demo's receiver answers 503)"),
]
INVOICE_EMAILS_OFF = "admin@lakeside.example"  # a practice admin who turned invoice e-mails off
SECRETS_HEADER = ("# The demo's webhook secrets, written by `flask gpo seed-demo` (gpo/demo/notifications.py) for "
                  "scripts/webhook_receiver.py. The demo only: a real receiver keeps its secret to itself.")


def receiver_url() -> str:
    return current_app.config["DEMO_WEBHOOK_RECEIVER_URL"].rstrip("/")


def seed_notifications() -> list[str]:
    lines = ["Webhook endpoints (the vendors' systems, at the demo's receiver):"]
    if not private_urls_allowed():
        return lines + [f"  none: WEBHOOK_ALLOW_PRIVATE_URLS is off, and the receiver is at {receiver_url()}"]
    for vendor_name, admin_email, path, description in ENDPOINTS:
        endpoint = _endpoint(vendor_name, admin_email, receiver_url() + path, description)
        _tell_receiver(endpoint)
        lines.append(f"  {vendor_name}: endpoint {endpoint.id} {endpoint.url}, every event type")
    lines.append(_invoice_emails_off())
    return lines


def _endpoint(vendor_name: str, admin_email: str, url: str, description: str) -> WebhookEndpoint:
    """The vendor's demo endpoint (found by its description), created by the vendor's
    admin as in the portal; pointed at the receiver's URL of this run if it moved."""
    vendor = db.session.scalars(select(Vendor).where(Organization.name == vendor_name)).one()
    admin = principal_of(admin_email)
    endpoint = db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.vendor_id == vendor.id, WebhookEndpoint.description == description)).first()
    if endpoint is None:
        return create_endpoint(admin, vendor.id, {"url": url, "description": description, "event_types": []}).endpoint
    if endpoint.url != url:  # `make run RECEIVER_PORT=...` moved the receiver
        endpoint = update_endpoint(admin, endpoint.id, {"url": url}, [etag_for(endpoint)])
    return endpoint


def _tell_receiver(endpoint: WebhookEndpoint) -> None:
    """Write the endpoint's secrets to the file the demo's receiver reads at every
    request, so it can check the signatures. THE DEMO ONLY: in real life the vendor
    copies the secret from the page that shows it once; gpo never writes one anywhere."""
    path = Path(current_app.config["DEMO_WEBHOOK_RECEIVER_SECRETS"])
    known = path.read_text().splitlines() if path.exists() else []
    wanted = [s for s in (endpoint.secret, endpoint.previous_secret) if s and s not in known]
    if not wanted:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ([] if known else [SECRETS_HEADER]) + known + wanted
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def _invoice_emails_off() -> str:
    """Lakeside's admin turns invoice e-mails off, once: a choice they changed since
    (on the settings page) is theirs and stays."""
    user = db.session.scalars(select(User).where(User.email == INVOICE_EMAILS_OFF)).one()
    if db.session.get(NotificationSetting, (user.id, "invoice.issued")) is None:
        update_notification_settings(principal_of(INVOICE_EMAILS_OFF), [{"kind": "invoice.issued", "enabled": False}])
    return (f"E-mail settings: {INVOICE_EMAILS_OFF} turned invoice e-mails off "
            f"({current_app.config['PUBLIC_BASE_URL']}/settings/notifications)")


def dispatch_and_report() -> list[str]:
    """Deliver what the sections left waiting, then say what was told and where to see
    it. An edge: call it outside any unit of work."""
    dispatcher.dispatch()
    with unit_of_work():
        return _report()


def _report() -> list[str]:
    base = current_app.config["PUBLIC_BASE_URL"]
    lines = ["Webhooks and e-mail (what gpo told the vendors' systems and people):"]
    endpoints = db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.description.in_([e[3] for e in ENDPOINTS])).order_by(WebhookEndpoint.id)).all()
    for endpoint in endpoints:
        vendor = db.session.get(Vendor, endpoint.vendor_id)
        lines.append(f"  {vendor.name}'s endpoint {endpoint.id} at {endpoint.url}: {_deliveries(endpoint.id)}")
    if endpoints:
        lines += [f"  each delivery and its attempts: sign in as admin@acme.example or admin@bolt.example at "
                  f"{base}/portal/webhooks (the MSO's admin at {base}/console/webhooks)",
                  f"  what the receiver got, signatures checked: {receiver_url()}/ (not there? make webhook-receiver)"]
    lines.append(f"  e-mails: {_emails()}")
    po_id = db.session.scalar(select(func.max(PurchaseOrder.id)).join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
                              .where(Organization.name == ENDPOINTS[0][0]))
    if po_id is not None:
        lines.append(f"A purchase order as Acme's system fetches it, a cXML OrderRequest:\n  curl -H 'Authorization: "
                     f"Bearer {DEMO_VENDOR_API_KEY}' -H 'Accept: application/xml' {base}/api/v1/purchase-orders/{po_id}")
    return lines


def _deliveries(endpoint_id: int) -> str:
    """"41 deliveries: 41 succeeded" (with how many wait for a retry)."""
    counts = dict(db.session.execute(select(WebhookDelivery.status, func.count()).where(
        WebhookDelivery.endpoint_id == endpoint_id).group_by(WebhookDelivery.status)).all())
    total = sum(counts.values())
    retrying = db.session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending",
        WebhookDelivery.attempt_count > 0))
    said = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    if retrying:
        said += f" ({retrying} tried and failed, a retry scheduled)"
    return f"{total} deliver{'y' if total == 1 else 'ies'}" + (f": {said}" if said else "")


def _emails() -> str:
    counts = dict(db.session.execute(select(EmailMessage.status, func.count()).group_by(EmailMessage.status)).all())
    said = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none yet"
    if current_app.config.get("SMTP_URL"):
        return f"{said} (through SMTP_URL)"
    folder = Path(current_app.config["MAIL_DIR"])
    files = len(list(folder.glob("*.eml"))) if folder.is_dir() else 0
    try:
        shown = f"{folder.resolve().relative_to(PROJECT_ROOT.resolve())}/"
    except ValueError:
        shown = str(folder)
    return f"{said}; {shown} holds {files} .eml file{'' if files == 1 else 's'}"
