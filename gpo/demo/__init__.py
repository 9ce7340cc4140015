"""Demo data for `flask gpo seed-demo` (idempotent): enough to sign in as every kind of
user and see each feature working. Each feature adds its own section: a module here
(accounts, catalog, contracts, purchasing, billing, after_close, insurance, staffing) whose
`seed_<section>()` creates what is missing and returns the lines to print, listed in
`seed()` in the order the sections run; what sections share is in `common`. The
notifications section comes right after the accounts, so the webhook endpoints it sets
up receive the later sections' events; at the end, what is still waiting is delivered
(`dispatch_and_report`)."""
from __future__ import annotations

from gpo.db import unit_of_work
from gpo.demo.accounts import DEMO_PASSWORD, DEMO_VENDOR_API_KEY, seed_accounts
from gpo.demo.after_close import seed_after_close
from gpo.demo.billing import seed_billing, seed_fees
from gpo.demo.catalog import seed_catalog
from gpo.demo.contracts import seed_contracts
from gpo.demo.insurance import seed_insurance
from gpo.demo.leasing import seed_leasing
from gpo.demo.notifications import dispatch_and_report, seed_notifications
from gpo.demo.purchasing import seed_purchasing
from gpo.demo.rebates import seed_rebates
from gpo.demo.staffing import seed_staffing

__all__ = [
    "DEMO_PASSWORD", "DEMO_VENDOR_API_KEY", "seed", "seed_accounts", "seed_after_close", "seed_billing", "seed_catalog",
    "seed_contracts", "seed_fees", "seed_insurance", "seed_leasing", "seed_notifications", "seed_purchasing",
    "seed_staffing",
]


def seed() -> list[str]:
    """Each section is one unit of work (the CLI command is the edge); the outbox's
    dispatch at the end is an edge of its own, outside them."""
    lines: list[str] = []
    for section in (seed_accounts, seed_notifications, seed_catalog, seed_contracts, seed_fees, seed_purchasing,
                    seed_billing, seed_rebates, seed_after_close, seed_insurance, seed_staffing, seed_leasing):
        with unit_of_work():
            lines += section()
    lines += dispatch_and_report()
    return lines + [f"Every demo user's password: {DEMO_PASSWORD}"]
