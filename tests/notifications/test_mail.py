"""E-mail through a real SMTP server (aiosmtpd on a loopback port): each kind reaches
exactly its recipients with a clear subject, both parts and the link to the page where
they act; a user who turned a kind off receives none of it; a dead server leaves the
message pending with its error, never blocks the use case, and the message goes once
the server is back (the clock advanced, never slept); MAIL_DIR mode writes a parseable
.eml and says so in the log."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from gpo.db import clock_shifted, db, unit_of_work, utcnow
from gpo.notifications import dispatcher, outbox
from gpo.notifications.mail import channel
from gpo.notifications.mail.sending import SmtpSettings, parse_smtp_url
from gpo.notifications.models import EmailMessage, NotificationSetting, OutboxEvent
from tests.conftest import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1:`port`: `start()`, `stop()`, and what it received."""

    port: int
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    accounts: dict[str, str] | None = None
    controller: object = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=0"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):  # noqa: N802 - aiosmtpd's hook name
                server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                                email.message_from_bytes(envelope.content, policy=email.policy.default)))
                return "250 OK"

        kwargs = {}
        if self.accounts is not None:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def _authenticate(self, smtp, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        user, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((user, password))
        return AuthResult(success=self.accounts.get(user) == password)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server the app sends to (SMTP_URL, no TLS: a local relay)."""
    server = SmtpServer(free_port())
    server.start()
    monkeypatch.setitem(app.config, "SMTP_URL", server.url)
    yield server
    server.stop()


def _emit(event_type: str, subject_type: str, subject_id: int, *, summary: str = "Something happened.", **kwargs):
    """An event as the events slice emits it (the catalogue's fields), committed."""
    with unit_of_work():
        event = outbox.emit(event_type, SimpleNamespace(id=subject_id), subject_type=subject_type, summary=summary,
                            **kwargs)
        return event.id


def _dispatch() -> dict:
    db.session.commit()  # the test's own reads end: dispatch is an edge, outside any unit of work
    result = dispatcher.dispatch()
    db.session.expire_all()
    return result


def _messages(**filters) -> list[EmailMessage]:
    return list(db.session.scalars(select(EmailMessage).filter_by(**filters).order_by(EmailMessage.id)))


def _parts(message) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP sends CRLF lines
    html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    return text, html


# --- every kind, its recipients, its subject and its link ------------------------------

def _base(app) -> str:
    return app.config["PUBLIC_BASE_URL"]


# (event type, subject type, subject id, emit kwargs (ids resolved from world), recipients, subject, link)
KINDS = [
    ("purchase_order.created", "purchase_order", 41,
     lambda w: {"vendor_id": w.vendor.id, "data": {"purchase_order_id": 41, "cycle_id": 3, "contract_id": 2,
                                                    "line_count": 3, "total_cents": 123456}},
     ["vendor_admin"], "New purchase order 41 to acknowledge", {"vendor_admin": "/portal/purchase-orders/41"}),
    ("substitution.offered", "substitution", 5,
     lambda w: {"practice_id": w.practice.id, "data": {"substitution_id": 5, "purchase_order_id": 41, "clinical": False}},
     ["practice_admin", "practice_buyer", "practice_physician"], "A substitute to approve or decline",
     {"practice_buyer": "/substitutions"}),
    ("substitution.offered", "substitution", 6,
     lambda w: {"practice_id": w.practice.id, "data": {"substitution_id": 6, "purchase_order_id": 41, "clinical": True}},
     ["practice_physician"], "A clinical substitute waits for a physician", {"practice_physician": "/substitutions"}),
    ("order.awaiting_physician", "order", 12,
     lambda w: {"practice_id": w.practice.id, "data": {"order_id": 12, "clinical_line_count": 1}},
     ["practice_physician"], "Order 12 waits for a physician's approval", {"practice_physician": "/approvals"}),
    ("shift_request.awaiting_physician", "shift_request", 8,
     lambda w: {"practice_id": w.practice.id, "data": {"shift_request_id": 8}},
     ["practice_physician"], "Shift request 8: clinical staff wait for a physician", {"practice_physician": "/staffing"}),
    ("cycle.closing_soon", "order", 12,
     lambda w: {"practice_id": w.practice.id, "data": {"order_id": 12, "cycle_id": 3, "closes_at": "2027-01-15T23:00:00+00:00",
                                                       "user_id": w.users["practice_buyer"].id}},
     ["practice_buyer"], "Submit your draft order 12: the cycle closes Jan 15, 2027, 5:00 PM CST", {"practice_buyer": "/cart"}),
    ("cycle.closing_soon", "order", 13,  # who started the draft is not known: the buyers and admins
     lambda w: {"practice_id": w.practice.id, "data": {"order_id": 13, "cycle_id": 3, "closes_at": "2027-01-15T23:00:00+00:00"}},
     ["practice_admin", "practice_buyer"], "Submit your draft order 13: the cycle closes Jan 15, 2027, 5:00 PM CST",
     {"practice_admin": "/cart"}),
    ("cycle.closing_soon", "order", 14,  # a user of another practice named: ignored, never mailed
     lambda w: {"practice_id": w.practice.id, "data": {"order_id": 14, "cycle_id": 3, "closes_at": "2027-01-15T23:00:00+00:00",
                                                       "user_id": w.users["other_practice_admin"].id}},
     ["practice_admin", "practice_buyer"], "Submit your draft order 14: the cycle closes Jan 15, 2027, 5:00 PM CST",
     {"practice_buyer": "/cart"}),
    ("invoice.issued", "invoice", 9,
     lambda w: {"practice_id": w.practice.id, "data": {"invoice_id": 9, "number": "INV-2027-000009", "total_cents": 107946,
                                                       "due_on": "2027-02-14"}},
     ["practice_admin"], "Invoice INV-2027-000009 issued: $1,079.46 due Feb 14, 2027", {"practice_admin": "/invoices/9"}),
    ("payment.failed", "invoice", 9,
     lambda w: {"practice_id": w.practice.id, "data": {"invoice_id": 9, "payment_attempt_id": 4,
                                                       "reason": "the card was declined"}},
     ["practice_admin", "mso_finance"], "Payment failed for invoice 9",
     {"practice_admin": "/invoices/9", "mso_finance": "/console/invoices/9"}),
    ("timesheet.submitted", "staff_assignment", 21,
     lambda w: {"practice_id": w.practice.id, "data": {"assignment_id": 21}},
     ["practice_admin", "practice_physician"], "A timesheet to approve (assignment 21)", {"practice_admin": "/staffing"}),
]


@pytest.mark.parametrize("event_type, subject_type, subject_id, emit, recipients, subject, links", KINDS,
                         ids=[f"{k[0]}-{k[2]}" for k in KINDS])
def test_each_kind_reaches_exactly_its_recipients_with_subject_parts_and_link(
        app, world, smtp_server, event_type, subject_type, subject_id, emit, recipients, subject, links):
    _emit(event_type, subject_type, subject_id, summary="What happened, in one sentence.", **emit(world))
    result = _dispatch()
    assert result["email"] == len(recipients)
    addresses = [world.users[name].email for name in recipients]
    assert sorted(a for r in smtp_server.received for a in r.recipients) == sorted(addresses)
    assert {r.sender for r in smtp_server.received} == {"purchasing@gpo.example"}
    essential = event_type in ("purchase_order.created", "payment.failed")
    for name, path in links.items():
        (got,) = smtp_server.to(world.users[name].email)
        message = got.message
        assert message["Subject"] == subject
        assert message["From"] == app.config["MAIL_FROM"] and message["To"] == world.users[name].email
        assert message["Message-ID"].startswith("<gpo.email.") and message["Auto-Submitted"] == "auto-generated"
        text, html = _parts(message)
        link = _base(app) + path
        assert f": {link}\n" in text and f'href="{link}"' in html
        assert "What happened, in one sentence." in text and "What happened, in one sentence." in html
        face = {"practice": "", "mso": "/console", "vendor": "/portal"}[world.users[name].organization.org_type]
        settings_link = f"{_base(app)}{face}/settings/notifications"
        assert (settings_link in text) is (not essential) and (settings_link in html) is (not essential)
        if essential:
            assert "always sent" in text
    assert [m.status for m in _messages()] == ["sent"] * len(recipients)


def test_the_facts_and_the_footer_read_as_people_read_them(app, world, smtp_server):
    _emit("purchase_order.created", "purchase_order", 41, summary="Purchase order 41: 3 lines for Acme.",
          vendor_id=world.vendor.id, data={"purchase_order_id": 41, "line_count": 3, "total_cents": 123456})
    _dispatch()
    text, html = _parts(smtp_server.received[0].message)
    assert text == (
        f"Hello {world.users['vendor_admin'].name},\n\nPurchase order 41: 3 lines for Acme.\n\n"
        "The MSO pooled its practices' orders into this purchase order. Acknowledge each line (accept, backorder, "
        "offer a substitute or reject the units you cannot ship), then ship to each location.\n\n"
        "Purchase order: 41\nLines: 3\nTotal: $1,234.56\n\n"
        f"Acknowledge the purchase order: {_base(app)}/portal/purchase-orders/41\n\n-- \n"
        "You receive this e-mail as vendor_admin@example.test at Acme. A purchase order is how the MSO orders "
        "from you: it is always sent.\n")
    assert '<th scope="row" style="text-align: left; padding: 4px 16px 4px 0; font-weight: 600;">Total</th>' \
           '<td style="padding: 4px 0;">$1,234.56</td>' in html


def test_html_is_escaped_and_the_plain_text_is_not(world, smtp_server):
    _emit("invoice.issued", "invoice", 9, summary="Invoice <b>9</b> & co", practice_id=world.practice.id,
          data={"invoice_id": 9, "number": "INV-1", "total_cents": 100, "due_on": "2027-02-14"})
    _dispatch()
    text, html = _parts(smtp_server.received[0].message)
    assert "Invoice <b>9</b> & co" in text
    assert "Invoice &lt;b&gt;9&lt;/b&gt; &amp; co" in html and "<b>9</b>" not in html


def test_other_practices_and_vendors_never_receive_what_is_not_theirs(world, smtp_server):
    _emit("payment.failed", "invoice", 9, practice_id=world.other_practice.id, data={"invoice_id": 9, "reason": "declined"})
    _emit("purchase_order.created", "purchase_order", 41, vendor_id=world.other_vendor.id, data={"purchase_order_id": 41})
    _dispatch()
    received = sorted(a for r in smtp_server.received for a in r.recipients)
    assert received == ["mso_finance@example.test", "other_practice_admin@example.test",
                        "other_vendor_admin@example.test"]


def test_an_inactive_user_is_no_recipient(world, smtp_server):
    world.users["practice_buyer"].active = False
    db.session.commit()
    _emit("substitution.offered", "substitution", 5, practice_id=world.practice.id,
          data={"substitution_id": 5, "clinical": False})
    _dispatch()
    assert sorted(a for r in smtp_server.received for a in r.recipients) == [
        "practice_admin@example.test", "practice_physician@example.test"]


def test_without_an_mso_finance_user_the_mso_admins_hear_of_a_failed_payment(world, smtp_server):
    world.users["mso_finance"].active = False
    db.session.commit()
    _emit("payment.failed", "invoice", 9, practice_id=world.practice.id, data={"invoice_id": 9, "reason": "declined"})
    _dispatch()
    assert sorted(a for r in smtp_server.received for a in r.recipients) == [
        "mso_admin@example.test", "practice_admin@example.test"]


def test_an_event_no_one_is_mailed_about_makes_no_email(world, smtp_server):
    _emit("settlement.sent", "vendor_settlement", 3, vendor_id=world.vendor.id, data={"vendor_settlement_id": 3})
    result = _dispatch()
    assert (result["fanned_out"], result["email"]) == (1, 0)
    assert smtp_server.received == []


# --- a user's choice -------------------------------------------------------------------

def _turn_off(user, kind: str) -> None:
    db.session.add(NotificationSetting(user_id=user.id, kind=kind, enabled=False))
    db.session.commit()


def test_a_user_who_turned_a_kind_off_receives_none_of_it(world, smtp_server):
    _turn_off(world.users["practice_buyer"], "substitution.offered")
    for substitution_id in (5, 6, 7):
        _emit("substitution.offered", "substitution", substitution_id, practice_id=world.practice.id,
              data={"substitution_id": substitution_id, "clinical": False})
    _dispatch()
    assert smtp_server.to("practice_buyer@example.test") == []
    assert len(smtp_server.to("practice_admin@example.test")) == 3
    assert db.session.scalar(select(func.count()).select_from(EmailMessage).where(
        EmailMessage.user_id == world.users["practice_buyer"].id)) == 0


def test_an_email_made_before_the_kind_was_turned_off_is_skipped_not_sent(world, smtp_server):
    _emit("invoice.issued", "invoice", 9, practice_id=world.practice.id, data={"invoice_id": 9})
    db.session.commit()
    dispatcher.fan_out_pending()  # the e-mail is made...
    _turn_off(world.users["practice_admin"], "invoice.issued")  # ...and the kind turned off before it goes
    assert _dispatch()["email"] == 0
    (message,) = _messages()
    assert (message.status, message.next_attempt_at, message.last_error) == (
        "skipped", None, "not sent: the user turned this kind of e-mail off before it went")
    assert smtp_server.received == []


def test_an_essential_kind_is_sent_whatever_a_stored_setting_says(world, smtp_server):
    _turn_off(world.users["vendor_admin"], "purchase_order.created")  # the API refuses it; a row cannot stop it
    _emit("purchase_order.created", "purchase_order", 41, vendor_id=world.vendor.id, data={"purchase_order_id": 41})
    _dispatch()
    assert len(smtp_server.to("vendor_admin@example.test")) == 1


# --- failures: retried, never blocking -------------------------------------------------

def test_smtp_down_leaves_the_message_pending_and_it_goes_once_the_server_is_back(app, world, monkeypatch):
    server = SmtpServer(free_port())  # nothing listens there yet
    monkeypatch.setitem(app.config, "SMTP_URL", server.url)
    event_id = _emit("invoice.issued", "invoice", 9, practice_id=world.practice.id, data={"invoice_id": 9})
    result = _dispatch()
    assert (result["fanned_out"], result["email"]) == (1, 1)
    (message,) = _messages()
    assert message.status == "pending" and message.attempt_count == 1 and message.sent_at is None
    assert message.last_error.startswith("ConnectionRefusedError")
    first_retry = message.next_attempt_at
    assert db.session.get(OutboxEvent, event_id).fanned_out_at is not None  # the use case's event stands
    assert _dispatch()["email"] == 0  # not due yet: nothing attempted
    server.start()
    try:
        with clock_shifted(dt.timedelta(seconds=61)):
            assert _dispatch()["email"] == 1
        (message,) = _messages()
        assert (message.status, message.attempt_count, message.last_error) == ("sent", 2, None)
        assert message.sent_at > first_retry - dt.timedelta(seconds=1)
        assert len(server.to("practice_admin@example.test")) == 1
        with clock_shifted(dt.timedelta(hours=1)):
            assert _dispatch()["email"] == 0  # sent once
    finally:
        server.stop()


def test_failed_sends_retry_on_the_schedule_then_fail(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}?starttls=0")
    _emit("invoice.issued", "invoice", 9, practice_id=world.practice.id, data={"invoice_id": 9})
    attempted_at = utcnow()
    _dispatch()
    waits = []
    for _ in channel.RETRY_DELAYS:
        (message,) = _messages()
        assert message.status == "pending"
        waits.append(round((message.next_attempt_at - attempted_at).total_seconds()))
        with clock_shifted(message.next_attempt_at - dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)):
            attempted_at = utcnow()
            assert dispatcher.dispatch()["email"] == 1
        db.session.expire_all()
    assert waits == [60, 300, 1800, 7200, 21600]  # 1 min, 5 min, 30 min, 2 h, 6 h
    (message,) = _messages()
    assert (message.status, message.attempt_count, message.next_attempt_at) == ("failed", 6, None)
    assert message.last_error.startswith("ConnectionRefusedError")


def test_a_dead_mail_server_never_blocks_the_use_case(app, world, monkeypatch):
    """Inline dispatch after the commit, SMTP refusing: the use case has committed and
    returns; the e-mail waits for its retry."""
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", "inline")
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}?starttls=0")
    event_id = _emit("payment.failed", "invoice", 9, practice_id=world.practice.id,
                     data={"invoice_id": 9, "reason": "declined"})
    db.session.expire_all()
    assert db.session.get(OutboxEvent, event_id).fanned_out_at is not None
    assert [(m.status, m.attempt_count) for m in _messages()] == [("pending", 1), ("pending", 1)]


