"""Use cases of contracts: MSO procurement and a vendor negotiate terms in a thread of
proposals; accepting one makes the contract's terms; MSO can terminate early."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import NotRequired, TypedDict

from sqlalchemy import exists, func, select, update

from gpo import audit, features
from gpo.accounts.models import Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.contracts import rules
from gpo.contracts import tiers as tier_rules
from gpo.contracts.models import Contract, ContractItem, Proposal
from gpo.db import Paged, db, paged, utcnow
from gpo.errors import Conflict, Forbidden, Invalid, NotFound
from gpo.notifications import outbox

# --- inputs (what the request schemas load) ------------------------------------------


class TierTerms(TypedDict):
    """One proposed tier (TierInSchema)."""

    min_volume: int
    discount_percent: Decimal
    item_prices: NotRequired[dict[int, Decimal]]  # product id -> fixed unit price (the schema loads {})


class Terms(TypedDict):
    """A proposal's terms (TermsSchema, which fills in the disclosure and the notes)."""

    tiers: list[TierTerms]
    admin_fee_percent: Decimal
    admin_fee_disclosure: NotRequired[str | None]
    admin_fee_settlement: NotRequired[str]  # "remitted" (the schema's default) or "netted"
    notes: NotRequired[str]


class NewContract(TypedDict):
    """A contract as MSO procurement opens it (ContractCreateSchema)."""

    vendor_id: int
    title: str
    category: str
    basis: str
    starts_on: dt.date
    ends_on: dt.date
    items: list[int]  # product ids
    proposal: Terms


class ContractFilters(TypedDict, total=False):
    """Filters of `GET /contracts` (ContractQuerySchema)."""

    vendor_id: int
    product_id: int
    status: str


def today() -> dt.date:
    """Contract terms are calendar dates, read in UTC."""
    return utcnow().date()


def contract_visible(principal: Principal, contract: Contract) -> bool:
    """MSO staff see every contract, a vendor its own, practices those in effect."""
    if principal.is_mso:
        return True
    if principal.org_type == "vendor":
        return contract.vendor_id == principal.organization_id
    return contract.status_on(today()) == "active"


def proposal_visible(principal: Principal, proposal: Proposal) -> bool:
    return contract_visible(principal, proposal.contract)


# --- reading -----------------------------------------------------------------------


def view(principal: Principal, contract: Contract) -> dict:
    """What the principal may see of a contract: practices see items, tiers and term,
    never the admin fee (nor the thread)."""
    data = {
        "id": contract.id, "vendor_id": contract.vendor_id, "title": contract.title,
        "category": contract.category, "basis": contract.basis, "starts_on": contract.starts_on,
        "ends_on": contract.ends_on, "status": contract.status_on(today()), "items": contract.product_ids,
        "tiers": contract.tiers, "terminated_on": contract.terminated_on, "created_at": contract.created_at,
    }
    if principal.is_mso or principal.org_type == "vendor":
        data.update(
            admin_fee_percent=contract.admin_fee_percent, admin_fee_disclosure=contract.admin_fee_disclosure,
            admin_fee_settlement=contract.admin_fee_settlement,
            accepted_proposal_number=contract.accepted_proposal_number, accepted_at=contract.accepted_at,
            termination_reason=contract.termination_reason,
        )
    return data


def list_contracts(principal: Principal, filters: ContractFilters, page: int, page_size: int) -> Paged:
    policy.authorize(principal, "contract.read")
    stmt = select(Contract)
    if principal.org_type == "vendor":
        stmt = stmt.where(Contract.vendor_id == principal.organization_id)
    elif not principal.is_mso:
        stmt = stmt.where(Contract.in_effect_on(today()))
    if filters.get("vendor_id") is not None:
        stmt = stmt.where(Contract.vendor_id == filters["vendor_id"])
    if filters.get("product_id") is not None:
        stmt = stmt.where(Contract.items.any(ContractItem.product_id == filters["product_id"]))
    if filters.get("status"):
        stmt = stmt.where(Contract.status_expression(today()) == filters["status"])
    result = paged(stmt.order_by(Contract.id), page, page_size)
    result.items = [view(principal, c) for c in result.items]
    return result


