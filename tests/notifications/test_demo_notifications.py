"""What `flask gpo seed-demo` shows of issue 19 (gpo/demo/notifications.py), against the
demo's own webhook receiver (scripts/webhook_receiver.py) on a loopback port of the
test: Acme's endpoint receives each of Acme's events once, signed with the secret the
seed wrote for the receiver; Bolt's endpoint, where the receiver answers 503, shows a
failed attempt per delivery and a retry scheduled; the e-mails land in MAIL_DIR, and
none of the invoices to Lakeside's admin, who turned them off; the lines printed say
where to look; a second run adds nothing, and a receiver that moved is followed."""
from sqlalchemy import func, select

from gpo.accounts.models import Organization, User, Vendor
from gpo.db import db, unit_of_work
from gpo.demo import DEMO_VENDOR_API_KEY
from gpo.demo.notifications import seed_notifications
from gpo.notifications.models import (
    EmailMessage,
    NotificationSetting,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from gpo.notifications.outbox import PUBLIC_EVENT_TYPES
from gpo.orders.models import PurchaseOrder

COUNTED = (OutboxEvent, WebhookEndpoint, WebhookDelivery, EmailMessage, NotificationSetting)


def _counts() -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def _vendor(name: str) -> Vendor:
    return db.session.scalars(select(Vendor).where(Organization.name == name)).one()


def _deliveries(endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    return db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                              .order_by(WebhookDelivery.id)).all()


def test_seed_demo_tells_acme_bolt_and_the_people_once(app, db_ctx, rq_worker, demo_receiver, tmp_path,
                                                      monkeypatch):
    mail_dir = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_DIR", str(mail_dir))
    url, receiver = demo_receiver
    runner = app.test_cli_runner()
    first = runner.invoke(args=["gpo", "seed-demo"])
    assert first.exit_code == 0, first.output

    # The two endpoints, set up by each vendor's admin for every event type; their secrets
    # are in the receiver's file (the demo only), and nowhere else on disk.
    acme_vendor, bolt_vendor = _vendor("Acme Medical Supply"), _vendor("Bolt IT Solutions")
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    assert [(e.vendor_id, e.url, e.event_types, e.enabled, e.created_by) for e in endpoints] == [
        (acme_vendor.id, f"{url}/acme", [], True, "admin@acme.example"),
        (bolt_vendor.id, f"{url}/answer/503", [], True, "admin@bolt.example")]
    acme, bolt = endpoints
    secrets_file = tmp_path / "webhook-receiver-secrets"
    assert [line for line in secrets_file.read_text().splitlines() if not line.startswith("#")] == [
        acme.secret, bolt.secret]

    # Acme: one delivery per event of Acme's, each succeeded at its first attempt, and the
    # receiver got each once, its signature valid.
    acme_events = db.session.scalars(select(OutboxEvent).where(
        OutboxEvent.vendor_id == acme_vendor.id, OutboxEvent.event_type.in_(PUBLIC_EVENT_TYPES))
        .order_by(OutboxEvent.id)).all()
    assert len(acme_events) >= 30
    acme_deliveries = _deliveries(acme)
    assert [d.event_id for d in acme_deliveries] == [e.id for e in acme_events]
    assert {(d.status, d.attempt_count, d.last_status_code) for d in acme_deliveries} == {("succeeded", 1, 204)}
    at_acme = [r for r in receiver.received if r["path"] == "/acme"]
    assert sorted(r["webhook_id"] for r in at_acme) == sorted(e.webhook_id for e in acme_events)
    assert {(r["valid"], r["signatures"], r["answered"]) for r in at_acme} == {(True, 1, 204)}
    assert {r["type"] for r in at_acme} >= {"purchase_order.created", "shipment.received", "settlement.sent",
                                            "vendor_invoice.exception", "catalog_import.completed"}

    # Bolt: each delivery tried once, answered 503, and waiting for its retry.
    bolt_deliveries = _deliveries(bolt)
    bolt_events = db.session.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.vendor_id == bolt_vendor.id))
    assert len(bolt_deliveries) == bolt_events > 0
    assert {(d.status, d.attempt_count, d.last_status_code) for d in bolt_deliveries} == {("pending", 1, 503)}
    assert all(d.next_attempt_at is not None for d in bolt_deliveries)
    attempts = db.session.scalars(select(WebhookAttempt).join(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == bolt.id)).all()
    assert [(a.status_code, a.succeeded) for a in attempts] == [(503, False)] * len(bolt_deliveries)
    at_bolt = [r for r in receiver.received if r["path"] == "/answer/503"]
    assert {(r["valid"], r["answered"]) for r in at_bolt} == {(True, 503)} and len(at_bolt) == len(bolt_deliveries)

    # E-mail: every message written to MAIL_DIR; Lakeside's admin turned invoice e-mails
    # off and got none, Riverbend's admin got theirs.
    emails = db.session.scalars(select(EmailMessage)).all()
    assert emails and {e.status for e in emails} == {"sent"}
    assert len(list(mail_dir.glob("*.eml"))) == len(emails)
    lakeside_admin = db.session.scalars(select(User).where(User.email == "admin@lakeside.example")).one()
    setting = db.session.get(NotificationSetting, (lakeside_admin.id, "invoice.issued"))
    assert setting is not None and setting.enabled is False
    invoices_told = {e.to_address for e in emails if e.kind == "invoice.issued"}
    assert "admin@lakeside.example" not in invoices_told and "admin@riverbend.example" in invoices_told
    assert {"purchase_order.created", "order.awaiting_physician", "substitution.offered"} <= {e.kind for e in emails}

    # The lines printed: what each endpoint got, where to look, the e-mails, a cXML curl that works.
    out = first.output
    assert (f"  Acme Medical Supply's endpoint {acme.id} at {url}/acme: {len(acme_deliveries)} deliveries: "
            f"{len(acme_deliveries)} succeeded\n") in out
    n = len(bolt_deliveries)
    assert (f"  Bolt IT Solutions's endpoint {bolt.id} at {url}/answer/503: {n} deliveries: {n} pending ({n} tried "
            "and failed, a retry scheduled)\n") in out
    base = app.config["PUBLIC_BASE_URL"]
    assert (f"  each delivery and its attempts: sign in as admin@acme.example or admin@bolt.example at "
            f"{base}/portal/webhooks (the MSO's admin at {base}/console/webhooks)\n") in out
    assert f"  what the receiver got, signatures checked: {url}/ (not there? make webhook-receiver)\n" in out
    assert f"  e-mails: {len(emails)} sent; {mail_dir} holds {len(emails)} .eml files\n" in out
    assert (f"E-mail settings: admin@lakeside.example turned invoice e-mails off ({base}/settings/notifications)\n"
            in out)
    po_id = db.session.scalar(select(func.max(PurchaseOrder.id)).where(PurchaseOrder.vendor_id == acme_vendor.id))
    curl = (f"  curl -H 'Authorization: Bearer {DEMO_VENDOR_API_KEY}' -H 'Accept: application/xml' "
            f"{base}/api/v1/purchase-orders/{po_id}\n")
    assert curl in out
    fetched = app.test_client().get(f"/api/v1/purchase-orders/{po_id}", headers={
        "Authorization": f"Bearer {DEMO_VENDOR_API_KEY}", "Accept": "application/xml"})
    assert fetched.status_code == 200 and fetched.mimetype == "application/xml"
    assert f'<OrderRequestHeader orderID="{po_id}"'.encode() in fetched.data

    # Again: nothing new, nothing sent twice to Acme (Bolt's deliveries may take their retry).
    counts, secrets = _counts(), secrets_file.read_text()
    again = runner.invoke(args=["gpo", "seed-demo"])
    assert again.exit_code == 0, again.output
    assert _counts() == counts
    assert secrets_file.read_text() == secrets
    assert sorted(r["webhook_id"] for r in receiver.received if r["path"] == "/acme") == sorted(
        e.webhook_id for e in acme_events)
    assert {r["webhook_id"] for r in receiver.received if r["path"] == "/answer/503"} == {
        r["webhook_id"] for r in at_bolt}

    # `make run RECEIVER_PORT=...` moves the receiver: the same endpoints follow it.
    monkeypatch.setitem(app.config, "DEMO_WEBHOOK_RECEIVER_URL", "http://127.0.0.1:9/moved")
    with unit_of_work():
        seed_notifications()
    db.session.expire_all()
    assert [(e.id, e.url) for e in db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))] == [
        (acme.id, "http://127.0.0.1:9/moved/acme"), (bolt.id, "http://127.0.0.1:9/moved/answer/503")]
    assert secrets_file.read_text() == secrets
