"""Vendor statements, the admin-fee disclosure and the savings report (DOMAIN.md
"Billing"). Aggregates in SQL; the admin-fee shares go through `allocate`, so each
practice's disclosed shares add up to the vendor statements exactly."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select

from gpo.accounts.models import Organization, Practice, Vendor
from gpo.auth import policy
from gpo.auth.principal import Principal
from gpo.catalog.models import Product
from gpo.contracts.models import Contract
from gpo.db import db
from gpo.errors import Invalid
from gpo.money import allocate, percent_of_cents
from gpo.orders.models import Cycle, Order, OrderLine

SOLD = ("priced", "invoiced")  # orders whose lines the close priced and the vendor sells


def closed_between(start: dt.date, end: dt.date):
    """Cycles closed on a day in [start, end] (UTC)."""
    return (Cycle.status == "closed", Cycle.closed_at >= dt.datetime.combine(start, dt.time.min, dt.timezone.utc),
            Cycle.closed_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, dt.timezone.utc))


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise Invalid("the period ends before it starts", {"query": {"to": ["before from"]}})


def _sales(start: dt.date, end: dt.date, vendor_id: int | None = None):
    """(cycle, contract, practice) -> sales cents: the paid cents of the lines the
    vendor sold (after its acknowledgement) in cycles closed in the period."""
    stmt = (
        select(Cycle.id, OrderLine.contract_id, Order.practice_id, func.sum(OrderLine.line_cents))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id).join(Cycle, Cycle.id == Order.cycle_id)
        .where(Order.status.in_(SOLD), *closed_between(start, end))
        .group_by(Cycle.id, OrderLine.contract_id, Order.practice_id)
    )
    if vendor_id is not None:
        stmt = stmt.join(Contract, Contract.id == OrderLine.contract_id).where(Contract.vendor_id == vendor_id)
    return [(c, k, p, int(s or 0)) for c, k, p, s in db.session.execute(stmt).all()]


def vendor_statement(principal: Principal, vendor_id: int, start: dt.date, end: dt.date) -> dict:
    """Sales and the admin fee owed per contract and cycle:
    round_half_up(sales_cents * admin_fee_percent / 100)."""
    vendor = policy.load(principal, Vendor, vendor_id, "vendor_statement.read")
    check_period(start, end)
    by_cycle_contract: dict[tuple[int, int], int] = defaultdict(int)
    for cycle_id, contract_id, _, cents in _sales(start, end, vendor.id):
        by_cycle_contract[cycle_id, contract_id] += cents
    contracts = {c.id: c for c in db.session.scalars(select(Contract).where(
        Contract.id.in_({k for _, k in by_cycle_contract})))}
    cycles = {c.id: c for c in db.session.scalars(select(Cycle).where(Cycle.id.in_({c for c, _ in by_cycle_contract})))}
    rows = []
    for (cycle_id, contract_id), sales in sorted(by_cycle_contract.items()):
        contract, cycle = contracts[contract_id], cycles[cycle_id]
        percent = contract.admin_fee_percent or 0
        rows.append({"cycle_id": cycle_id, "cycle_name": cycle.name, "closed_on": cycle.closed_at.date(),
                     "contract_id": contract_id, "contract_title": contract.title, "sales_cents": sales,
                     "admin_fee_percent": percent, "admin_fee_cents": percent_of_cents(sales, percent)})
    return {"vendor_id": vendor.id, "vendor_name": vendor.name, "from": start, "to": end, "rows": rows,
            "sales_cents": sum(r["sales_cents"] for r in rows),
            "admin_fee_cents": sum(r["admin_fee_cents"] for r in rows)}


def admin_fee_received(cycle_ids) -> dict[tuple[int, int], int]:
    """(cycle, contract) -> admin fees received: the fees netted from settlements of the
    vendor invoices of that cycle's purchase order for the contract (pending or sent),
    plus the remittances finance recorded for it."""
    from gpo.orders.models import PurchaseOrder
    from gpo.payables.models import AdminFeeRemittance, SettlementDeduction, VendorInvoice

    cycle_ids = list(cycle_ids)
    received: dict[tuple[int, int], int] = defaultdict(int)
    if not cycle_ids:
        return received
    netted = (select(PurchaseOrder.cycle_id, SettlementDeduction.contract_id, func.sum(SettlementDeduction.amount_cents))
              .select_from(SettlementDeduction)
              .join(VendorInvoice, VendorInvoice.id == SettlementDeduction.vendor_invoice_id)
              .join(PurchaseOrder, PurchaseOrder.id == VendorInvoice.purchase_order_id)
              .where(PurchaseOrder.cycle_id.in_(cycle_ids), PurchaseOrder.contract_id == SettlementDeduction.contract_id)
              .group_by(PurchaseOrder.cycle_id, SettlementDeduction.contract_id))
    remitted = (select(AdminFeeRemittance.cycle_id, AdminFeeRemittance.contract_id, func.sum(AdminFeeRemittance.amount_cents))
                .where(AdminFeeRemittance.cycle_id.in_(cycle_ids))
                .group_by(AdminFeeRemittance.cycle_id, AdminFeeRemittance.contract_id))
    for stmt in (netted, remitted):
        for cycle_id, contract_id, cents in db.session.execute(stmt).all():
            received[cycle_id, contract_id] += int(cents or 0)
    return received


def admin_fee_shares(start: dt.date, end: dt.date) -> list[dict]:
    """Each practice's share of each (cycle, contract) admin fee owed and received:
    allocate(fee, practice sales, practice ids), the same weights and keys for both."""
    per_fee: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for cycle_id, contract_id, practice_id, cents in _sales(start, end):
        per_fee[cycle_id, contract_id][practice_id] = cents
    contracts = {c.id: c for c in db.session.scalars(select(Contract).where(
        Contract.id.in_({k for _, k in per_fee})))}
    received = admin_fee_received({c for c, _ in per_fee})
    shares = []
    for (cycle_id, contract_id), sales in sorted(per_fee.items()):
        contract = contracts[contract_id]
        fee = percent_of_cents(sum(sales.values()), contract.admin_fee_percent or 0)
        practice_ids = sorted(p for p, cents in sales.items() if cents > 0)
        if not practice_ids:
            continue
        weights = [sales[p] for p in practice_ids]
        owed = allocate(fee, weights, practice_ids)
        got = allocate(received.get((cycle_id, contract_id), 0), weights, practice_ids)
        for practice_id, share, share_received in zip(practice_ids, owed, got, strict=True):
            shares.append({"cycle_id": cycle_id, "contract": contract, "practice_id": practice_id,
                           "sales_cents": sales[practice_id], "admin_fee_cents": share,
                           "admin_fee_received_cents": share_received})
    return shares


def admin_fee_disclosure(principal: Principal, year: int, practice_id: int | None) -> dict:
    """A practice's yearly disclosure: per vendor, its purchases and the admin fees owed
    on them (the practice's share of each vendor statement) beside the fees received
    (its share of the fees netted from settlements and the remittances recorded), with
    each contract's written fee terms. MSO staff may ask for every practice at once."""
    policy.authorize(principal, "disclosure.read")
    if practice_id is None and not principal.is_mso:
        practice_id = principal.organization_id
    if practice_id is not None:
        policy.load(principal, Practice, practice_id, "disclosure.read")
    grouped: dict[tuple[int, int], dict] = {}
    for share in admin_fee_shares(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        if practice_id is not None and share["practice_id"] != practice_id:
            continue
        contract = share["contract"]
        row = grouped.setdefault((share["practice_id"], contract.vendor_id), {
            "practice_id": share["practice_id"], "vendor_id": contract.vendor_id, "purchases_cents": 0,
            "admin_fee_cents": 0, "admin_fee_received_cents": 0, "contracts": {}})
        c = row["contracts"].setdefault(contract.id, {
            "contract_id": contract.id, "contract_title": contract.title, "admin_fee_percent": contract.admin_fee_percent,
            "admin_fee_disclosure": contract.admin_fee_disclosure,
            "admin_fee_settlement": contract.admin_fee_settlement, "purchases_cents": 0, "admin_fee_cents": 0,
            "admin_fee_received_cents": 0})
        for total in (row, c):
            total["purchases_cents"] += share["sales_cents"]
            total["admin_fee_cents"] += share["admin_fee_cents"]
            total["admin_fee_received_cents"] += share["admin_fee_received_cents"]
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_({k for pair in grouped for k in pair}))).all())
    rows = [{**row, "practice_name": names[row["practice_id"]], "vendor_name": names[row["vendor_id"]],
             "contracts": list(row["contracts"].values())} for _, row in sorted(grouped.items())]
    return {"year": year, "practice_id": practice_id, "rows": rows,
            "purchases_cents": sum(r["purchases_cents"] for r in rows),
            "admin_fee_cents": sum(r["admin_fee_cents"] for r in rows),
            "admin_fee_received_cents": sum(r["admin_fee_received_cents"] for r in rows)}


