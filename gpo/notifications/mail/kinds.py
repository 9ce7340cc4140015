"""The kinds of e-mail gpo sends people (DOMAIN.md "Telling people and systems"), one
registry: for each, the outbox event it comes from, who receives it, whether it is
essential (always sent) or may be turned off in the person's settings, its templates,
its subject and facts, and the link to the page where the person acts.

A kind is named after its event type, so a user's setting, an e-mail row and the event
read alike. Links are absolute, built from the app's own URL map (the same routes the
pages answer) and PUBLIC_BASE_URL, since an e-mail is read outside the app.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable
from zoneinfo import ZoneInfo

from flask import current_app

from gpo.accounts.models import User
from gpo.auth import policy
from gpo.money import format_dollars
from gpo.notifications.mail import recipients
from gpo.notifications.models import OutboxEvent

# The face each kind of organization signs in to, and its settings page (pages.py).
FACE_OF = {"practice": "storefront", "mso": "console", "vendor": "portal"}
SETTINGS_ENDPOINT = {"storefront": "notification_pages.settings", "console": "notification_console.settings",
                     "portal": "notification_portal.settings"}

Facts = list[tuple[str, str]]


@dataclass(frozen=True)
class Kind:
    name: str  # what a user turns off; the event type it comes from
    label: str  # its name on the settings page: "Invoices issued"
    description: str  # one line on the settings page
    essential: bool  # always sent, whatever the settings
    audience: dict[str, frozenset[str]]  # org type -> the roles that may receive it
    recipients: Callable[[OutboxEvent], list[User]]
    link: Callable[[OutboxEvent, str], str]  # (event, the recipient's org type) -> absolute URL
    subject: Callable[[OutboxEvent, ZoneInfo], str]
    facts: Callable[[OutboxEvent, ZoneInfo], Facts]
    essential_reason: str = ""

    @property
    def event_type(self) -> str:
        return self.name

    @property
    def template(self) -> str:
        """mail/<template>.txt and .html (templates/mail/)."""
        return self.name.replace(".", "_")

    def may_receive(self, org_type: str, roles) -> bool:
        return bool(self.audience.get(org_type, frozenset()) & frozenset(roles))


def public_url(endpoint: str, **values) -> str:
    """The absolute address of a page, as PUBLIC_BASE_URL serves it (no request needed)."""
    path = current_app.url_map.bind("gpo.invalid").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def settings_url(org_type: str) -> str:
    return public_url(SETTINGS_ENDPOINT[FACE_OF[org_type]])


# --- facts as people read them --------------------------------------------------------


def _data(event: OutboxEvent, key: str, default=None):
    return (event.data or {}).get(key, default)


def _id_of(event: OutboxEvent, key: str, *subject_types: str) -> int | None:
    """An id from the event's data, or its subject's when the subject is that noun."""
    value = _data(event, key)
    if value is None and event.subject_type in subject_types:
        value = event.subject_id
    return value


def _moment(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def local_time(value, zone: ZoneInfo) -> str:
    """An ISO instant in the reader's zone: "Dec 1, 2026, 5:00 PM CST"."""
    moment = _moment(value)
    if moment is None:
        return str(value)
    local = moment.astimezone(zone)
    return f"{local:%b} {local.day}, {local.year}, {local:%I:%M %p}".replace(" 0", " ") + f" {local.tzname()}"


def local_date(value) -> str:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day:%b} {day.day}, {day.year}"


def _facts(*pairs) -> Facts:
    """The pairs whose value is known."""
    return [(label, str(value)) for label, value in pairs if value not in (None, "")]


def _money(cents) -> str | None:
    return format_dollars(int(cents)) if isinstance(cents, int) else None


# --- the kinds ------------------------------------------------------------------------


def _po_number(event: OutboxEvent) -> str:
    """Its number (or id); "" when the event does not say (a subject then reads without it)."""
    return str(_data(event, "number") or _id_of(event, "purchase_order_id", "purchase_order") or "")


