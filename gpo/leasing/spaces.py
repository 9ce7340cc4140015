"""Shared space (DOMAIN.md "Equipment and space leasing"): suites the MSO rents and
sublets by square feet, the practices' occupancies, and each month's rent split by
square-foot-days with the vacancy as the MSO's own, unbilled share. MSO finance
creates suites and occupancies; a practice sees the suites it occupies (or occupied),
its own occupancies and share, never another practice's."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import select

from gpo import audit
from gpo.accounts.models import Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.invoices import draft_invoice, today
from gpo.billing.models import Invoice
from gpo.billing.rules import month_bounds
from gpo.db import Paged, db, lock_row, paged
from gpo.errors import Conflict, Invalid
from gpo.leasing import rules
from gpo.leasing.models import Occupancy, Space
from gpo.money import allocate


class NewSpace(TypedDict):
    """A suite as SpaceCreateSchema loads it."""

    name: str
    address: str
    square_feet: int
    base_rent_cents: int
    escalation_percent: Decimal | None
    starts_on: dt.date


class NewOccupancy(TypedDict):
    """A practice's square feet in a suite (OccupancyInSchema)."""

    practice_id: int
    square_feet: int
    starts_on: dt.date
    ends_on: dt.date | None


# --- who sees what ------------------------------------------------------------------------


def space_visible(principal: Principal, space: Space) -> bool:
    """MSO staff see every suite; a practice the suites it occupies or occupied."""
    return principal.is_mso or any(o.practice_id == principal.organization_id for o in space.occupancies)


def _sees_everyone(principal: Principal) -> bool:
    return principal.is_mso


# --- the month's split --------------------------------------------------------------------


@dataclass
class Share:
    """A practice's part of a suite's month: the most square feet it held on a day, the
    days it held any, its square-foot-days and share of the rent."""

    practice_id: int
    practice_name: str
    square_feet: int
    days: int
    square_foot_days: int
    share_cents: int
    invoice_id: int | None = None
    invoice_number: str | None = None  # None: not billed yet, or a draft not numbered yet
    parts: list[tuple[Occupancy, int]] = field(default_factory=list)  # (occupancy, its days)


@dataclass
class Split:
    month: str
    rent_cents: int
    square_feet: int
    days_in_month: int
    shares: list[Share]
    vacant_square_foot_days: int
    vacant_share_cents: int

    @property
    def billed_cents(self) -> int:
        return sum(share.share_cents for share in self.shares)


def month_name(month: str) -> str:
    """ "2027-01" -> "January 2027" (what pages and invoice lines say)."""
    return dt.date(int(month[:4]), int(month[5:7]), 1).strftime("%B %Y")


def _day(day: dt.date) -> str:
    """A date as the pages say it ("Nov 1, 2024"), for messages shown to users."""
    return f"{day:%b} {day.day}, {day.year}"


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    return month_bounds(f"{day:%Y-%m}")


def days_within(occupancy: Occupancy, start: dt.date, end: dt.date) -> int:
    """The days of [start, end] the occupancy holds (its ends_on is its last day)."""
    first = max(occupancy.starts_on, start)
    last = min(occupancy.ends_on or end, end)
    return max((last - first).days + 1, 0)


def practice_names(practice_ids) -> dict[int, str]:
    ids = sorted(set(practice_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(Practice.id, Practice.name).where(Practice.id.in_(ids))).all())


def month_split(space: Space, start: dt.date, occupancies: list[Occupancy] | None = None,
                names: dict[int, str] | None = None) -> Split:
    """The month's rent (escalated on each anniversary of the suite's start) split by
    square-foot-days with `allocate`: a practice moving in mid-month pays for its days;
    the vacancy (key 0) is the MSO's own share."""
    start, end = month_of(start)
    days_in_month = (end - start).days + 1
    rent = rules.space_rent_cents(space.base_rent_cents, space.escalation_percent, space.starts_on, start)
    by_practice: dict[int, list[tuple[Occupancy, int]]] = {}
    for occupancy in occupancies if occupancies is not None else space.occupancies:
        days = days_within(occupancy, start, end)
        if days:
            by_practice.setdefault(occupancy.practice_id, []).append((occupancy, days))
    weights = {pid: sum(o.square_feet * days for o, days in parts) for pid, parts in by_practice.items()}
    parts_of = rules.split_space_rent(rent, space.square_feet, weights, days_in_month)
    names = names if names is not None else practice_names(by_practice)
    shares = []
    for pid in sorted(by_practice):
        parts = by_practice[pid]  # one practice's occupancies never overlap: their days add up
        shares.append(Share(pid, names.get(pid, f"Practice {pid}"), max(o.square_feet for o, _ in parts),
                            sum(days for _, days in parts), weights[pid], parts_of[pid], parts=parts))
    vacant = space.square_feet * days_in_month - sum(weights.values())
    return Split(f"{start:%Y-%m}", rent, space.square_feet, days_in_month, shares, vacant, parts_of[0])


