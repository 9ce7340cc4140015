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


def _register_invoices(app) -> None:
    """Vendor invoices: the API, re-matching on receipts, the portal's and console's pages."""
    from gpo import features
    from gpo.payables import invoice_console_pages, invoice_portal_pages, invoice_routes, invoices

    features.add_blueprint(app, invoice_routes.blp)
    features.add_step(app, features.RECEIVE, invoices.rematch)
    invoice_portal_pages.register(app)
    invoice_console_pages.register(app)
