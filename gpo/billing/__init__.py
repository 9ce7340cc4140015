"""Billing: the fair split (`allocate`), invoices, fees, credits, rebates, statements and
reports, and collection through Stripe."""


def register(app) -> None:
    """Invoices, runs, rebates, payments: the routes, the jobs, and billing's steps in
    the close (the practices' draft invoices) and the acknowledgement (refused units
    leave the invoice)."""
    from gpo import features, jobs
    from gpo.billing import payments, purchasing, routes, services

    features.add_blueprint(app, routes.blp)
    jobs.register("billing.membership_run", services.membership_run)
    jobs.register("billing.collect", payments.collect, on_failure=payments.collect_failed)
    features.add_step(app, features.CLOSE, purchasing.draft_purchasing_invoices)
    features.add_step(app, features.ACKNOWLEDGE, purchasing.follow_acknowledgement)