def source_key(space_id: int, month: str, practice_id: int) -> str:
    return f"lease-run:space:{space_id}:{month}:practice:{practice_id}"


def _with_invoices(splits: list[tuple[Space, Split]]) -> None:
    """Each share with the invoice the lease run drafted for it, if any, and its number
    (one query)."""
    keys = {source_key(space.id, split.month, s.practice_id): s for space, split in splits for s in split.shares}
    if keys:
        for key, invoice_id, number in db.session.execute(
                select(Invoice.source_key, Invoice.id, Invoice.number).where(Invoice.source_key.in_(keys))).all():
            keys[key].invoice_id, keys[key].invoice_number = invoice_id, number


# --- suites --------------------------------------------------------------------------------


def create_space(principal: Principal, data: NewSpace) -> Space:
    policy.authorize(principal, "space.manage")
    space = Space(name=data["name"], address=data.get("address") or "", square_feet=data["square_feet"],
                  base_rent_cents=data["base_rent_cents"],
                  escalation_percent=data.get("escalation_percent") or Decimal(0),
                  starts_on=data["starts_on"], created_by=principal.label)
    db.session.add(space)
    db.session.flush()
    audit.record(principal, "space.create", space, details={
        "name": space.name, "square_feet": space.square_feet, "base_rent_cents": space.base_rent_cents,
        "escalation_percent": str(space.escalation_percent), "starts_on": str(space.starts_on)})
    db.session.flush()
    return space


def list_spaces(principal: Principal, page: int, page_size: int) -> Paged:
    """Every suite for MSO staff; a practice's: those it occupies or occupied."""
    policy.authorize(principal, "space.read")
    stmt = select(Space)
    if not principal.is_mso:
        stmt = stmt.where(Space.id.in_(select(Occupancy.space_id).where(
            Occupancy.practice_id == principal.organization_id)))
    return paged(stmt.order_by(Space.name, Space.id), page, page_size)


def get_space(principal: Principal, space_id: int) -> Space:
    return policy.load(principal, Space, space_id, "space.read")


def space_row(principal: Principal, space: Space, on: dt.date | None = None) -> dict:
    """A suite's facts and the month's rent (a list's row)."""
    start, _ = month_of(on or today())
    return {
        "id": space.id, "name": space.name, "address": space.address, "square_feet": space.square_feet,
        "base_rent_cents": space.base_rent_cents, "escalation_percent": space.escalation_percent,
        "starts_on": space.starts_on, "created_by": space.created_by, "created_at": space.created_at,
        "month": f"{start:%Y-%m}",
        "rent_cents": rules.space_rent_cents(space.base_rent_cents, space.escalation_percent, space.starts_on, start),
    }


def occupancy_view(occupancy: Occupancy, names: dict[int, str]) -> dict:
    return {"id": occupancy.id, "space_id": occupancy.space_id, "practice_id": occupancy.practice_id,
            "practice_name": names.get(occupancy.practice_id, f"Practice {occupancy.practice_id}"),
            "square_feet": occupancy.square_feet, "starts_on": occupancy.starts_on, "ends_on": occupancy.ends_on,
            "created_by": occupancy.created_by, "created_at": occupancy.created_at}


def split_view(principal: Principal, split: Split) -> dict:
    """The month's split as the reader may see it. MSO staff: every practice's share and
    the vacancy. A practice: the suite's rent and size and its own share only (the
    vacancy would tell it what the others occupy)."""
    mine = _sees_everyone(principal)
    shares = [s for s in split.shares if mine or s.practice_id == principal.organization_id]
    return {
        "month": split.month, "rent_cents": split.rent_cents, "square_feet": split.square_feet,
        "days_in_month": split.days_in_month,
        "shares": [{"practice_id": s.practice_id, "practice_name": s.practice_name, "square_feet": s.square_feet,
                    "days": s.days, "square_foot_days": s.square_foot_days, "share_cents": s.share_cents,
                    "invoice_id": s.invoice_id, "invoice_number": s.invoice_number} for s in shares],
        "vacant_square_foot_days": split.vacant_square_foot_days if mine else None,
        "vacant_share_cents": split.vacant_share_cents if mine else None,
        "billed_cents": split.billed_cents if mine else None,
    }