def _invoice_number(event: OutboxEvent) -> str:
    return str(_data(event, "number") or _data(event, "invoice_number") or _id_of(event, "invoice_id", "invoice") or "")


def _one_or_all(endpoint: str, all_endpoint: str, key: str, ident) -> str:
    """The page of one object, or the list it is on when the event did not name it."""
    return public_url(endpoint, **{key: ident}) if isinstance(ident, int) else public_url(all_endpoint)


def _invoice_link(event: OutboxEvent, org_type: str) -> str:
    invoice_id = _id_of(event, "invoice_id", "invoice")
    if org_type == "mso":
        return _one_or_all("invoice_console.invoice", "invoice_console.invoice_list", "invoice_id", invoice_id)
    return _one_or_all("billing_pages.invoice_detail", "billing_pages.invoice_list", "invoice_id", invoice_id)


def _closing_soon_recipients(event: OutboxEvent) -> list[User]:
    """Whoever started the draft; without one known, the practice's buyers and admins."""
    user = recipients.named_user_of_practice(event)
    return [user] if user else recipients.of_practice(event, {"practice_buyer", "practice_admin"})


def _substitution_deciders(event: OutboxEvent) -> list[User]:
    """Who may decide it: a physician alone when either product is clinical (CPOM)."""
    roles = {"practice_physician"} if _data(event, "clinical") else policy.ACTIONS["substitution.decide"]
    return recipients.of_practice(event, roles)


PRACTICE_ADMINS = frozenset({"practice_admin"})
PHYSICIANS = frozenset(policy.ACTIONS["order.approve"])