def get_contract(principal: Principal, contract_id: int) -> dict:
    return view(principal, policy.load(principal, Contract, contract_id, "contract.read"))


def list_proposals(principal: Principal, contract_id: int, page: int, page_size: int) -> Paged:
    contract = policy.load(principal, Contract, contract_id, "contract.thread")
    stmt = select(Proposal).where(Proposal.contract_id == contract.id).order_by(Proposal.number)
    return paged(stmt, page, page_size)


# What the catalog asks of contracts (its product page and `GET /products?on_contract=`):
# the catalog imports these; contracts never imports the catalog's use cases.


@dataclass(frozen=True)
class ContractSummary:
    """A contract as a product's page lists it (ProductContractSchema)."""

    id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date


def contracts_in_effect_for_product(product_id: int, day: dt.date | None = None) -> list[ContractSummary]:
    """The contracts a product is on today (for the catalog's product page)."""
    rows = db.session.execute(
        select(Contract.id, Contract.title, Contract.starts_on, Contract.ends_on).join(ContractItem)
        .where(ContractItem.product_id == product_id, Contract.in_effect_on(day or today()))
        .order_by(Contract.id)
    )
    return [ContractSummary(row.id, row.title, row.starts_on, row.ends_on) for row in rows]


def on_contract_clause(product_id_column, day: dt.date | None = None):
    """SQL: the product is on a contract in effect (for `GET /products?on_contract=`)."""
    return exists(
        select(ContractItem.product_id).join(Contract)
        .where(ContractItem.product_id == product_id_column, Contract.in_effect_on(day or today()))
    )


# --- negotiating -------------------------------------------------------------------


def _side(principal: Principal) -> str:
    return "mso" if principal.is_mso else "vendor"


def _list_prices(ids: list[int], vendor_id: int) -> dict[int, Decimal]:
    """The items' list prices; Invalid unless each is an active product of the vendor."""
    rows = db.session.execute(
        select(Product.id, Product.list_price, Product.vendor_id, Product.active).where(Product.id.in_(ids))
    ).all()
    found = {r.id: r for r in rows}
    errors = []
    for product_id in ids:
        row = found.get(product_id)
        if row is None or row.vendor_id != vendor_id:
            errors.append(f"product {product_id} is not a product of vendor {vendor_id}")
        elif not row.active:
            errors.append(f"product {product_id} is inactive")
    if errors:
        raise Invalid("items must be active products of the contract's vendor", {"items": errors})
    return {r.id: r.list_price for r in rows}


def _checked_terms(terms: Terms, list_prices: dict[int, Decimal]) -> list[tier_rules.Tier]:
    """The proposal's tiers, or Invalid naming every broken rule (rules.check_proposal)."""
    tier_list = tiers_of(terms)
    errors = rules.check_proposal(tier_list, terms["admin_fee_percent"], terms.get("admin_fee_disclosure"),
                                  list_prices)
    if errors:
        first = next(iter(errors.values()))
        detail = first if isinstance(first, list) else next(iter(first.values()))
        raise Invalid(f"the proposed terms break a rule: {detail[0]}", {"json": errors})
    return tier_list


def tiers_of(terms: Terms) -> list[tier_rules.Tier]:
    return [
        tier_rules.Tier(t["min_volume"], t["discount_percent"], dict(t.get("item_prices") or {}))
        for t in terms["tiers"]
    ]


