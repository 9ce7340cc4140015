"""How a feature joins the app. Each feature package has `register(app)` in its
`__init__.py`, the one place that declares what it adds: its blueprint, its jobs, its
visibility rules, and the steps it adds to another feature's process. `create_app`
calls them in a visible order; nothing is wired by the side effect of an import.

A process that other features extend (the close, the vendor's acknowledgement) runs
`steps(PROCESS)` in its own transaction, in the order the steps were added. The lists
live on the app, so two apps (as in tests) never share them.
"""
from __future__ import annotations

from typing import Callable

from flask import Flask, current_app

# The processes other features add steps to, and what each step is called with.
CLOSE = "orders.close"  # step(cycle_id), once the cycle's purchase orders exist
# step(purchase_order_id, line_ids, reason): the practices' order lines pooled in these
# purchase-order lines lost units (refused at acknowledgement, a cancelled backorder, a
# declined or approved substitution, a credited claim); `reason` says which, in words.
ACKNOWLEDGE = "orders.acknowledge"
# step(substitution_id), once a practice approved a substitution and its original units
# were cut: the substitute's goods are billed in place of them, in one move (a draft
# changes in place, an issued invoice gets one credit note for the net difference), so
# the approval does not run the ACKNOWLEDGE steps.
SUBSTITUTE = "orders.substitute"
# step(purchase_order_id, line_ids), once a receipt changed these lines' good units.
RECEIVE = "receiving.receive"
# step(contract_id), once a contract's tiers were agreed (a proposal accepted): what is
# priced at them while a cycle is open (the running volumes) is priced again.
TERMS_AGREED = "contracts.terms_agreed"

_STEPS = "gpo.steps"
_API = "gpo.api"


def init_app(app: Flask, api) -> None:
    app.extensions[_API] = api
    app.extensions[_STEPS] = {}


def add_blueprint(app: Flask, blueprint) -> None:
    """Register a feature's flask-smorest blueprint with the app's API (and its spec)."""
    app.extensions[_API].register_blueprint(blueprint)


def add_step(app: Flask, process: str, step: Callable[..., None]) -> None:
    """Add `step` to `process` (CLOSE, ACKNOWLEDGE), after the steps added before it."""
    steps_of = app.extensions[_STEPS].setdefault(process, [])
    if step not in steps_of:
        steps_of.append(step)


def steps(process: str) -> list[Callable[..., None]]:
    """The steps features added to `process`, in order."""
    return list(current_app.extensions[_STEPS].get(process, []))