def savings_report(principal: Principal, practice_id: int | None, start: dt.date, end: dt.date) -> dict:
    """List value, paid value and savings per category and vendor, over the cycles
    closed in the period."""
    policy.authorize(principal, "savings_report.read")
    check_period(start, end)
    if practice_id is None and not principal.is_mso:
        practice_id = principal.organization_id
    if practice_id is not None:
        policy.load(principal, Practice, practice_id, "savings_report.read")
    stmt = (
        select(Product.category, Product.vendor_id, Organization.name, func.sum(OrderLine.list_cents),
               func.sum(OrderLine.line_cents), func.sum(OrderLine.savings_cents))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id).join(Cycle, Cycle.id == Order.cycle_id)
        .join(Product, Product.id == OrderLine.product_id).join(Organization, Organization.id == Product.vendor_id)
        .where(Order.status.in_(SOLD), *closed_between(start, end))
        .group_by(Product.category, Product.vendor_id, Organization.name)
        .order_by(Product.category, Organization.name)
    )
    if practice_id is not None:
        stmt = stmt.where(Order.practice_id == practice_id)
    rows = [{"category": category, "vendor_id": vendor_id, "vendor_name": name, "list_cents": int(listed or 0),
             "paid_cents": int(paid or 0), "savings_cents": int(saved or 0)}
            for category, vendor_id, name, listed, paid, saved in db.session.execute(stmt).all()]
    return {"practice_id": practice_id, "from": start, "to": end, "rows": rows,
            "list_cents": sum(r["list_cents"] for r in rows), "paid_cents": sum(r["paid_cents"] for r in rows),
            "savings_cents": sum(r["savings_cents"] for r in rows),
            "months": _savings_by_month(practice_id, start, end)}


