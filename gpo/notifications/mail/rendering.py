"""An e-mail's subject, plain text and HTML, rendered once at fan-out from the kind's
templates (templates/mail/<kind>.txt and .html, each extending _base).

E-mail templates have their own Jinja environment: they are rendered by the
dispatcher, outside any page request, so the web shell's context (the signed-in
principal, the navigation) does not apply. HTML is autoescaped (a summary or a name
with `<` in it stays text); the plain text is not escaped, since it is not HTML.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from gpo.accounts.models import DEFAULT_TIME_ZONE, Organization, Practice, User
from gpo.db import db
from gpo.notifications.mail.kinds import Kind, settings_url
from gpo.notifications.models import OutboxEvent

TEMPLATES = Path(__file__).parent / "templates" / "mail"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text_body: str
    html_body: str


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def zone_of(organization: Organization | None) -> ZoneInfo:
    """A practice's people read times in the practice's zone; others in the default."""
    if isinstance(organization, Practice):
        return ZoneInfo(organization.time_zone or DEFAULT_TIME_ZONE)
    return ZoneInfo(DEFAULT_TIME_ZONE)


def render(kind: Kind, event: OutboxEvent, user: User) -> Rendered:
    organization = db.session.get(Organization, user.organization_id)
    zone = zone_of(organization)
    subject = " ".join(kind.subject(event, zone).split())[:300]  # one line, as a header must be
    context = {
        "subject": subject,
        "recipient": user,
        "organization": organization,
        "summary": event.summary,
        "facts": kind.facts(event, zone),
        "link": kind.link(event, organization.org_type),
        "essential": kind.essential,
        "essential_reason": kind.essential_reason,
        "settings_url": settings_url(organization.org_type),
    }
    env = environment()
    return Rendered(subject=subject,
                    text_body=env.get_template(f"{kind.template}.txt").render(context),
                    html_body=env.get_template(f"{kind.template}.html").render(context))
