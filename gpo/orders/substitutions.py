"""Substitutions (DOMAIN.md "After the close"): another of the vendor's products,
offered at its acknowledgement for some units of a line, at a price no higher than the
line's. The practice of the line's location decides, once; when either product is
clinical only a physician of that practice does (CPOM).

Approved: the original units leave the orders that allowed a substitute and a new
purchase-order line ships the substitute (`substitution_of_id`); the SUBSTITUTE steps
bill it in their place (billing: the draft invoice swaps the goods, an issued one gets
one credit note for the difference). Declined: the units are rejected, as any refusal.
Either way the cycle's achieved tier and everyone's unit prices stay as the close set
them. Seen by the MSO, the vendor and the practice; anyone else gets 404."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from gpo import audit, features
from gpo.accounts.models import Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import Paged, db, paged, utcnow
from gpo.errors import Conflict, Forbidden
from gpo.money import line_cents
from gpo.notifications import outbox
from gpo.orders.backorders import lock_line
from gpo.orders.models import PurchaseOrder, PurchaseOrderLine, Substitution
from gpo.orders.purchase_orders import cut_units, follow_cut

CPOM_RULE = ("A physician of the practice approves or declines a substitute when either product is clinical "
             "(CPOM)")


def visible(principal: Principal, substitution: Substitution) -> bool:
    """The MSO, the vendor that offered it, the practice of the line's location."""
    return principal.is_mso or principal.organization_id in (substitution.vendor_id, substitution.practice_id)


@dataclass(frozen=True)
class SubstitutionResult:
    """A substitution as answered (SubstitutionSchema): its own values, the line it
    replaces units of and both products."""

    substitution: Substitution
    original: PurchaseOrderLine
    product: Product
    original_product: Product

    def __getattr__(self, name: str):  # only for what the result does not hold itself
        if name == "substitution":
            raise AttributeError(name)
        return getattr(self.substitution, name)


def _results(substitutions: list[Substitution]) -> list[SubstitutionResult]:
    lines = {line.id: line for line in db.session.scalars(select(PurchaseOrderLine).where(
        PurchaseOrderLine.id.in_({s.original_line_id for s in substitutions})))} if substitutions else {}
    product_ids = {s.product_id for s in substitutions} | {line.product_id for line in lines.values()}
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(product_ids)))} \
        if product_ids else {}
    return [SubstitutionResult(s, lines[s.original_line_id], products[s.product_id],
                               products[lines[s.original_line_id].product_id]) for s in substitutions]


def list_substitutions(principal: Principal, status: str | None, page: int, page_size: int,
                       location_ids: list[int] | None = None) -> Paged:
    """Substitutions, newest first (a status of SUBSTITUTION_STATUSES, or all)."""
    policy.authorize(principal, "substitution.read")
    stmt = select(Substitution)
    if not principal.is_mso:
        stmt = stmt.where(or_(Substitution.vendor_id == principal.organization_id,
                              Substitution.practice_id == principal.organization_id))
    if status is not None:
        stmt = stmt.where(Substitution.status == status)
    if location_ids is not None:
        stmt = stmt.where(Substitution.location_id.in_(location_ids))
    result = paged(stmt.order_by(Substitution.id.desc()), page, page_size)
    return Paged(items=_results(result.items), total=result.total)


def of_lines(principal: Principal, po_line_ids: list[int]) -> list[SubstitutionResult]:
    """The substitutes offered for these purchase-order lines (an order's page)."""
    if not po_line_ids:
        return []
    stmt = select(Substitution).where(Substitution.original_line_id.in_(po_line_ids))
    if not principal.is_mso:
        stmt = stmt.where(or_(Substitution.vendor_id == principal.organization_id,
                              Substitution.practice_id == principal.organization_id))
    return _results(list(db.session.scalars(stmt.order_by(Substitution.id))))


def get_substitution(principal: Principal, substitution_id: int) -> SubstitutionResult:
    return _results([policy.load(principal, Substitution, substitution_id, "substitution.read")])[0]


def why_not_decided(principal: Principal, substitution: Substitution) -> str | None:
    """Why `approve`/`decline` would refuse this principal (None: it may decide); the
    pages say it instead of offering the buttons."""
    if not policy.may(principal, "substitution.decide"):
        return f"your role may not {policy.action_phrase('substitution.decide')}"
    if substitution.clinical and "practice_physician" not in principal.roles:
        return CPOM_RULE
    if substitution.status != "offered":
        return f"substitution {substitution.id} is already {substitution.status}"
    return None


