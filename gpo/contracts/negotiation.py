"""What the console's and the portal's negotiation pages read: the contracts with the
proposal waiting on each side, a contract's thread with what each proposal changed,
a draft proposal checked against every rule (without writing anything), and what
waits for MSO procurement or a vendor. The use cases that write are in `services`."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import func, select

from gpo.accounts.models import Organization, Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.contracts import rules, services
from gpo.contracts.models import Contract, ContractItem, Proposal
from gpo.db import Paged, db


class ContractListFilters(TypedDict, total=False):
    vendor_id: int
    status: str
    q: str  # words of the title


@dataclass
class ContractRow:
    """A contract as a list shows it: its view, the vendor's name, and its open
    proposal (None when none is open) with the side that wrote it."""

    contract: dict
    vendor_name: str
    open_number: int | None = None
    open_side: str | None = None

    @property
    def waiting_on(self) -> str | None:
        """Who answers the open proposal: "mso" or "vendor"."""
        if self.open_side is None:
            return None
        return "vendor" if self.open_side == "mso" else "mso"


def _side(principal: Principal) -> str:
    return "mso" if principal.is_mso else "vendor"


def contract_rows(principal: Principal, filters: ContractListFilters, page: int, page_size: int) -> Paged:
    """The contracts the principal may negotiate or read (MSO staff all, a vendor its
    own), newest first, with who each waits on; a vendor's list starts with those
    waiting for it. Four statements, whatever the page size."""
    policy.authorize(principal, "contract.thread")
    today = services.today()
    waiting_for_me = (
        select(Proposal.contract_id)
        .where(Proposal.status == "open", Proposal.author_side != _side(principal))
    )
    stmt = select(Contract)
    if principal.org_type == "vendor":
        stmt = stmt.where(Contract.vendor_id == principal.organization_id)
    if filters.get("vendor_id") is not None:
        stmt = stmt.where(Contract.vendor_id == filters["vendor_id"])
    if filters.get("status"):
        stmt = stmt.where(Contract.status_expression(today) == filters["status"])
    if filters.get("q"):
        for word in filters["q"].split()[:5]:
            stmt = stmt.where(Contract.title.ilike(f"%{word.replace('%', '').replace('_', '')}%"))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    offset = (page - 1) * page_size
    if offset >= total:
        return Paged(items=[], total=total)
    order = (Contract.id.in_(waiting_for_me)).desc()
    contracts = db.session.scalars(stmt.order_by(order, Contract.id.desc()).limit(page_size).offset(offset)).all()
    ids = [c.id for c in contracts]
    names = dict(db.session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_({c.vendor_id for c in contracts}))
    ).all())
    open_ = {r.contract_id: r for r in db.session.execute(
        select(Proposal.contract_id, Proposal.number, Proposal.author_side)
        .where(Proposal.contract_id.in_(ids), Proposal.status == "open")
    )}
    rows = []
    for c in contracts:
        proposal = open_.get(c.id)
        rows.append(ContractRow(services.view(principal, c), names.get(c.vendor_id, ""),
                                proposal.number if proposal else None, proposal.author_side if proposal else None))
    return Paged(items=rows, total=total)


def vendor_choices(principal: Principal) -> list[tuple[int, str]]:
    """Every vendor, by name (the list's filter and the new-contract form)."""
    policy.authorize(principal, "contract.thread")
    if principal.org_type == "vendor":
        return []
    return [(r.id, r.name) for r in db.session.execute(select(Vendor.id, Vendor.name).order_by(Vendor.name))]


@dataclass
class ProductChoice:
    id: int
    vendor_id: int
    vendor_name: str
    sku: str
    name: str
    list_price: Decimal


@dataclass
class NewContractForm:
    vendors: list[tuple[int, str]]
    products: list[ProductChoice]  # the chosen vendor's active products


def new_contract_form(principal: Principal, vendor_id: int | None) -> NewContractForm:
    """What the new-contract form offers: the vendors, and the chosen vendor's active
    products (a contract's items must be those). MSO staff only."""
    policy.authorize(principal, "contract.thread")
    vendors = vendor_choices(principal)
    products: list[ProductChoice] = []
    if vendor_id is not None:
        products = [ProductChoice(r.id, r.vendor_id, r.name_1, r.sku, r.name, r.list_price) for r in db.session.execute(
            select(Product.id, Product.vendor_id, Organization.name.label("name_1"), Product.sku, Product.name,
                   Product.list_price)
            .join(Organization, Organization.id == Product.vendor_id)
            .where(Product.vendor_id == vendor_id, Product.active.is_(True)).order_by(Product.sku)
        )]
    return NewContractForm(vendors, products)


@dataclass
class ThreadEntry:
    proposal: Proposal
    changes: list[str]  # what it changed from the proposal before it


@dataclass
class Thread:
    """A contract's negotiation as its page shows it."""

    contract: dict  # services.view
    vendor_name: str
    items: list[ProductChoice]
    entries: list[ThreadEntry] = field(default_factory=list)
    open_proposal: Proposal | None = None
    latest: Proposal | None = None  # the newest proposal (the editor starts from its terms)
    side: str = "mso"  # the reader's side

    @property
    def status(self) -> str:
        return self.contract["status"]

    @property
    def negotiable(self) -> bool:
        return self.status not in ("terminated", "expired")

    @property
    def answerable(self) -> bool:
        """The open proposal is the other side's: the reader may accept or reject it."""
        return self.open_proposal is not None and self.open_proposal.author_side != self.side


def _as_terms(proposal: Proposal) -> dict:
    return {"tiers": proposal.tiers, "admin_fee_percent": proposal.admin_fee_percent,
            "admin_fee_disclosure": proposal.admin_fee_disclosure, "admin_fee_settlement": proposal.admin_fee_settlement}


def _items(contract_id: int) -> list[ProductChoice]:
    """A contract's items with their list prices, by product id (the ids fixed prices name)."""
    return [ProductChoice(r.id, r.vendor_id, "", r.sku, r.name, r.list_price) for r in db.session.execute(
        select(Product.id, Product.vendor_id, Product.sku, Product.name, Product.list_price)
        .join(ContractItem, ContractItem.product_id == Product.id)
        .where(ContractItem.contract_id == contract_id).order_by(Product.id)
    )]


def items_of(principal: Principal, contract_id: int) -> list[ProductChoice]:
    """The items of a contract the principal sees (404 otherwise), as the thread lists them."""
    contract = policy.load(principal, Contract, contract_id, "contract.thread")
    return _items(contract.id)


def thread(principal: Principal, contract_id: int) -> Thread:
    """The contract, its items with their list prices, and every proposal (oldest
    first) with what it changed from the one before: MSO staff and the contract's
    vendor (404 for anyone else)."""
    contract = policy.load(principal, Contract, contract_id, "contract.thread")
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.contract_id == contract.id).order_by(Proposal.number)
    ).all()
    items = _items(contract.id)
    vendor_name = db.session.scalar(select(Organization.name).where(Organization.id == contract.vendor_id)) or ""
    entries, previous = [], None
    for proposal in proposals:
        entries.append(ThreadEntry(proposal, rules.proposal_changes(previous, _as_terms(proposal))))
        previous = _as_terms(proposal)
    open_proposal = next((p for p in proposals if p.status == "open"), None)
    return Thread(services.view(principal, contract), vendor_name, items, entries, open_proposal,
                  proposals[-1] if proposals else None, _side(principal))


