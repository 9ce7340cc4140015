"""The tier editor's "How the admin fee is paid" select (console and portal): sent as the
proposal's `admin_fee_settlement`, refused at its field, shown on the contract page."""
from __future__ import annotations

from sqlalchemy import select

from gpo.contracts.models import Proposal
from gpo.db import db
from tests.pages import text_of
from tests.web.contract_pages import Negotiation, editor, proposals_of


def test_the_console_editor_sends_netted_and_the_page_shows_it(pages, world):
    Negotiation.made = 0
    deal = Negotiation(world)
    page = pages.as_("mso_procurement")
    form = {**editor(("0", "0", ""), ("120", "7.5", "")), "admin_fee_settlement": "netted"}
    assert page.post(f"{deal.path}/counter", form).status_code == 302
    assert proposals_of(deal.contract_id)[-1] == (3, "open")
    assert db.session.scalars(select(Proposal.admin_fee_settlement).where(
        Proposal.contract_id == deal.contract_id, Proposal.number == 3)).one() == "netted"
    html = page.get(deal.path).get_data(as_text=True)
    assert "How the admin fee is paid" in text_of(html)
    assert "admin fee remitted by the vendor → netted from our payments" in text_of(html)
    vendor = pages.as_("vendor_admin")
    assert vendor.post(f"/portal/proposals/{deal.contract_id}/3/accept").status_code == 302
    shown = text_of(page.get(deal.path).get_data(as_text=True))
    assert "netted from our payments" in shown and "Agreed from proposal 3" in shown


def test_a_bad_settlement_from_the_editor_is_shown_at_its_select(pages, world):
    Negotiation.made = 0
    deal = Negotiation(world)
    page = pages.as_("mso_procurement")
    response = page.post(f"{deal.path}/counter", {**editor(("0", "0", "")), "admin_fee_settlement": "cheque"})
    assert response.status_code == 422
    assert 'id="f-admin_fee_settlement-error"' in response.get_data(as_text=True)
    assert proposals_of(deal.contract_id) == [(1, "superseded"), (2, "open")]