def _details(principal: Principal, listed: list[Space], start: dt.date) -> list[dict]:
    """Suites with their occupancies (a practice: its own) and the month's split, read
    with the same statements for any number of suites."""
    names = practice_names(o.practice_id for space in listed for o in space.occupancies)
    splits = [(space, month_split(space, start, names=names)) for space in listed]
    _with_invoices(splits)
    found = []
    for space, split in splits:
        occupancies = [o for o in space.occupancies
                       if _sees_everyone(principal) or o.practice_id == principal.organization_id]
        found.append({**space_row(principal, space, start), "occupancies": [occupancy_view(o, names) for o in occupancies],
                      "split": split_view(principal, split)})
    return found


def space_detail(principal: Principal, space_id: int, month: str | None = None) -> dict:
    """A suite, its occupancies (a practice: its own) and the month's split (default:
    this month)."""
    start = month_bounds(month)[0] if month else month_of(today())[0]
    return _details(principal, [get_space(principal, space_id)], start)[0]


def my_spaces(principal: Principal) -> list[dict]:
    """The storefront's suites: those the practice occupies or occupied, with this
    month's split as it may see it."""
    return _details(principal, list_spaces(principal, 1, 100).items, month_of(today())[0])


# --- occupancies ---------------------------------------------------------------------------


def _overlap(a_start: dt.date, a_end: dt.date | None, b_start: dt.date, b_end: dt.date | None) -> bool:
    return a_start <= (b_end or dt.date.max) and b_start <= (a_end or dt.date.max)


def _locked_occupancies(space_id: int) -> list[Occupancy]:
    """The suite's occupancies as committed now (call with the suite's row locked)."""
    return list(db.session.scalars(select(Occupancy).where(Occupancy.space_id == space_id)
                                   .order_by(Occupancy.starts_on, Occupancy.id)
                                   .execution_options(populate_existing=True)))


def _check_fits(space: Space, others: list[Occupancy], practice_id: int, square_feet: int, starts_on: dt.date,
                ends_on: dt.date | None) -> None:
    """409 when the practice already occupies the suite on one of these days, or when,
    on any day, the suite's occupancies would hold more than its square feet."""
    for o in others:
        if o.practice_id == practice_id and _overlap(o.starts_on, o.ends_on, starts_on, ends_on):
            until = f"to {_day(o.ends_on)}" if o.ends_on else "with no end"
            name = practice_names([practice_id]).get(practice_id, "The practice")
            raise Conflict(f"{name} already occupies {space.name} from {_day(o.starts_on)} {until} "
                           f"(occupancy {o.id}): one practice's occupancies of a suite never overlap",
                           {"json": {"starts_on": [f"the practice occupies the suite from {_day(o.starts_on)} {until}"]}})
    overlapping = [o for o in others if _overlap(o.starts_on, o.ends_on, starts_on, ends_on)]
    # The occupied total only rises on a start: its most within the period is on one.
    for day in sorted({starts_on} | {o.starts_on for o in overlapping if o.starts_on > starts_on}):
        held = sum(o.square_feet for o in overlapping if _overlap(o.starts_on, o.ends_on, day, day))
        if held + square_feet > space.square_feet:
            raise Conflict(
                f"{space.name} has {space.square_feet:,} sq ft: on {_day(day)} {held:,} are occupied, so "
                f"{square_feet:,} more would make {held + square_feet:,} (at most {space.square_feet - held:,} are free)",
                {"json": {"square_feet": [f"at most {space.square_feet - held:,} sq ft are free on {_day(day)}"]}})


