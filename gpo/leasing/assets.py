"""The MSO's leasable assets (DOMAIN.md "Equipment and space leasing"): created by MSO
finance, either bought outright or bought from a practice for a sale-leaseback (the
purchase price reaches the practice as a credit on its next invoices), listed and read
with their history: where each came from and every lease of it.

Who sees an asset: MSO staff every one; a practice the assets it sold and those with a
lease to it (offered, active or ended; a withdrawn offer is as if never made)."""
from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict

from sqlalchemy import and_, exists, false, func, or_, select

from gpo import audit
from gpo.accounts.models import Practice
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.billing.invoices import today
from gpo.billing.models import Credit
from gpo.db import Paged, db, lock_row, paged
from gpo.errors import Conflict, Invalid, NotFound
from gpo.leasing.models import Asset, Lease
from gpo.money import format_dollars

# What an asset is now: on an active lease, offered (to one practice or more) and on
# none yet, on no lease at all, or sold (a practice bought it out or at the residual).
ASSET_STATUSES = ("leased", "offered", "available", "sold")
SOLD_OUTCOMES = ("bought_out", "purchased")
MAX_ECONOMIC_LIFE_MONTHS = 600


class NewAsset(TypedDict):
    """An asset as AssetInSchema loads it."""

    description: str
    category: str
    clinical: bool
    specialized: NotRequired[bool]
    serial_number: NotRequired[str | None]
    cost_cents: int
    fair_value_cents: int
    acquired_on: dt.date
    economic_life_months: int
    sold_by_practice_id: NotRequired[int | None]


class AssetFilters(TypedDict, total=False):
    """The assets' list filters (AssetQuerySchema)."""

    available: bool
    practice_id: int
    category: str
    clinical: bool


# --- who sees what --------------------------------------------------------------------------


def _seen_by_practice(practice_id: int):
    """SQL: the asset was sold by the practice, or has a lease to it that was not withdrawn."""
    return or_(Asset.sold_by_practice_id == practice_id, exists().where(
        Lease.asset_id == Asset.id, Lease.practice_id == practice_id, Lease.status != "withdrawn"))


def asset_visible(principal: Principal, asset: Asset) -> bool:
    """MSO staff: every asset. A practice: one it sold or one leased (or offered) to it.
    Vendors: none (404)."""
    if principal.is_mso:
        return True
    if principal.org_type != "practice":
        return False
    if asset.sold_by_practice_id == principal.organization_id:
        return True
    return db.session.scalar(select(Lease.id).where(
        Lease.asset_id == asset.id, Lease.practice_id == principal.organization_id,
        Lease.status != "withdrawn").limit(1)) is not None


def _available():
    """SQL: on no active lease, and no practice has bought it."""
    return and_(
        ~exists().where(Lease.asset_id == Asset.id, Lease.status == "active"),
        ~exists().where(Lease.asset_id == Asset.id, Lease.status == "ended", Lease.end_outcome.in_(SOLD_OUTCOMES)))


# --- creating -------------------------------------------------------------------------------


def create_asset(principal: Principal, data: NewAsset) -> dict:
    """MSO finance records an asset the MSO bought. With `sold_by_practice_id` it is a
    sale-leaseback: the MSO buys the practice's equipment at `cost_cents`, which
    becomes the practice's credit (applied to its next invoices by billing)."""
    policy.authorize(principal, "leasing_asset.create")
    problems = {}
    if data["acquired_on"] > today():
        problems["acquired_on"] = f"an asset is acquired today ({today()}) or earlier"
    if not 1 <= data["economic_life_months"] <= MAX_ECONOMIC_LIFE_MONTHS:
        problems["economic_life_months"] = f"the economic life is 1 to {MAX_ECONOMIC_LIFE_MONTHS} months"
    for name in ("cost_cents", "fair_value_cents"):
        if data[name] <= 0:
            problems[name] = "must be more than zero"
    if problems:
        raise Invalid("; ".join(problems.values()), {"json": {k: [v] for k, v in problems.items()}})
    seller = None
    if data.get("sold_by_practice_id") is not None:
        seller = db.session.get(Practice, data["sold_by_practice_id"])
        if seller is None or not policy.can_see(principal, seller):
            raise NotFound(f"practice {data['sold_by_practice_id']} not found")
    asset = Asset(description=data["description"], category=data["category"], clinical=data["clinical"],
                  specialized=bool(data.get("specialized", False)), serial_number=data.get("serial_number") or None,
                  cost_cents=data["cost_cents"], fair_value_cents=data["fair_value_cents"],
                  acquired_on=data["acquired_on"], economic_life_months=data["economic_life_months"],
                  created_by=principal.label)
    if seller is not None:
        credit = Credit(practice_id=seller.id, source="sale_leaseback", amount_cents=data["cost_cents"],
                        remaining_cents=data["cost_cents"],
                        description=f"Sale-leaseback: {data['description']} bought from {seller.name} "
                                    f"on {data['acquired_on']} for {format_dollars(data['cost_cents'])}")
        db.session.add(credit)
        db.session.flush()
        asset.sold_by_practice_id, asset.purchase_credit_id = seller.id, credit.id
    db.session.add(asset)
    db.session.flush()
    # A sale-leaseback is the seller's business too: its event is filed under the practice.
    audit.record(principal, "leasing_asset.create", asset, organization_id=seller.id if seller else None, details={
        "description": asset.description, "cost_cents": asset.cost_cents, "fair_value_cents": asset.fair_value_cents,
        "sold_by_practice_id": asset.sold_by_practice_id, "purchase_credit_id": asset.purchase_credit_id})
    db.session.flush()
    return asset_detail(principal, asset)


