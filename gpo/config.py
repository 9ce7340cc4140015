"""Settings, read from the environment once, with defaults for the embedded mode.

Every variable is listed in README.md ("Production configuration").
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# The embedded default's secrets: fine on a laptop, refused in production, warned
# about anywhere else (they are published in this repository).
DEFAULT_SECRET_KEY = "embedded-default-secret-change-me"
DEFAULT_WEBHOOK_SECRET = "whsec_localstripe"

log = logging.getLogger("gpo.config")


class ConfigError(RuntimeError):
    """The configuration cannot run (for example production with the default secret)."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def _flag(name: str) -> bool | None:
    raw = os.environ.get(name)
    return None if raw in (None, "") else raw.strip().lower() in ("1", "true", "yes", "on")


def from_environment() -> dict:
    """The app's configuration from environment variables."""
    env = os.environ.get("GPO_ENV", "development")
    allow_private = _flag("WEBHOOK_ALLOW_PRIVATE_URLS")
    return {
        "GPO_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'gpo.sqlite3'}"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RQ_QUEUE": os.environ.get("RQ_QUEUE", "gpo"),
        "ACCESS_TOKEN_TTL_SECONDS": _int("ACCESS_TOKEN_TTL_SECONDS", 900),
        "MAX_CONTENT_LENGTH": _int("MAX_BODY_BYTES", 20 * 1024 * 1024),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        "LOGIN_THROTTLE_WINDOW_SECONDS": _int("LOGIN_THROTTLE_WINDOW_SECONDS", 900),
        # Web pages: a browser session lasts at most this long after signing in, and
        # ends after this many minutes without a page.
        "WEB_SESSION_HOURS": _int("WEB_SESSION_HOURS", 12),
        "WEB_SESSION_IDLE_MINUTES": _int("WEB_SESSION_IDLE_MINUTES", 60),
        # Stripe.js for card entry on the billing page: localstripe's stand-in in the
        # embedded mode and tests, https://js.stripe.com/v3/ in production.
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe"),
        "JOB_MAX_ATTEMPTS": _int("JOB_MAX_ATTEMPTS", 3),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "STRIPE_API_KEY": os.environ.get("STRIPE_API_KEY", "sk_test_localstripe"),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:8420"),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET),
        # Invoices are due this many days after they are issued (net 30).
        "INVOICE_NET_DAYS": _int("INVOICE_NET_DAYS", 30),
        # ASC 842's bright lines for classifying a lease (DOMAIN.md "Equipment and space leasing")
        "LEASE_TERM_TEST_PERCENT": _int("LEASE_TERM_TEST_PERCENT", 75),
        "LEASE_PRESENT_VALUE_TEST_PERCENT": _int("LEASE_PRESENT_VALUE_TEST_PERCENT", 90),
        # The three-way match: cents a vendor's invoice line may exceed the contract price
        # before it is a price exception (DOMAIN.md "After the close").
        "MATCH_TOLERANCE_CENTS": _int("MATCH_TOLERANCE_CENTS", 0),
        # Hours after a failed payment attempt before the next one (attempt 2, attempt 3).
        "PAYMENT_RETRY_HOURS": [int(h) for h in os.environ.get("PAYMENT_RETRY_HOURS", "24,72").split(",")],
        # The shared staffing pool: the zone its weekly availability and months are in,
        # and the premium on shifts requested less than 48 hours ahead.
        "STAFFING_TIMEZONE": os.environ.get("STAFFING_TIMEZONE", "America/Chicago"),
        "STAFFING_SHORT_NOTICE_PREMIUM_PERCENT": os.environ.get("STAFFING_SHORT_NOTICE_PREMIUM_PERCENT", "25"),
        # Telling people and systems (DOMAIN.md): e-mail through SMTP_URL
        # (smtp://user:password@host:587 with STARTTLS, smtps://host:465, smtp://host:25
        # with ?starttls=0 for a local relay); empty: each message is written to MAIL_DIR.
        "SMTP_URL": os.environ.get("SMTP_URL", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Summit MSO purchasing <purchasing@gpo.example>"),
        "MAIL_DIR": os.environ.get("MAIL_DIR", str(INSTANCE_DIR / "mail")),
        # Where people reach the web app: the links in e-mails start with it.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Vendor webhook endpoints must be https and public (no loopback, private,
        # link-local or metadata addresses) unless this is on: on by default outside
        # production, for local receivers in development and tests.
        "WEBHOOK_ALLOW_PRIVATE_URLS": allow_private if allow_private is not None else env != "production",
        "WEBHOOK_TIMEOUT_SECONDS": _int("WEBHOOK_TIMEOUT_SECONDS", 10),
        # When the outbox is dispatched after a commit: "inline" (in the process, the
        # embedded default), "queue" (an RQ job, the default with REDIS_URL) or "manual"
        # (only by `flask gpo tick`). Empty: inline without REDIS_URL, queue with it.
        "OUTBOX_DISPATCH": os.environ.get("OUTBOX_DISPATCH", ""),
        # The demo only (gpo/demo/notifications.py): the webhook receiver that `make run`
        # starts beside the app (scripts/webhook_receiver.py; the Makefile passes
        # RECEIVER_PORT), where seed-demo points Acme's and Bolt's endpoints, and the file
        # it writes their secrets to, which the receiver reads to check the signatures.
        "DEMO_WEBHOOK_RECEIVER_URL": os.environ.get("DEMO_WEBHOOK_RECEIVER_URL", "http://127.0.0.1:8430").rstrip("/"),
        "DEMO_WEBHOOK_RECEIVER_SECRETS": os.environ.get("DEMO_WEBHOOK_RECEIVER_SECRETS",
                                                        str(INSTANCE_DIR / "webhook-receiver-secrets")),
    }


def check(config: dict) -> None:
    """Refuse settings that must never reach production."""
    from decimal import Decimal, InvalidOperation
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = config.get("STAFFING_TIMEZONE", "America/Chicago")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"STAFFING_TIMEZONE {zone!r} is not a time zone") from exc
    try:
        premium = Decimal(str(config.get("STAFFING_SHORT_NOTICE_PREMIUM_PERCENT", "25")))
    except InvalidOperation as exc:
        raise ConfigError("STAFFING_SHORT_NOTICE_PREMIUM_PERCENT must be a number, e.g. 25") from exc
    if not premium.is_finite() or not 0 <= premium <= 1000:
        raise ConfigError("STAFFING_SHORT_NOTICE_PREMIUM_PERCENT must be between 0 and 1000")
    if config.get("GPO_ENV") == "production":
        secret = config.get("SECRET_KEY") or ""
        if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
            raise ConfigError(
                "GPO_ENV=production needs SECRET_KEY set to a random value of 32+ characters"
            )
        if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            raise ConfigError("GPO_ENV=production needs DATABASE_URL pointing at PostgreSQL")
        if config["STRIPE_WEBHOOK_SECRET"] == DEFAULT_WEBHOOK_SECRET or config["STRIPE_API_KEY"] == "sk_test_localstripe":
            raise ConfigError("GPO_ENV=production needs STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET from Stripe "
                              "(and STRIPE_API_BASE empty)")
        if not config.get("SMTP_URL"):
            raise ConfigError("GPO_ENV=production needs SMTP_URL (e-mail would only be written to MAIL_DIR)")
        if not str(config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
            raise ConfigError("GPO_ENV=production needs PUBLIC_BASE_URL, the https address of the web app "
                              "(the links in e-mails)")
        if config.get("WEBHOOK_ALLOW_PRIVATE_URLS"):
            raise ConfigError("GPO_ENV=production refuses WEBHOOK_ALLOW_PRIVATE_URLS: vendors' webhook URLs "
                              "could reach loopback, the private network and the cloud metadata service")
    if config.get("OUTBOX_DISPATCH", "") not in ("", "inline", "queue", "manual"):
        raise ConfigError("OUTBOX_DISPATCH must be inline, queue, manual or empty")


def warn_about_published_defaults(config: dict) -> list[str]:
    """Outside GPO_ENV=production (a plain `gunicorn wsgi:app`, say) the app starts
    with the published default secrets; say so loudly at start-up. Returns the names."""
    published = [name for name, default in (("SECRET_KEY", DEFAULT_SECRET_KEY),
                                            ("STRIPE_WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET))
                 if config.get(name) == default]
    if published:
        log.warning(
            "INSECURE: %s %s the published default from gpo/config.py: anyone can forge %s. "
            "Fine on a laptop; anywhere else set %s (and GPO_ENV=production, which refuses the defaults).",
            " and ".join(published), "is" if len(published) == 1 else "are",
            " and ".join({"SECRET_KEY": "access tokens", "STRIPE_WEBHOOK_SECRET": "Stripe webhooks (payments)"}[n]
                         for n in published),
            " and ".join(published))
    return published
