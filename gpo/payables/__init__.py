"""What the MSO owes its vendors (DOMAIN.md "After the close"): vendor invoices and the
three-way match against the purchase order and the good units received, freight, tax
and price differences passed back to the practices, settlements paying the vendors with
their remittance advice, admin fees netted or remitted, and the vendor scorecard.

Use cases: `invoices` (submitting, matching, disputing, approving), `pass_through` (back
to the practices), `settlements`, `scorecard`; the match's arithmetic in `rules` (no
Flask, no database)."""


def register(app) -> None:
    """Vendor invoices, settlements, the scorecard: the routes, jobs and pages."""
    from gpo.payables import models  # noqa: F401 - the models join the metadata

    _register_invoices(app)
    _register_settlements(app)


def _register_invoices(app) -> None:
    """Vendor invoices: the API, re-matching on receipts, the portal's and console's pages."""
    from gpo import features
    from gpo.payables import invoice_console_pages, invoice_portal_pages, invoice_routes, invoices

    features.add_blueprint(app, invoice_routes.blp)
    features.add_step(app, features.RECEIVE, invoices.rematch)
    invoice_portal_pages.register(app)
    invoice_console_pages.register(app)


def _register_settlements(app) -> None:
    """Settlements, admin fees remitted, the scorecard: the API, the run's job, the
    console's and the portal's pages."""
    from gpo import features, jobs, web
    from gpo.auth import policy
    from gpo.payables import settlement_console_pages, settlement_portal_pages, settlement_routes, settlements

    features.add_blueprint(app, settlement_routes.blp)
    jobs.register(settlements.SETTLEMENT_RUN, settlements.run_settlements)
    web.add_pages(app, settlement_console_pages.blp)
    web.add_pages(app, settlement_portal_pages.blp)
    web.add_nav(app, "console", "Settlements", "settlement_console.settlement_list", roles=policy.MSO_BILLING, order=46)
    web.add_nav(app, "console", "Vendor scorecard", "settlement_console.scorecard_page", order=47)
    web.add_nav(app, "portal", "Settlements", "settlement_portal.settlement_list", roles={"vendor_admin"}, order=45)
    web.add_nav(app, "portal", "Scorecard", "settlement_portal.scorecard_page", order=46)
    web.add_waiting(app, "console", settlement_console_pages.waiting, roles=policy.MSO_BILLING, order=46)
    web.add_words(app, "vendor_settlement", settlement_console_pages.SETTLEMENT_WORDS)
