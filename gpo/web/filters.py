"""What templates share: money as dollars with cents, dates in the practice's time
zone, statuses in words, and the signed-in principal with its navigation."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, g, request
from sqlalchemy.exc import SQLAlchemyError

from gpo.accounts.models import DEFAULT_TIME_ZONE, Organization, Practice
from gpo.db import db
from gpo.money import dollars_typed, format_dollars
from gpo.web.shell import nav_for, signed_in, words_for


def time_zone() -> ZoneInfo:
    """The zone this page shows times in: the signed-in practice's own; the default
    zone for MSO staff and vendors. Read once per request."""
    if "time_zone" not in g:
        principal = signed_in()
        name = DEFAULT_TIME_ZONE
        if principal is not None and principal.org_type == "practice":
            practice = db.session.get(Practice, principal.organization_id)
            name = practice.time_zone if practice is not None else DEFAULT_TIME_ZONE
        g.time_zone = ZoneInfo(name)
    return g.time_zone


class NoSuchLocalTime(ValueError):
    """A wall-clock time the zone skips (spring forward) or repeats (fall back)."""


def local_to_utc(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A naive wall-clock time in `zone` as an aware UTC instant. A time that does not
    exist there (02:30 on the night clocks spring forward) or exists twice (01:30 on
    the night they fall back) raises NoSuchLocalTime: a page asks again rather than
    guess an hour."""
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    utc = first.astimezone(dt.timezone.utc)
    if first.utcoffset() == second.utcoffset():
        return utc
    if utc.astimezone(zone).replace(tzinfo=None) == moment:
        raise NoSuchLocalTime(f"{moment:%b %d, %I:%M %p} happens twice in {zone.key} (clocks go back): "
                              "choose another time")
    raise NoSuchLocalTime(f"{moment:%b %d, %I:%M %p} does not exist in {zone.key} (clocks go forward): "
                          "choose another time")


def dollars(cents) -> str:
    """12345 -> "$123.45"; None -> "" (a money field not known yet)."""
    return "" if cents is None else format_dollars(int(cents))


def unit_price(value) -> str:
    """A unit price (Decimal, 4 places) as dollars: "$17.4913" keeps its precision,
    "$12.50" when it has none beyond cents."""
    if value is None:
        return ""
    value = Decimal(value)
    quantized = value.quantize(Decimal("0.01"))
    shown = quantized if quantized == value else value.normalize()
    sign = "-" if shown < 0 else ""
    return f"{sign}${abs(shown):,}"


def local_datetime(value: dt.datetime | None, with_zone: bool = True) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(time_zone())
    text = f"{local:%b} {local.day}, {local.year}, {local:%I:%M %p}".replace(" 0", " ")
    return f"{text} {local.tzname()}" if with_zone else text


def local_date(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # an ISO date as typed (a form shown again)
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(time_zone()).date()
    return f"{value:%b} {value.day}, {value.year}"


def month_name(value: str | None) -> str:
    """"2026-08" -> "Aug 2026" (a month as the reports key it)."""
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(f"{value}-01").strftime("%b %Y")
    except ValueError:
        return value


def local_input_as_utc(local: str | None) -> str | None:
    """A `datetime-local` form value ("2027-01-12T08:00") in the page's zone as the ISO
    8601 UTC instant the API's schemas read; anything else is left for the schema to
    refuse at the field. A wall-clock time DST skips or repeats raises NoSuchLocalTime."""
    if not local:
        return local
    try:
        moment = dt.datetime.fromisoformat(local)
    except ValueError:
        return local
    if moment.tzinfo is None:
        moment = local_to_utc(moment, time_zone())
    return moment.astimezone(dt.timezone.utc).isoformat()


def percent(value) -> str:
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}%"


def _organization(principal):
    """The signed-in user's organization, for the header (usually in the session's
    identity map already: the principal was read with it). A page shown after a failed
    flush must still render: then no name rather than a second error."""
    if principal is None:
        return None
    try:
        return db.session.get(Organization, principal.organization_id)
    except SQLAlchemyError:
        return None


def current_nav_endpoint(nav) -> str | None:
    """The navigation item this page belongs to: its own endpoint, or else the one item
    of the page's blueprint (a sub-page of "Rebates & fees" marks "Rebates & fees")."""
    if any(item.endpoint == request.endpoint for item in nav):
        return request.endpoint
    same = [item.endpoint for item in nav if request.blueprint and item.endpoint.split(".")[0] == request.blueprint]
    return same[0] if len(same) == 1 else request.endpoint


def init_app(app: Flask) -> None:
    app.add_template_filter(dollars)
    app.add_template_filter(dollars_typed)  # a money field's value: 250000 -> "2500.00"
    app.add_template_filter(unit_price)
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_filter(percent)
    app.add_template_filter(month_name)
    app.add_template_filter(lambda value, kind: words_for(kind, value), "words")

    @app.context_processor
    def _shell_context():
        principal = signed_in()
        organization = _organization(principal)
        nav = nav_for(principal, organization) if principal else []
        return {
            "principal": principal,
            "organization": organization,
            "nav": nav,
            "current_endpoint": request.endpoint,
            "current_nav": current_nav_endpoint(nav),
        }
