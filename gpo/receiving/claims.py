"""Claims (DOMAIN.md "After the close"): the damaged and missing units of a received
shipment line, claimed from the vendor, who resolves each once:

- replace: the purchase-order line may ship that many more units
  (`replacement_quantity`); they ship in a normal shipment and are received like any;
- credit: the units leave the practices' order lines (`cut_units`, newest orders
  first) and their invoices follow (`follow_cut`: the draft drops them, an issued
  invoice gets a credit note for the goods at the line's price plus the service fee
  on them). An approved substitute's line pools no order lines: its credit goes
  through the invoice line billing the substitute (gpo/receiving/substitute_credit.py).

Seen by MSO staff, the claim's practice and its vendor; resolved by the vendor."""
from __future__ import annotations

from sqlalchemy import func, select

from gpo import audit, features
from gpo.accounts.models import Location, Organization
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.db import Paged, db, lock_row, paged, utcnow
from gpo.errors import Conflict
from gpo.money import line_cents
from gpo.orders.models import PurchaseOrder, PurchaseOrderLine
from gpo.orders.purchase_orders import cut_units, follow_cut
from gpo.receiving.models import CLAIM_STATUSES, Claim
from gpo.receiving.substitute_credit import credit_substitute

__all__ = ["CLAIM_STATUSES", "claim_visible", "list_claims", "get_claim", "replace", "credit", "count_open"]


def claim_visible(principal: Principal, claim: Claim) -> bool:
    """MSO staff; the claim's vendor; the claim's practice."""
    return principal.is_mso or principal.organization_id in (claim.vendor_id, claim.practice_id)


def claims_query(principal: Principal, status: str | None = None):
    policy.authorize(principal, "claim.read")
    stmt = select(Claim)
    if principal.org_type == "vendor":
        stmt = stmt.where(Claim.vendor_id == principal.organization_id)
    elif not principal.is_mso:
        stmt = stmt.where(Claim.practice_id == principal.organization_id)
    return stmt.where(Claim.status == status) if status else stmt


def list_claims(principal: Principal, status: str | None, page: int, page_size: int) -> Paged:
    """A page of the claims the principal sees, newest first."""
    result = paged(claims_query(principal, status).order_by(Claim.id.desc()), page, page_size)
    return Paged(items=views(result.items), total=result.total)


def count_open(principal: Principal) -> int:
    stmt = claims_query(principal, "open")
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def get_claim(principal: Principal, claim_id: int) -> dict:
    return views([policy.load(principal, Claim, claim_id, "claim.read")])[0]


def views(claims: list[Claim]) -> list[dict]:
    """Each claim with its product, location, practice and vendor (two queries)."""
    if not claims:
        return []
    lines = {row[0].id: row for row in db.session.execute(
        select(PurchaseOrderLine, Product, Location)
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .join(Location, Location.id == PurchaseOrderLine.location_id)
        .where(PurchaseOrderLine.id.in_({c.purchase_order_line_id for c in claims})))}
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_({c.vendor_id for c in claims} | {c.practice_id for c in claims}))).all())
    out = []
    for claim in claims:
        po_line, product, location = lines[claim.purchase_order_line_id]
        out.append({
            "id": claim.id, "shipment_id": claim.shipment_id, "shipment_line_id": claim.purchase_order_line_id,
            "purchase_order_id": claim.purchase_order_id, "vendor_id": claim.vendor_id,
            "vendor_name": names[claim.vendor_id], "practice_id": claim.practice_id,
            "practice_name": names[claim.practice_id], "location_id": location.id, "location_name": location.name,
            "product_id": product.id, "sku": product.sku, "product_name": product.name,
            "unit_price": po_line.unit_price, "substitute": po_line.substitution_of_id is not None,
            "damaged_quantity": claim.damaged_quantity, "missing_quantity": claim.missing_quantity,
            "quantity": claim.quantity, "worth_cents": line_cents(po_line.unit_price, claim.quantity),
            "status": claim.status, "created_at": claim.created_at,
            "resolved_by": claim.resolved_by, "resolved_at": claim.resolved_at,
        })
    return out


def _open_claim(principal: Principal, claim_id: int) -> Claim:
    """The claim, locked, still open (409 once resolved: a vendor resolves it once)."""
    claim = policy.load(principal, Claim, claim_id, "claim.resolve", for_update=True)
    if claim.status != "open":
        raise Conflict(f"claim {claim.id} is resolved already ({claim.status.replace('_', ' ')} "
                       f"by {claim.resolved_by}): a claim is resolved once")
    return claim


def _resolved(principal: Principal, claim: Claim, status: str) -> None:
    claim.status, claim.resolved_by, claim.resolved_at = status, principal.label, utcnow()


def replace(principal: Principal, claim_id: int) -> Claim:
    """The vendor ships replacements: the line may ship the claim's units once more."""
    claim = _open_claim(principal, claim_id)
    po_line = lock_row(PurchaseOrderLine, claim.purchase_order_line_id)
    po_line.replacement_quantity += claim.quantity
    _resolved(principal, claim, "replacing")
    db.session.flush()
    audit.record(principal, "claim.replace", claim, organization_id=claim.practice_id, details={
        "purchase_order_line_id": po_line.id, "units": claim.quantity,
        "replacement_quantity": po_line.replacement_quantity})
    _rematch(po_line)
    return claim


def _rematch(po_line: PurchaseOrderLine) -> None:
    """What can still arrive changed (replacements promised, units credited): the
    RECEIVE steps re-match the purchase order's open vendor invoices (the caller holds
    the line's row lock, as a receipt does)."""
    for step in features.steps(features.RECEIVE):
        step(po_line.purchase_order_id, [po_line.id])
    db.session.flush()


def credit_reason(vendor_name: str, claim: Claim) -> str:
    return f"Credited by {vendor_name} for {claim.quantity} damaged/missing"


def credit(principal: Principal, claim_id: int) -> Claim:
    """The vendor credits the claim's units: they leave the practice's order lines and
    invoice (a credit note once it is issued), in this transaction."""
    claim = _open_claim(principal, claim_id)
    po = db.session.get(PurchaseOrder, claim.purchase_order_id)
    po_line = lock_row(PurchaseOrderLine, claim.purchase_order_line_id)
    reason = credit_reason(db.session.get(Organization, claim.vendor_id).name, claim)
    _resolved(principal, claim, "credited")
    db.session.flush()
    if po_line.substitution_of_id is None:
        cut = cut_units(po, po_line, claim.quantity)
        follow_cut(po, [po_line.id], reason)
    else:
        cut = credit_substitute(po_line, claim.quantity, reason)
    audit.record(principal, "claim.credit", claim, organization_id=claim.practice_id, details={
        "purchase_order_line_id": po_line.id, "units": claim.quantity, "units_cut": cut, "reason": reason})
    _rematch(po_line)
    return claim