def test_a_crash_after_claiming_sends_again_when_the_lease_lapses(world, smtp_server):
    _emit("invoice.issued", "invoice", 9, practice_id=world.practice.id, data={"invoice_id": 9})
    db.session.commit()
    dispatcher.fan_out_pending()
    (claimed,) = channel._claim(10)  # the dispatcher claims it, then dies before sending
    db.session.expire_all()
    assert _messages()[0].status == "sending"
    assert dispatcher.dispatch()["email"] == 0  # leased: no one else sends it meanwhile
    with clock_shifted(channel.LEASE + dt.timedelta(seconds=1)):
        assert dispatcher.dispatch()["email"] == 1
    db.session.expire_all()
    (message,) = _messages()
    assert (message.status, message.attempt_count) == ("sent", 2)
    assert smtp_server.received[0].message["Message-ID"] == (
        f"<gpo.email.{claimed.message_id}.{int(claimed.created_at.timestamp())}@gpo.example>")


def test_dispatching_twice_sends_each_email_once(world, smtp_server):
    _emit("order.awaiting_physician", "order", 12, practice_id=world.practice.id, data={"order_id": 12})
    _dispatch()
    _dispatch()
    assert len(smtp_server.received) == 1


# --- the transport ------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback test server
def test_smtp_login_with_a_user_and_password_from_the_url(app, world, monkeypatch):
    server = SmtpServer(free_port(), accounts={"relay-user": "p@ss word"})
    server.start()
    try:
        monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://relay-user:p%40ss%20word@127.0.0.1:{server.port}?starttls=0")
        _emit("invoice.issued", "invoice", 9, practice_id=world.practice.id, data={"invoice_id": 9})
        _dispatch()
        assert server.logins == [("relay-user", "p@ss word")]
        assert len(server.received) == 1
    finally:
        server.stop()