# --- reading --------------------------------------------------------------------------------


def asset_query(principal: Principal, filters: AssetFilters):
    policy.authorize(principal, "leasing_asset.read")
    stmt = select(Asset)
    if not principal.is_mso:
        stmt = stmt.where(_seen_by_practice(principal.organization_id))
    if filters.get("practice_id") is not None:
        if not principal.is_mso and filters["practice_id"] != principal.organization_id:
            # another practice's assets are not this one's to ask about, even those both have leased
            return stmt.where(false())
        stmt = stmt.where(_seen_by_practice(filters["practice_id"]))
    if filters.get("available") is not None:
        stmt = stmt.where(_available() if filters["available"] else ~_available())
    for name in ("category", "clinical"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Asset, name) == filters[name])
    return stmt


def list_assets(principal: Principal, filters: AssetFilters, page: int, page_size: int) -> Paged:
    """A page of the assets the principal sees, newest first, each with its status,
    who leases it now and its history (the same statements for any number of rows)."""
    result = paged(asset_query(principal, filters).order_by(Asset.id.desc()), page, page_size)
    return Paged(items=_views(principal, result.items), total=result.total)


def count_available() -> int:
    """The MSO's assets on no lease (the console's "waiting" line)."""
    return db.session.scalar(select(func.count(Asset.id)).where(_available()))


def load_asset(principal: Principal, asset_id: int, action: str = "leasing_asset.read") -> Asset:
    return policy.load(principal, Asset, asset_id, action)


def get_asset(principal: Principal, asset_id: int) -> dict:
    return asset_detail(principal, load_asset(principal, asset_id))


def asset_detail(principal: Principal, asset: Asset) -> dict:
    return _views(principal, [asset])[0]


def _views(principal: Principal, assets: list[Asset]) -> list[dict]:
    """Each asset with its status and history: its leases in one query, the practices
    they name in another. A practice reads its own leases only, and who sold an asset
    only when it was the seller."""
    if not assets:
        return []
    stmt = select(Lease).where(Lease.asset_id.in_([a.id for a in assets]), Lease.status != "withdrawn")
    if not principal.is_mso:
        stmt = stmt.where(Lease.practice_id == principal.organization_id)
    leases = db.session.scalars(stmt.order_by(Lease.commences_on, Lease.id)).all()
    # The status is the asset's own, whoever reads it: an asset leased to another practice is leased.
    states: dict[int, set[str]] = {}
    for asset_id, status, outcome in db.session.execute(select(Lease.asset_id, Lease.status, Lease.end_outcome).where(
            Lease.asset_id.in_([a.id for a in assets]), Lease.status != "withdrawn")).all():
        states.setdefault(asset_id, set()).add(
            "sold" if outcome in SOLD_OUTCOMES else "leased" if status == "active" else status)
    practice_ids = {lease.practice_id for lease in leases} | {a.sold_by_practice_id for a in assets
                                                              if a.sold_by_practice_id}
    names = dict(db.session.execute(select(Practice.id, Practice.name).where(Practice.id.in_(practice_ids))).all()) \
        if practice_ids else {}
    by_asset: dict[int, list[Lease]] = {}
    for lease in leases:
        by_asset.setdefault(lease.asset_id, []).append(lease)
    views = []
    for asset in assets:
        status = _status(states.get(asset.id, set()))
        own = by_asset.get(asset.id, [])
        current = next((lease for lease in own if lease.status == "active"), None)
        views.append({
            **{name: getattr(asset, name) for name in (
                "id", "description", "category", "clinical", "specialized", "serial_number", "cost_cents",
                "fair_value_cents", "acquired_on", "economic_life_months", "created_by", "created_at")},
            "sold_by_practice_id": _if_seller(principal, asset, asset.sold_by_practice_id),
            "purchase_credit_id": _if_seller(principal, asset, asset.purchase_credit_id),
            "status": status,
            "leased_to": _lease_ref(current, names) if current else None,
            "history": {"origin": _origin(principal, asset, names),
                        "leases": [_lease_ref(lease, names) for lease in own]},
        })
    return views


