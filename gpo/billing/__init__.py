"""Billing: the fair split (`allocate`), invoices, fees, credits, rebates, statements and
reports, and collection through Stripe.

Use cases: `invoices` (fee schedules, drafting, numbering, finalizing, voiding, credit
notes, credits), `rebates`, `membership` (the monthly run), `purchasing` (the close's
invoices), `payments` (paying and the collection job), `payment_methods` (the saved
card), `webhooks` (Stripe's events), `reports`; pure rules in `rules`; typed inputs in
`inputs`. Other features draft and issue their invoices through
`invoices.draft_invoice()` and `invoices.issue()`."""


def register(app) -> None:
    """Invoices, runs, rebates, payments: the routes, the jobs, and billing's steps in
    the close (the practices' draft invoices) and the acknowledgement (refused units
    leave the invoice)."""
    from gpo import features, web
    from gpo.billing import (
        console_pages,
        finance_pages,
        membership,
        pages,
        payments,
        portal_pages,
        purchasing,
        routes,
    )

    features.add_blueprint(app, routes.blp)
    web.add_pages(app, pages.blp)
    web.add_nav(app, "storefront", "Invoices", "billing_pages.invoice_list", order=60)
    web.add_nav(app, "storefront", "Billing", "billing_pages.billing", order=70)
    web.add_nav(app, "storefront", "Savings", "billing_pages.savings", order=80)
    web.add_words(app, "invoice", pages.INVOICE_WORDS)
    web.add_words(app, "invoice_kind", pages.INVOICE_KIND_WORDS)
    web.add_words(app, "credit_note", pages.CREDIT_NOTE_WORDS)
    web.add_words(app, "payment", pages.PAYMENT_WORDS)
    web.add_pages(app, finance_pages.blp)
    web.add_nav(app, "console", "Rebates & fees", "finance_console.rebate_list", order=45)
    web.add_words(app, "rebate_credit", finance_pages.REBATE_CREDIT_WORDS)
    web.add_pages(app, portal_pages.blp)
    web.add_nav(app, "portal", "Statements", "statement_portal.statements", roles={"vendor_admin"}, order=40)
    console_pages.register(app)  # the console's invoices and billing runs
    membership.MEMBERSHIP_RUN.register(membership.bill_month)
    payments.COLLECTION.register(payments.collect_attempt, on_failed_for_good=payments.give_up)
    features.add_step(app, features.CLOSE, purchasing.draft_purchasing_invoices)
    features.add_step(app, features.ACKNOWLEDGE, purchasing.follow_acknowledgement)
    features.add_step(app, features.SUBSTITUTE, purchasing.follow_substitution)
