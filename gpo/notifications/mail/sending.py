"""Sending one e-mail: through SMTP (`SMTP_URL`, the standard library's smtplib), or,
with no SMTP_URL (the embedded mode: `make run` needs no mail server), as an .eml file
in MAIL_DIR, which the log names.

SMTP_URL forms:
- `smtp://user:password@host:587`: STARTTLS (the default for smtp://), then login;
- `smtp://host:25?starttls=0`: a local relay, plain (no TLS, no login unless given);
- `smtps://user:password@host:465`: implicit TLS.
A user name or password with reserved characters is percent-encoded (`p%40ss`).

The callers (the channel's deliver_due) send outside any transaction, so a slow or
dead mail server holds no row lock and never delays a use case.
"""
from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger("gpo.notifications.mail")

DEFAULT_TIMEOUT_SECONDS = 10
# Header lines up to RFC 5322's hard limit of 998 characters, folded only beyond it: a
# subject folded at 78 next to a colon reads back with a leading space in some readers
# (Python's own among them). Body lines longer than that are sent quoted-printable.
POLICY = email.policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class Outgoing:
    """What is sent of one e-mail row (copied out of its transaction)."""

    message_id: int
    attempt: int
    kind: str
    to_address: str
    subject: str
    text_body: str
    html_body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "starttls", "ssl" (implicit TLS) or "none"
    username: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def parse_smtp_url(url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> SmtpSettings:
    """SMTP_URL as settings; ValueError for what it cannot mean."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL names no host")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "smtps":
        security = "ssl"
    else:
        security = "none" if query.get("starttls", "1").lower() in ("0", "false", "no", "off") else "starttls"
    return SmtpSettings(
        host=parts.hostname, port=parts.port or (465 if security == "ssl" else 587), security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=float(query.get("timeout", timeout)),
    )


def build_message(outgoing: Outgoing, mail_from: str) -> EmailMessage:
    """multipart/alternative: the plain text first, the HTML preferred by readers that
    show it. The Message-ID is the same on every retry of one e-mail row."""
    domain = email.utils.parseaddr(mail_from)[1].rpartition("@")[2] or "gpo.invalid"
    message = EmailMessage(policy=POLICY)
    message["From"] = mail_from
    message["To"] = outgoing.to_address
    message["Subject"] = outgoing.subject
    message["Date"] = email.utils.format_datetime(dt.datetime.now(dt.timezone.utc))
    message["Message-ID"] = f"<gpo.email.{outgoing.message_id}.{int(outgoing.created_at.timestamp())}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to us
    message["X-Gpo-Notification"] = outgoing.kind
    message.set_content(outgoing.text_body)
    message.add_alternative(outgoing.html_body, subtype="html")
    return message


class SmtpMailer:
    """One SMTP connection for a batch, opened at the first message. When connecting
    fails, the rest of the batch fails with the same error at once (a dead server is
    not asked again for each message)."""

    def __init__(self, settings: SmtpSettings, mail_from: str):
        self.settings, self.mail_from = settings, mail_from
        self.connection: smtplib.SMTP | None = None
        self.unreachable: Exception | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if s.username:
            connection.login(s.username, s.password or "")
        return connection

    def _close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def send(self, outgoing: Outgoing) -> None:
        if self.unreachable is not None:
            raise self.unreachable
        if self.connection is None:
            try:
                self.connection = self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                self.unreachable = exc
                raise
        try:
            self.connection.send_message(build_message(outgoing, self.mail_from))
        except (smtplib.SMTPServerDisconnected, OSError):
            self.connection = None  # the next message reconnects
            raise


class DirectoryMailer:
    """The embedded mode: each e-mail becomes `<MAIL_DIR>/<when>-<id>-<kind>.eml`, the
    same name on a retry, written whole or not at all (a temporary file renamed)."""

    def __init__(self, directory: str, mail_from: str, shown_from: Path | None = None):
        self.directory, self.mail_from, self.shown_from = Path(directory), mail_from, shown_from

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def send(self, outgoing: Outgoing) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = (f"{outgoing.created_at:%Y%m%d-%H%M%S}-{outgoing.message_id}-"
                f"{outgoing.kind.replace('.', '-').replace('_', '-')}.eml")
        target = self.directory / name
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(build_message(outgoing, self.mail_from).as_bytes())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        log.info("e-mail to %s written to %s", outgoing.to_address, self._shown(target))

    def _shown(self, path: Path) -> str:
        """The path as the log shows it: from the project's folder when inside it
        (instance/mail/...), absolute otherwise."""
        if self.shown_from is not None:
            try:
                return str(path.resolve().relative_to(self.shown_from.resolve()))
            except ValueError:
                pass
        return str(path)


def mailer_for(config) -> SmtpMailer | DirectoryMailer:
    """The mailer the settings ask for (read at each batch, so a test may change them)."""
    from gpo.config import PROJECT_ROOT

    mail_from = config["MAIL_FROM"]
    if config.get("SMTP_URL"):
        timeout = float(config.get("SMTP_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
        return SmtpMailer(parse_smtp_url(config["SMTP_URL"], timeout), mail_from)
    return DirectoryMailer(config["MAIL_DIR"], mail_from, shown_from=PROJECT_ROOT)