def _status(states: set[str]) -> str:
    """The first of sold, leased, offered that the asset's leases show; else available."""
    return next((s for s in ("sold", "leased", "offered") if s in states), "available")


def _if_seller(principal: Principal, asset: Asset, value):
    """A sale-leaseback's seller and credit, shown to the MSO and to the seller only."""
    return value if principal.is_mso or asset.sold_by_practice_id == principal.organization_id else None


def _origin(principal: Principal, asset: Asset, names: dict[int, str]) -> dict:
    seller = _if_seller(principal, asset, asset.sold_by_practice_id)
    if seller is None:
        return {"kind": "bought", "acquired_on": asset.acquired_on, "cost_cents": asset.cost_cents,
                "practice_id": None, "practice_name": None, "credit_id": None,
                "summary": f"Bought by the MSO on {asset.acquired_on} for {format_dollars(asset.cost_cents)}."}
    return {"kind": "sale_leaseback", "acquired_on": asset.acquired_on, "cost_cents": asset.cost_cents,
            "practice_id": seller, "practice_name": names.get(seller), "credit_id": asset.purchase_credit_id,
            "summary": f"Bought from {names.get(seller)} on {asset.acquired_on} for "
                       f"{format_dollars(asset.cost_cents)} (sale-leaseback), paid as credit "
                       f"#{asset.purchase_credit_id} on the practice's next invoices."}


def last_asset_id() -> int:
    """The newest asset's id (0: none yet): what "New asset" was shown with."""
    return db.session.scalar(select(func.coalesce(func.max(Asset.id), 0)))


def create_asset_as_seen(principal: Principal, data: NewAsset, seen_last_id: int | None) -> dict:
    """`create_asset` (POST /leasing/assets), refused (409) when the same asset was
    recorded since the form was shown (after asset `seen_last_id`): a form sent twice (a
    double click, the browser's back and resend) would otherwise buy it twice and, for
    a sale-leaseback, credit the practice twice. The page has no Idempotency-Key; this
    is its If-Match."""
    policy.authorize(principal, "leasing_asset.create")
    if seen_last_id is not None:
        seller_id = data.get("sold_by_practice_id")
        if seller_id is not None:
            lock_row(Practice, seller_id)  # two sends of one sale-leaseback queue here
        twin = db.session.scalars(select(Asset).where(
            Asset.id > seen_last_id, Asset.description == data["description"],
            Asset.serial_number.is_not_distinct_from(data.get("serial_number") or None),
            Asset.cost_cents == data["cost_cents"], Asset.acquired_on == data["acquired_on"],
            Asset.sold_by_practice_id.is_not_distinct_from(seller_id)).limit(1)).first()
        if twin is not None:
            raise Conflict(f"{twin.description} was recorded meanwhile as asset {twin.id} by {twin.created_by} "
                           f"for {format_dollars(twin.cost_cents)}: check it before recording it again")
    return create_asset(principal, data)


def _lease_ref(lease: Lease, names: dict[int, str]) -> dict:
    return {"lease_id": lease.id, "practice_id": lease.practice_id, "practice_name": names.get(lease.practice_id),
            "status": lease.status, "commences_on": lease.commences_on, "term_months": lease.term_months,
            "rent_cents": lease.rent_cents, "ended_on": lease.ended_on, "end_outcome": lease.end_outcome}


def sale_of(asset_id: int) -> Lease | None:
    """The ended lease under which a practice bought the asset (out, or at the residual)."""
    return db.session.scalars(select(Lease).where(
        Lease.asset_id == asset_id, Lease.status == "ended", Lease.end_outcome.in_(SOLD_OUTCOMES)).limit(1)).first()


def is_sold(asset_id: int) -> bool:
    """A practice bought the asset: it is no longer the MSO's."""
    return sale_of(asset_id) is not None


def sold_text(asset: Asset) -> str | None:
    """Why the asset is not the MSO's to lease any more ("<asset> was sold to <practice>
    on <date>"), None while it is."""
    sale = sale_of(asset.id)
    if sale is None:
        return None
    practice = db.session.get(Practice, sale.practice_id)
    name = practice.name if practice else f"practice {sale.practice_id}"
    return f"{asset.description} (asset {asset.id}) was sold to {name} on {sale.ended_on.isoformat()}"


def practice_options(active_only: bool = False) -> list[tuple[int, str]]:
    """Every practice (or every active one), by name: the console's selects (a seller, a
    quote's lessee, an offer's practice)."""
    stmt = select(Practice).order_by(Practice.name, Practice.id)
    if active_only:
        stmt = stmt.where(Practice.status == "active")
    return [(p.id, p.name) for p in db.session.scalars(stmt)]


def asset_options() -> list[tuple[int, str]]:
    """Every asset, by description, for the console's offer form."""
    return [(a.id, f"{a.description} (asset {a.id}{', clinical' if a.clinical else ''})")
            for a in db.session.scalars(select(Asset).order_by(Asset.description, Asset.id))]