def _deciding(principal: Principal, substitution_id: int):
    """The offered substitution, its purchase order and original line, locked (purchase
    order, line, substitution: the order every writer of them takes)."""
    substitution = policy.load(principal, Substitution, substitution_id, "substitution.decide")
    if substitution.clinical and "practice_physician" not in principal.roles:
        raise Forbidden(CPOM_RULE)
    po, line = lock_line(substitution.purchase_order_id, substitution.original_line_id)
    substitution = policy.load(principal, Substitution, substitution_id, "substitution.decide", for_update=True)
    if substitution.status != "offered":
        raise Conflict(f"substitution {substitution.id} is already {substitution.status}")
    return substitution, po, line


def _cut(po: PurchaseOrder, line: PurchaseOrderLine, units: int) -> None:
    taken = cut_units(po, line, units, only_where=lambda order: order.substitutions_allowed)
    if taken < units:  # the flagged orders' units went elsewhere: take any
        cut_units(po, line, units - taken)


def _decided(principal: Principal, substitution: Substitution, status: str) -> None:
    substitution.status = status
    substitution.decided_by = principal.label
    substitution.decided_by_user_id = principal.user_id
    substitution.decided_at = utcnow()


def _tell_vendor(substitution: Substitution) -> None:
    """substitution.decided for the vendor's systems (approved: the substitute's line
    ships; declined: the units are rejected)."""
    practice = db.session.get(Organization, substitution.practice_id).name
    product = db.session.get(Product, substitution.product_id)
    then = (f"ship them as line {substitution.substitute_line_id}" if substitution.status == "approved"
            else "those units are rejected")
    outbox.emit(
        "substitution.decided", substitution, vendor_id=substitution.vendor_id, practice_id=substitution.practice_id,
        summary=(f"{practice} {substitution.status} the substitute {product.name} ({product.sku}) for "
                 f"{substitution.quantity} units on purchase order {substitution.purchase_order_id}: {then}"),
        data={"substitution_id": substitution.id, "purchase_order_id": substitution.purchase_order_id,
              "decision": substitution.status, "original_line_id": substitution.original_line_id,
              "substitute_line_id": substitution.substitute_line_id, "quantity": substitution.quantity})


def approve(principal: Principal, substitution_id: int) -> SubstitutionResult:
    """The practice takes the substitute: the original units leave its orders, a new
    line ships the substitute, and the practice's invoice follows (SUBSTITUTE steps)."""
    substitution, po, line = _deciding(principal, substitution_id)
    _cut(po, line, substitution.quantity)
    substitute = PurchaseOrderLine(
        purchase_order_id=po.id, product_id=substitution.product_id, location_id=line.location_id,
        quantity=substitution.quantity, accepted_quantity=substitution.quantity, unit_price=substitution.unit_price,
        line_cents=line_cents(substitution.unit_price, substitution.quantity), substitution_of_id=line.id)
    db.session.add(substitute)
    db.session.flush()
    _decided(principal, substitution, "approved")
    substitution.substitute_line_id = substitute.id
    db.session.flush()
    db.session.expire(po, ["lines"])
    audit.record(principal, "substitution.approve", substitution, organization_id=substitution.practice_id,
                 details={"purchase_order_id": po.id, "substitute_line_id": substitute.id})
    # The original's cut is billed with the substitute (one credit note for the
    # difference once the invoice is issued), so the SUBSTITUTE steps follow both.
    for step in features.steps(features.SUBSTITUTE):
        step(substitution.id)
    db.session.flush()
    _tell_vendor(substitution)
    return _results([substitution])[0]


def decline(principal: Principal, substitution_id: int) -> SubstitutionResult:
    """The practice refuses the substitute: its units are rejected (cut, and the
    invoice follows as for any refusal)."""
    substitution, po, line = _deciding(principal, substitution_id)
    _cut(po, line, substitution.quantity)
    line.substituted_quantity -= substitution.quantity  # rejected now
    _decided(principal, substitution, "declined")
    db.session.flush()
    who = db.session.get(Organization, substitution.practice_id).name
    audit.record(principal, "substitution.decline", substitution, organization_id=substitution.practice_id,
                 details={"purchase_order_id": po.id, "quantity": substitution.quantity})
    follow_cut(po, [line.id], f"Substitute declined by {who}")
    _tell_vendor(substitution)
    return _results([substitution])[0]


def waiting_count(principal: Principal) -> dict[str, int]:
    """The practice's offered substitutions: for anyone, and for a physician only."""
    rows = db.session.execute(
        select(Substitution.clinical, func.count()).where(
            Substitution.practice_id == principal.organization_id, Substitution.status == "offered")
        .group_by(Substitution.clinical)).all()
    counts = {bool(clinical): int(n) for clinical, n in rows}
    return {"any": counts.get(False, 0), "physician": counts.get(True, 0)}