def check_counter(principal: Principal, contract_id: int, terms: services.Terms) -> dict:
    """Every rule a draft counter-proposal breaks (rules.check_proposal, the messages
    the API's counter answers with), without writing anything; empty if none. Only
    those who may negotiate the contract may check (403), on contracts they see (404)."""
    contract = policy.load(principal, Contract, contract_id, "contract.negotiate")
    prices = dict(db.session.execute(
        select(Product.id, Product.list_price).where(Product.id.in_(contract.product_ids))
    ).all())
    return rules.check_proposal(services.tiers_of(terms), terms["admin_fee_percent"],
                                terms.get("admin_fee_disclosure"), prices)


def proposals_to_answer(principal: Principal) -> int:
    """How many open proposals wait for the principal's side (MSO staff: the vendors'
    proposals; a vendor: the MSO's proposals on its contracts). One count."""
    return waiting_proposals(principal)[0]


def waiting_proposals(principal: Principal) -> tuple[int, int | None]:
    """How many open proposals wait for the principal's side, and the contract of the
    one when exactly one waits (else None): one query."""
    stmt = select(func.count(Proposal.id), func.min(Proposal.contract_id)).where(
        Proposal.status == "open", Proposal.author_side != _side(principal))
    if principal.org_type == "vendor":
        stmt = stmt.join(Contract, Contract.id == Proposal.contract_id).where(
            Contract.vendor_id == principal.organization_id)
    count, contract_id = db.session.execute(stmt).one()
    count = count or 0
    return count, (contract_id if count == 1 else None)
