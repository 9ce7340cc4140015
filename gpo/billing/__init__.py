"""Billing: the fair split (`allocate`), invoices, fees, credits, rebates, statements and
reports, and collection through Stripe."""