def _new_proposal(principal: Principal, contract: Contract, number: int, terms: Terms, tier_list) -> Proposal:
    proposal = Proposal(
        contract_id=contract.id, number=number, author_side=_side(principal), author_label=principal.label,
        author_user_id=principal.user_id, author_api_key_id=principal.api_key_id,
        tiers=[t.to_json() for t in tier_list], admin_fee_percent=terms["admin_fee_percent"],
        admin_fee_disclosure=terms.get("admin_fee_disclosure"),
        admin_fee_settlement=terms.get("admin_fee_settlement") or "remitted", notes=terms.get("notes") or "", status="open",
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(principal, "proposal.create", proposal, organization_id=contract.vendor_id,
                 details={"contract_id": contract.id, "number": number,
                          "admin_fee_percent": str(proposal.admin_fee_percent)})
    _tell_vendor("contract.proposal.created", contract, proposal)
    return proposal


def _tell_vendor(event_type: str, contract: Contract, proposal: Proposal) -> None:
    """contract.proposal.*: the vendor's systems follow the whole negotiation, what the
    MSO did and what the vendor did itself (from its portal, another of its keys), as
    the thread shows it to both sides. `by`: the side that did it."""
    vendor = db.session.get(Vendor, contract.vendor_id).name
    names = {"mso": "the MSO", "vendor": vendor}
    on = f"contract {contract.id} ({contract.title})"
    if event_type == "contract.proposal.created":
        by = proposal.author_side
        what = (f"proposed terms on {on}: proposal {proposal.number}, admin fee "
                f"{proposal.admin_fee_percent.normalize():f}%, {len(proposal.tiers)} "
                f"tier{'' if len(proposal.tiers) == 1 else 's'}")
    else:
        by = "vendor" if proposal.author_side == "mso" else "mso"
        verb = event_type.rsplit(".", 1)[1]
        what = f"{verb} {names[proposal.author_side]}'s proposal {proposal.number} on {on}"
        if verb == "accepted":
            what += ": its terms are the contract's"
    actor = names[by]
    outbox.emit(
        event_type, proposal, subject_type="contract_proposal", vendor_id=contract.vendor_id,
        summary=f"{actor[:1].upper()}{actor[1:]} {what}",
        data={"contract_id": contract.id, "proposal_id": proposal.id, "number": proposal.number,
              "proposed_by": proposal.author_side, "by": by})


def create_contract(principal: Principal, data: NewContract) -> dict:
    """MSO procurement opens a contract with its first proposal."""
    policy.authorize(principal, "contract.create")
    vendor = db.session.get(Vendor, data["vendor_id"])
    if vendor is None:
        raise Invalid(f"vendor {data['vendor_id']} does not exist", {"json": {"vendor_id": ["no such vendor"]}})
    errors = rules.term_errors(data["starts_on"], data["ends_on"])
    if errors:
        raise Invalid("ends_on must not be before starts_on", {"json": errors})
    items = list(dict.fromkeys(data["items"]))
    list_prices = _list_prices(items, vendor.id)
    tier_list = _checked_terms(data["proposal"], list_prices)
    contract = Contract(
        vendor_id=vendor.id, title=data["title"], category=data["category"], basis=data["basis"],
        starts_on=data["starts_on"], ends_on=data["ends_on"],
        items=[ContractItem(product_id=pid) for pid in items],
    )
    db.session.add(contract)
    db.session.flush()
    audit.record(principal, "contract.create", contract, details={"title": contract.title, "items": items})
    _new_proposal(principal, contract, 1, data["proposal"], tier_list)
    db.session.flush()
    return view(principal, contract)


def _negotiable(principal: Principal, contract_id: int) -> Contract:
    contract = policy.load(principal, Contract, contract_id, "contract.negotiate", for_update=True)
    status = contract.status_on(today())
    if status in ("terminated", "expired"):
        raise Conflict(f"contract {contract.id} is {status}: no more proposals")
    return contract


def counter(principal: Principal, contract_id: int, terms: Terms) -> Proposal:
    """Either side proposes new terms; the open proposal is superseded."""
    contract = _negotiable(principal, contract_id)
    tier_list = _checked_terms(terms, _list_prices(contract.product_ids, contract.vendor_id))
    db.session.execute(
        update(Proposal).where(Proposal.contract_id == contract.id, Proposal.status == "open")
        .values(status="superseded", decided_at=utcnow(), decided_by=principal.label)
    )
    number = db.session.scalar(select(func.max(Proposal.number)).where(Proposal.contract_id == contract.id)) + 1
    proposal = _new_proposal(principal, contract, number, terms, tier_list)
    db.session.flush()
    return proposal


def _open_proposal(principal: Principal, contract: Contract, number: int) -> Proposal:
    proposal = db.session.scalars(
        select(Proposal).where(Proposal.contract_id == contract.id, Proposal.number == number)
    ).one_or_none()
    if proposal is None:
        raise NotFound(f"proposal {number} of contract {contract.id} not found")
    if proposal.author_side == _side(principal):
        raise Forbidden(f"proposal {number} is your side's own: only the other side may accept or reject it")
    if proposal.status != "open":
        raise Conflict(f"proposal {number} is {proposal.status}: only the open proposal can be answered")
    return proposal


def _check_no_overlap(contract: Contract) -> None:
    """One product is on at most one contract in effect at a time. The products' rows
    are locked first (in id order), so two acceptances sharing a product are decided
    one after the other and the second sees the first."""
    ids = sorted(contract.product_ids)
    db.session.execute(
        select(Product.id).where(Product.id.in_(ids)).order_by(Product.id).with_for_update(key_share=True)
    )
    start, end = contract.starts_on, contract.effective_end
    clashes = db.session.execute(
        select(ContractItem.product_id, Contract.id).join(Contract)
        .where(
            ContractItem.product_id.in_(ids), Contract.id != contract.id, Contract.accepted_at.is_not(None),
            Contract.starts_on <= end, Contract.ends_on >= start,
            (Contract.terminated_on.is_(None)) | (Contract.terminated_on > start),
        )
        .order_by(ContractItem.product_id)
    ).all()
    if clashes:
        listed = ", ".join(f"product {p} (contract {c})" for p, c in clashes)
        raise Conflict(f"these products are already on a contract for part of this term: {listed}",
                       {"items": [f"product {p} is on contract {c}" for p, c in clashes]})


def accept(principal: Principal, contract_id: int, number: int) -> dict:
    """The side that did not write the open proposal accepts it: its terms become the
    contract's. Racing acceptances: the contract row lock lets one win, the other 409."""
    contract = _negotiable(principal, contract_id)
    proposal = _open_proposal(principal, contract, number)
    # List prices may have moved since the proposal: its item prices must still hold.
    tier_list = [tier_rules.Tier.from_json(t) for t in proposal.tiers]
    if tier_rules.validate(tier_list, _list_prices(contract.product_ids, contract.vendor_id)):
        raise Conflict(f"list prices changed since proposal {number}: counter with terms that fit them")
    _check_no_overlap(contract)
    now = utcnow()
    proposal.status, proposal.decided_at, proposal.decided_by = "accepted", now, principal.label
    contract.tiers = proposal.tiers
    contract.admin_fee_percent = proposal.admin_fee_percent
    contract.admin_fee_disclosure = proposal.admin_fee_disclosure
    contract.admin_fee_settlement = proposal.admin_fee_settlement
    contract.accepted_proposal_number = proposal.number
    contract.accepted_at = now
    audit.record(principal, "proposal.accept", proposal, organization_id=contract.vendor_id,
                 details={"contract_id": contract.id, "number": number})
    audit.record(principal, "contract.terms_agreed", contract,
                 details={"proposal": number, "admin_fee_percent": str(contract.admin_fee_percent),
                          "admin_fee_settlement": contract.admin_fee_settlement})
    db.session.flush()
    for step in features.steps(features.TERMS_AGREED):  # the open cycle's running volumes, for one
        step(contract.id)
    _tell_vendor("contract.proposal.accepted", contract, proposal)
    return view(principal, contract)


def reject(principal: Principal, contract_id: int, number: int) -> Proposal:
    contract = _negotiable(principal, contract_id)
    proposal = _open_proposal(principal, contract, number)
    proposal.status, proposal.decided_at, proposal.decided_by = "rejected", utcnow(), principal.label
    audit.record(principal, "proposal.reject", proposal, organization_id=contract.vendor_id,
                 details={"contract_id": contract.id, "number": number})
    db.session.flush()
    _tell_vendor("contract.proposal.rejected", contract, proposal)
    return proposal


def terminate(principal: Principal, contract_id: int, reason: str) -> dict:
    """MSO ends a contract early, from today, with a reason."""
    contract = policy.load(principal, Contract, contract_id, "contract.terminate", for_update=True)
    status = contract.status_on(today())
    if status in ("terminated", "expired"):
        raise Conflict(f"contract {contract.id} is already {status}")
    contract.terminated_on = today()
    contract.termination_reason = reason
    db.session.execute(
        update(Proposal).where(Proposal.contract_id == contract.id, Proposal.status == "open")
        .values(status="superseded", decided_at=utcnow(), decided_by=principal.label)
    )
    audit.record(principal, "contract.terminate", contract, details={"reason": reason})
    db.session.flush()
    return view(principal, contract)