KINDS: tuple[Kind, ...] = (
    Kind(
        name="purchase_order.created",
        label="New purchase orders",
        description="A new purchase order for your company to acknowledge and ship.",
        essential=True,
        essential_reason="A purchase order is how the MSO orders from you: it is always sent.",
        audience={"vendor": frozenset({"vendor_admin"})},
        recipients=lambda event: recipients.of_vendor(event, {"vendor_admin"}),
        link=lambda event, _: _one_or_all("po_portal.purchase_order", "po_portal.purchase_orders", "purchase_order_id",
                                          _id_of(event, "purchase_order_id", "purchase_order")),
        subject=lambda event, _: f"New purchase order {_po_number(event)} to acknowledge",
        facts=lambda event, _: _facts(("Purchase order", _po_number(event)), ("Lines", _data(event, "line_count")),
                                      ("Total", _money(_data(event, "total_cents")))),
    ),
    Kind(
        name="substitution.offered",
        label="Substitutes to decide",
        description="A vendor offers a substitute for units your practice ordered: approve or decline it.",
        essential=False,
        audience={"practice": frozenset(policy.ACTIONS["substitution.decide"])},
        recipients=_substitution_deciders,
        link=lambda event, _: public_url("substitution_pages.substitutions"),
        subject=lambda event, _: ("A clinical substitute waits for a physician" if _data(event, "clinical")
                                  else "A substitute to approve or decline"),
        facts=lambda event, _: _facts(("Substitution", _id_of(event, "substitution_id", "substitution")),
                                      ("Purchase order", _data(event, "purchase_order_id")),
                                      ("Clinical", "yes: a physician of the practice decides (CPOM)"
                                       if _data(event, "clinical") else None)),
    ),
    Kind(
        name="order.awaiting_physician",
        label="Orders waiting for a physician",
        description="An order's clinical lines wait for a physician's approval.",
        essential=False,
        audience={"practice": PHYSICIANS},
        recipients=lambda event: recipients.of_practice(event, PHYSICIANS),
        link=lambda event, _: public_url("order_pages.approvals"),
        subject=lambda event, _: f"Order {_id_of(event, 'order_id', 'order')} waits for a physician's approval",
        facts=lambda event, _: _facts(("Order", _id_of(event, "order_id", "order")),
                                      ("Clinical lines", _data(event, "clinical_line_count"))),
    ),
    Kind(
        name="shift_request.awaiting_physician",
        label="Clinical staff waiting for a physician",
        description="Clinical staff booked for your practice wait for a physician to accept them.",
        essential=False,
        audience={"practice": PHYSICIANS},
        recipients=lambda event: recipients.of_practice(event, PHYSICIANS),
        link=lambda event, _: public_url("staffing_pages.staffing"),
        subject=lambda event, _: (f"Shift request {_id_of(event, 'shift_request_id', 'shift_request')}: "
                                  "clinical staff wait for a physician"),
        facts=lambda event, _: _facts(("Shift request", _id_of(event, "shift_request_id", "shift_request"))),
    ),
    Kind(
        name="cycle.closing_soon",
        label="Draft orders when the cycle closes soon",
        description="Your draft order is not submitted and its purchasing cycle closes within 24 hours.",
        essential=False,
        audience={"practice": frozenset(policy.PRACTICE_ANY)},
        recipients=_closing_soon_recipients,
        link=lambda event, _: public_url("cart.view"),
        subject=lambda event, zone: (f"Submit your draft order {_id_of(event, 'order_id', 'order')}: the cycle "
                                     f"closes {local_time(_data(event, 'closes_at'), zone)}"),
        facts=lambda event, zone: _facts(("Order", _id_of(event, "order_id", "order")),
                                         ("Cycle closes", local_time(_data(event, "closes_at"), zone)
                                          if _data(event, "closes_at") else None)),
    ),
    Kind(
        name="invoice.issued",
        label="Invoices issued",
        description="An invoice to your practice is issued.",
        essential=False,
        audience={"practice": PRACTICE_ADMINS},
        recipients=lambda event: recipients.of_practice(event, PRACTICE_ADMINS),
        link=_invoice_link,
        subject=lambda event, _: (f"Invoice {_invoice_number(event)} issued: "
                                  f"{_money(_data(event, 'total_cents')) or 'see the amount'}"
                                  + (f" due {local_date(_data(event, 'due_on'))}" if _data(event, "due_on") else "")),
        facts=lambda event, _: _facts(("Invoice", _invoice_number(event)), ("Total", _money(_data(event, "total_cents"))),
                                      ("Due", local_date(_data(event, "due_on")) if _data(event, "due_on") else None)),
    ),
    Kind(
        name="payment.failed",
        label="Failed payments",
        description="A payment of an invoice failed.",
        essential=True,
        essential_reason="A failed payment needs someone to act before the invoice is overdue: it is always sent.",
        audience={"practice": PRACTICE_ADMINS, "mso": recipients.MSO_FINANCE | recipients.MSO_FINANCE_FALLBACK},
        recipients=lambda event: recipients.of_practice(event, PRACTICE_ADMINS) + recipients.mso_finance(),
        link=_invoice_link,
        subject=lambda event, _: f"Payment failed for invoice {_invoice_number(event)}",
        facts=lambda event, _: _facts(("Invoice", _invoice_number(event)), ("Why", _data(event, "reason"))),
    ),
    Kind(
        name="timesheet.submitted",
        label="Timesheets to approve",
        description="A timesheet of shared staff who worked at your practice waits for approval.",
        essential=False,
        audience={"practice": frozenset(policy.ACTIONS["timesheet.approve"])},
        recipients=lambda event: recipients.of_practice(event, policy.ACTIONS["timesheet.approve"]),
        link=lambda event, _: public_url("staffing_pages.staffing"),
        subject=lambda event, _: (f"A timesheet to approve (assignment "
                                  f"{_id_of(event, 'assignment_id', 'staff_assignment', 'assignment')})"),
        facts=lambda event, _: _facts(("Assignment", _id_of(event, "assignment_id", "staff_assignment", "assignment"))),
    ),
)

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}


def for_event(event_type: str) -> Kind | None:
    return BY_NAME.get(event_type)


def kinds_for(org_type: str, roles) -> list[Kind]:
    """The kinds a user of `org_type` with `roles` could receive, in the registry's order."""
    return [kind for kind in KINDS if kind.may_receive(org_type, roles)]