def add_occupancy(principal: Principal, space_id: int, data: NewOccupancy) -> Occupancy:
    """A practice's square feet in the suite, checked under the suite's row lock: 422
    for a field at fault by itself, 409 for an overlap with the practice's own
    occupancy or more square feet than the suite has on any day."""
    policy.load(principal, Space, space_id, "space.manage")
    space = lock_row(Space, space_id)
    practice = db.session.get(Practice, data["practice_id"])
    problems: dict[str, list[str]] = {}
    if practice is None:
        problems["practice_id"] = ["no such practice: choose one from the list"]
    if data["square_feet"] > space.square_feet:
        problems["square_feet"] = [f"{data['square_feet']:,} sq ft is more than the suite's {space.square_feet:,}"]
    if data["starts_on"] < space.starts_on:
        problems["starts_on"] = [f"before the suite's start on {_day(space.starts_on)}"]
    if data.get("ends_on") is not None and data["ends_on"] < data["starts_on"]:
        problems["ends_on"] = [f"before the first day, {_day(data['starts_on'])}"]
    if problems:
        raise Invalid(" ".join(f"{k}: {v[0]}." for k, v in problems.items()), {"json": problems})
    _check_fits(space, _locked_occupancies(space.id), practice.id, data["square_feet"], data["starts_on"],
                data.get("ends_on"))
    occupancy = Occupancy(space_id=space.id, practice_id=practice.id, square_feet=data["square_feet"],
                          starts_on=data["starts_on"], ends_on=data.get("ends_on"), created_by=principal.label)
    db.session.add(occupancy)
    db.session.flush()
    audit.record(principal, "occupancy.create", occupancy, details={
        "space_id": space.id, "square_feet": occupancy.square_feet, "starts_on": str(occupancy.starts_on),
        "ends_on": str(occupancy.ends_on) if occupancy.ends_on else None})
    db.session.flush()
    db.session.expire(space, ["occupancies"])
    return occupancy


def end_occupancy(principal: Principal, occupancy_id: int, ends_on: dt.date) -> Occupancy:
    """The occupancy's last day (an open one ends; an ending one ends earlier). Ending it
    later would need a new occupancy's checks: 409."""
    found = policy.load(principal, Occupancy, occupancy_id, "space.manage")
    lock_row(Space, found.space_id)
    occupancy = db.session.scalars(select(Occupancy).where(Occupancy.id == occupancy_id)
                                   .execution_options(populate_existing=True)).one()
    if ends_on < occupancy.starts_on:
        raise Invalid.of_field("ends_on", f"before the occupancy's start on {_day(occupancy.starts_on)}")
    if occupancy.ends_on is not None and ends_on >= occupancy.ends_on:
        raise Conflict(f"occupancy {occupancy.id} already ends on {_day(occupancy.ends_on)}: it can only end earlier")
    previous = occupancy.ends_on
    occupancy.ends_on = ends_on
    audit.record(principal, "occupancy.end", occupancy, details={
        "space_id": occupancy.space_id, "ends_on": str(ends_on), "was": str(previous) if previous else None})
    db.session.flush()
    return occupancy


# --- the monthly run ----------------------------------------------------------------------


def _lines(space: Space, split: Split, share: Share, label: str) -> list[dict]:
    """A practice's space_rent lines: one per occupancy it held that month, its share
    split among them by their square-foot-days (so the lines add up to the share)."""
    amounts = allocate(share.share_cents, [o.square_feet * days for o, days in share.parts],
                       [o.id for o, _ in share.parts])
    where = f"{space.name}, {space.address}" if space.address else space.name
    lines = []
    for (o, days), cents in zip(share.parts, amounts, strict=True):
        when = label if days == split.days_in_month else f"{days} of {split.days_in_month} days of {label}"
        lines.append({"kind": "space_rent", "amount_cents": cents,
                      "description": f"{where}: {o.square_feet:,} of {space.square_feet:,} sq ft, {when}"[:300]})
    return [line for line in lines if line["amount_cents"]]


def bill_spaces(start: dt.date, end: dt.date) -> int:
    """The lease run's space part: for each suite started by the month's end, a draft
    invoice per practice with a share of the month's rent (kind "lease"); the vacancy
    is the MSO's and never invoiced. Each invoice's source key names the suite, month
    and practice, so running a month twice creates nothing. Returns how many it drafted."""
    label = start.strftime("%B %Y")
    # Each suite locked: an occupancy added or ended meanwhile waits, so the month is
    # billed on the occupancies as they are (a rerun would not bill it again).
    spaces = db.session.scalars(select(Space).where(Space.starts_on <= end).order_by(Space.id)
                                .with_for_update().execution_options(populate_existing=True)).all()
    created = 0
    for space in spaces:
        split = month_split(space, start)
        for share in split.shares:
            if share.share_cents <= 0:
                continue
            invoice = draft_invoice(share.practice_id, "lease", source_key(space.id, split.month, share.practice_id),
                                    f"{space.name}: shared space, {label}"[:200], _lines(space, split, share, label),
                                    period_start=start, period_end=end)
            created += invoice is not None
    return created
