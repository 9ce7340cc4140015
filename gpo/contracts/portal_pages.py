"""The vendor portal's proposal pages (WEB.md "Vendor portal pages"): the vendor's
contracts, those with a proposal waiting for it first, and a contract's thread with
the same tier editor and "Check proposal" as the console: counter, accept, reject.
Another vendor's contract is not found (404), as in the API."""
from __future__ import annotations

from flask import url_for

from gpo.contracts import console_pages as shared
from gpo.contracts import negotiation
from gpo.web.shell import page_blueprint

blp = page_blueprint("contract_portal", __name__, "portal", url_prefix="/portal")
BP = "contract_portal"


@blp.get("/proposals")
def contracts():
    return shared.contracts_page(BP, "contracts/portal_proposals.html")


@blp.get("/proposals/<int:contract_id>")
def contract(contract_id: int):
    return shared.thread_page(BP, contract_id)


@blp.post("/proposals/<int:contract_id>/check")
def check_proposal(contract_id: int):
    return shared.check(BP, contract_id)


@blp.post("/proposals/<int:contract_id>/counter")
def counter_proposal(contract_id: int):
    return shared.counter(BP, contract_id)


@blp.post("/proposals/<int:contract_id>/<int:number>/accept")
def accept_proposal(contract_id: int, number: int):
    return shared.answer(BP, contract_id, number, accept=True)


@blp.post("/proposals/<int:contract_id>/<int:number>/reject")
def reject_proposal(contract_id: int, number: int):
    return shared.answer(BP, contract_id, number, accept=False)


def waiting(principal):
    """A vendor's admin: the MSO's proposals on its contracts waiting for an answer (the
    list, or the contract itself when only one waits)."""
    from gpo import web

    count, only = negotiation.waiting_proposals(principal)
    if not count:
        return []
    url = url_for(f"{BP}.contract", contract_id=only) if only is not None else url_for(f"{BP}.contracts")
    return [web.Waiting(f"{count} proposal{'' if count == 1 else 's'} to answer", url)]