def _savings_by_month(practice_id: int | None, start: dt.date, end: dt.date) -> list[dict]:
    """The same sums per calendar month (UTC) of the cycle's close, oldest first: the
    lines of cycles closed in a month count in that month."""
    stmt = (
        select(Cycle.closed_at, func.sum(OrderLine.list_cents), func.sum(OrderLine.line_cents),
               func.sum(OrderLine.savings_cents))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id).join(Cycle, Cycle.id == Order.cycle_id)
        .where(Order.status.in_(SOLD), *closed_between(start, end))
        .group_by(Cycle.id, Cycle.closed_at)
    )
    if practice_id is not None:
        stmt = stmt.where(Order.practice_id == practice_id)
    months: dict[str, dict] = {}
    for closed_at, listed, paid, saved in db.session.execute(stmt).all():  # one row per cycle: few
        month = f"{closed_at:%Y-%m}"
        row = months.setdefault(month, {"month": month, "list_cents": 0, "paid_cents": 0, "savings_cents": 0})
        row["list_cents"] += int(listed or 0)
        row["paid_cents"] += int(paid or 0)
        row["savings_cents"] += int(saved or 0)
    return [months[m] for m in sorted(months)]


def _by(rows: list[dict], key: str, label: str) -> list[dict]:
    grouped: dict = {}
    for r in rows:
        g = grouped.setdefault(r[key], {label: r[label], "list_cents": 0, "paid_cents": 0, "savings_cents": 0})
        for money in ("list_cents", "paid_cents", "savings_cents"):
            g[money] += r[money]
    return [grouped[k] for k in sorted(grouped, key=lambda k: str(grouped[k][label]))]