@pytest.mark.parametrize("url, expected", [
    ("smtp://user:secret@mail.example:587", SmtpSettings("mail.example", 587, "starttls", "user", "secret")),
    ("smtp://mail.example", SmtpSettings("mail.example", 587, "starttls")),
    ("smtp://127.0.0.1:25?starttls=0", SmtpSettings("127.0.0.1", 25, "none")),
    ("smtps://user:p%40ss@mail.example", SmtpSettings("mail.example", 465, "ssl", "user", "p@ss")),
    ("smtps://mail.example:2465?timeout=3", SmtpSettings("mail.example", 2465, "ssl", timeout=3.0)),
])
def test_smtp_url_forms(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_an_smtp_url_that_means_nothing_is_refused(url):
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_without_smtp_url_each_email_is_an_eml_file_in_mail_dir(app, world, monkeypatch, tmp_path, caplog):
    mail_dir = tmp_path / "mail" / "new"  # created when first needed
    monkeypatch.setitem(app.config, "SMTP_URL", "")
    monkeypatch.setitem(app.config, "MAIL_DIR", str(mail_dir))
    # the suite's in-process migration (alembic's fileConfig) disables loggers made before it
    monkeypatch.setattr(logging.getLogger("gpo.notifications.mail"), "disabled", False)
    _emit("invoice.issued", "invoice", 9, practice_id=world.practice.id,
          data={"invoice_id": 9, "number": "INV-2027-000009", "total_cents": 107946, "due_on": "2027-02-14"})
    with caplog.at_level(logging.INFO, logger="gpo.notifications.mail"):
        _dispatch()
    (path,) = mail_dir.iterdir()
    assert path.suffix == ".eml" and path.name.endswith("-invoice-issued.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "practice_admin@example.test"
    assert message["Subject"] == "Invoice INV-2027-000009 issued: $1,079.46 due Feb 14, 2027"
    text, html = _parts(message)
    assert f"{app.config['PUBLIC_BASE_URL']}/invoices/9" in text and "/invoices/9" in html
    assert f"e-mail to practice_admin@example.test written to {path}" in caplog.text
    (row,) = _messages()
    assert row.status == "sent"


def test_an_event_missing_its_ids_still_mails_a_link_to_the_list(app, world, smtp_server):
    _emit("payment.failed", "practice", world.practice.id, practice_id=world.practice.id, data={})
    _dispatch()
    by_address = {r.recipients[0]: r.message for r in smtp_server.received}
    assert by_address["practice_admin@example.test"]["Subject"] == "Payment failed for invoice"
    text, _ = _parts(by_address["practice_admin@example.test"])
    assert f": {_base(app)}/invoices\n" in text
    text, _ = _parts(by_address["mso_finance@example.test"])
    assert f": {_base(app)}/console/invoices\n" in text


def test_two_dispatchers_never_claim_the_same_email(app, world, postgresql_only):
    """FOR UPDATE SKIP LOCKED: rows another dispatcher holds are skipped, not waited for."""
    from sqlalchemy import text

    for invoice_id in (1, 2, 3):
        _emit("invoice.issued", "invoice", invoice_id, practice_id=world.practice.id, data={"invoice_id": invoice_id})
    db.session.commit()
    dispatcher.fan_out_pending()
    first, second, third = (m.id for m in _messages())
    with db.engine.connect() as other:
        with other.begin():  # the other dispatcher's claim, still open
            other.execute(text("SELECT id FROM email_messages WHERE id IN (:a, :b) FOR UPDATE"),
                          {"a": first, "b": third})
            assert [c.message_id for c in channel._claim(10)] == [second]
    db.session.expire_all()
    assert [m.status for m in _messages()] == ["pending", "sending", "pending"]