def savings_dashboard(principal: Principal, practice_id: int | None, start: dt.date, end: dt.date) -> dict:
    """The storefront's savings dashboard for a period: the savings report with its
    months, savings by category and by vendor, the rebates the practice received as
    credits in the period, and the admin-fee disclosure of each calendar year the
    period touches."""
    from gpo.billing.models import Credit, Rebate

    report = savings_report(principal, practice_id, start, end)
    practice_id = report["practice_id"]
    if end.year - start.year > 10:
        raise Invalid("the period spans more than ten years", {"query": {"from": ["at most ten years before to"]}})
    disclosures = [admin_fee_disclosure(principal, year, practice_id) for year in range(start.year, end.year + 1)]
    rebates = []
    if practice_id is not None:
        since = dt.datetime.combine(start, dt.time.min, dt.timezone.utc)
        until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, dt.timezone.utc)
        stmt = (select(Credit, Rebate, Organization.name).join(Rebate, Rebate.id == Credit.rebate_id)
                .join(Organization, Organization.id == Rebate.vendor_id)
                .where(Credit.practice_id == practice_id, Credit.source == "rebate",
                       Credit.created_at >= since, Credit.created_at < until)
                .order_by(Credit.created_at, Credit.id))
        rebates = [{"credit_id": credit.id, "rebate_id": rebate.id, "vendor_name": vendor_name,
                    "description": credit.description, "period_start": rebate.period_start,
                    "period_end": rebate.period_end, "amount_cents": credit.amount_cents,
                    "remaining_cents": credit.remaining_cents, "received_at": credit.created_at}
                   for credit, rebate, vendor_name in db.session.execute(stmt).all()]
    return {**report, "by_category": _by(report["rows"], "category", "category"),
            "by_vendor": _by(report["rows"], "vendor_id", "vendor_name"),
            "rebates": rebates, "rebates_cents": sum(r["amount_cents"] for r in rebates),
            "disclosures": disclosures}


def statement_vendors(principal: Principal) -> list[tuple[int, str]]:
    """The vendors whose statements the principal may read, by name (a vendor: itself)."""
    policy.authorize(principal, "vendor_statement.read")
    stmt = policy.scope(principal, select(Vendor.id, Vendor.name).order_by(Vendor.name, Vendor.id), Vendor.id)
    return [(vendor_id, name) for vendor_id, name in db.session.execute(stmt).all()]


def disclosure_practices(principal: Principal) -> list[tuple[int, str]]:
    """The practices whose admin-fee disclosure the principal may read, by name."""
    policy.authorize(principal, "disclosure.read")
    stmt = policy.scope(principal, select(Practice.id, Practice.name).order_by(Practice.name, Practice.id), Practice.id)
    return [(practice_id, name) for practice_id, name in db.session.execute(stmt).all()]


def disclosure_by_contract(report: dict) -> list[dict]:
    """A disclosure's fees per vendor and contract (summed over its practices), with each
    contract's written fee terms, by vendor then contract."""
    out: dict[int, dict] = {}
    for row in report["rows"]:
        for c in row["contracts"]:
            total = out.setdefault(c["contract_id"], {**c, "vendor_id": row["vendor_id"], "vendor_name": row["vendor_name"],
                                                      "purchases_cents": 0, "admin_fee_cents": 0,
                                                      "admin_fee_received_cents": 0, "practices": 0})
            total["purchases_cents"] += c["purchases_cents"]
            total["admin_fee_cents"] += c["admin_fee_cents"]
            total["admin_fee_received_cents"] += c["admin_fee_received_cents"]
            total["practices"] += 1
    return sorted(out.values(), key=lambda c: (c["vendor_name"], c["contract_title"], c["contract_id"]))
