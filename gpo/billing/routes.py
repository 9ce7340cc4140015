"""Billing (API.md "Billing"): invoices, fees, rebates and credits, statements and
reports, Stripe payments and webhooks."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from gpo.api import Blueprint, csv_doc, csv_response, page_of, wants_csv
from gpo.auth.request import current_principal, public
from gpo.billing import invoices, membership, payment_methods, payments, rebates, reports, webhooks
from gpo.billing.schemas import (
    BillingRunInSchema,
    BillingRunSchema,
    CreditNoteInSchema,
    CreditsSchema,
    DefaultFeeScheduleUpdateSchema,
    DisclosureQuerySchema,
    DisclosureSchema,
    FeeScheduleSchema,
    InvoiceQuerySchema,
    InvoiceSchema,
    PaymentAttemptSchema,
    PaymentMethodInSchema,
    PaymentMethodSchema,
    PeriodQuerySchema,
    PracticeFeeScheduleUpdateSchema,
    RebateCreateSchema,
    RebateSchema,
    SavingsQuerySchema,
    SavingsSchema,
    VendorStatementSchema,
    VoidSchema,
    WebhookAnswerSchema,
)
from gpo.idempotency import idempotent

blp = Blueprint("billing", __name__, url_prefix="/api/v1", description="Invoices, fees, rebates, credits, statements, payments")


@blp.route("/invoices")
class Invoices(MethodView):
    @blp.arguments(InvoiceQuerySchema, location="query")
    @blp.response(200, InvoiceSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Invoices, newest first (a practice: its own; MSO finance: all)."""
        pp = pagination_parameters
        return page_of(invoices.list_invoices(current_principal(), filters, pp.page, pp.page_size), pp)


@blp.route("/invoices/<int:invoice_id>")
class InvoiceItem(MethodView):
    @blp.response(200, InvoiceSchema)
    def get(self, invoice_id):
        """An invoice with its lines, credits applied and payment attempts."""
        return invoices.get_invoice(current_principal(), invoice_id)


@blp.route("/invoices/<int:invoice_id>/finalize")
class FinalizeInvoice(MethodView):
    @blp.response(200, InvoiceSchema)
    def post(self, invoice_id):
        """draft -> open (MSO finance): the practice's credits are applied oldest first,
        the invoice gets its number and due date, and never changes again."""
        return invoices.finalize(current_principal(), invoice_id)


@blp.route("/invoices/<int:invoice_id>/void")
class VoidInvoice(MethodView):
    @blp.arguments(VoidSchema)
    @blp.response(200, InvoiceSchema)
    def post(self, data, invoice_id):
        """open (or draft) -> void (MSO finance); credits it used go back to the practice
        and what it billed may be billed again. Purchasing invoices are corrected with
        credit notes instead (409), as is an invoice that already has one."""
        return invoices.void(current_principal(), invoice_id, data["reason"])


@blp.route("/invoices/<int:invoice_id>/credit-notes")
class CreditNotes(MethodView):
    @idempotent(required=True)
    @blp.arguments(CreditNoteInSchema)
    @blp.response(201, InvoiceSchema)
    def post(self, data, invoice_id):
        """Correct an issued invoice (MSO finance; Idempotency-Key required): a credit
        note, whose amount becomes a credit applied to the practice's next invoices. At
        most what the invoice has left to credit."""
        return invoices.credit_invoice(current_principal(), invoice_id, data["amount_cents"], data["reason"])


@blp.route("/invoices/<int:invoice_id>/pay")
class PayInvoice(MethodView):
    @idempotent(required=True)
    @blp.response(202, PaymentAttemptSchema)
    def post(self, invoice_id):
        """Collect an open invoice through a Stripe PaymentIntent on the practice's saved
        payment method (Idempotency-Key required). A background job charges it; the
        invoice turns `paid` when Stripe confirms. A failed payment is retried on a
        schedule, three attempts in all, then the invoice is `uncollectible`."""
        return payments.pay(current_principal(), invoice_id)


@blp.route("/practices/<int:practice_id>/payment-method")
class PaymentMethod(MethodView):
    @blp.response(200, PaymentMethodSchema)
    def get(self, practice_id):
        """The practice's Stripe customer and saved payment method (ids only)."""
        return payment_methods.get_payment_method(current_principal(), practice_id)

    @blp.arguments(PaymentMethodInSchema)
    @blp.response(200, PaymentMethodSchema)
    def put(self, data, practice_id):
        """Save a payment method the storefront collected with Stripe Elements (practice
        admin): attached to the practice's Stripe customer, created when first needed."""
        return payment_methods.save_payment_method(current_principal(), practice_id, data["stripe_payment_method_id"])


@blp.route("/webhooks/stripe")
@public  # Stripe signs instead of signing in
class StripeWebhook(MethodView):
    @blp.doc(parameters=[{
        "in": "header", "name": "Stripe-Signature", "required": True, "schema": {"type": "string"},
        "description": "Stripe's signature of the raw body with the endpoint's webhook secret (`whsec_...`).",
        "example": "t=1764590400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"}],
        requestBody={"required": True, "content": {"application/json": {
            "schema": {"type": "object", "required": ["id", "type", "data"], "properties": {
                "id": {"type": "string"}, "type": {"type": "string"},
                "data": {"type": "object", "required": ["object"], "properties": {"object": {"type": "object"}}}}},
            "example": {"id": "evt_1", "type": "payment_intent.succeeded",
                        "data": {"object": {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}}}}}})
    @blp.response(200, WebhookAnswerSchema)
    def post(self):
        """Stripe's events. The signature is checked on the raw body (400 when it does not
        match); each event id is processed once and a duplicate answers 200."""
        return webhooks.handle_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))


@blp.route("/fee-schedules/default")
class DefaultFeeSchedule(MethodView):
    @blp.response(200, FeeScheduleSchema)
    def get(self):
        """The MSO's default fees."""
        return invoices.get_fee_schedule(current_principal(), None)

    @blp.arguments(DefaultFeeScheduleUpdateSchema)
    @blp.response(200, FeeScheduleSchema)
    def put(self, data):
        """Set the MSO's default fees (MSO finance); every field is required, none null."""
        return invoices.put_fee_schedule(current_principal(), None, data)


@blp.route("/practices/<int:practice_id>/fee-schedule")
class PracticeFeeSchedule(MethodView):
    @blp.response(200, FeeScheduleSchema)
    def get(self, practice_id):
        """The practice's fees in effect: its overrides, else the MSO default."""
        return invoices.get_fee_schedule(current_principal(), practice_id)

    @blp.arguments(PracticeFeeScheduleUpdateSchema, description="The practice's overrides: every field is optional; a null "
                   "or absent field inherits the MSO default, so `{}` inherits every default. The body itself "
                   "(a JSON object) is required.")
    @blp.response(200, FeeScheduleSchema)
    def put(self, data, practice_id):
        """Set the practice's overrides (MSO finance); a null or absent field inherits the
        default (`{}`: every default). Invoices drafted later use them."""
        return invoices.put_fee_schedule(current_principal(), practice_id, data)


@blp.route("/billing-runs")
class BillingRuns(MethodView):
    @blp.arguments(BillingRunInSchema)
    @blp.response(202, BillingRunSchema)
    def post(self, data):
        """A monthly membership run (MSO finance): a background job drafts one membership
        invoice per active practice, the flat fee plus PMPM times the providers active
        on any day of the month. Asking again for the same month returns the same run
        and creates nothing."""
        run, _created = membership.request_billing_run(current_principal(), data)
        return run


@blp.route("/billing-runs/<int:run_id>")
class BillingRunItem(MethodView):
    @blp.response(200, BillingRunSchema)
    def get(self, run_id):
        return membership.get_billing_run(current_principal(), run_id)


@blp.route("/rebates")
class Rebates(MethodView):
    @idempotent()
    @blp.arguments(RebateCreateSchema)
    @blp.response(201, RebateSchema)
    def post(self, data):
        """Record a vendor's rebate (MSO finance). The MSO keeps `retained_percent`; the
        rest is allocated to practices by their invoiced spend on the contract in the
        period, each share a credit on their next invoices. One rebate per contract and
        period (409 for a second)."""
        return rebates.record_rebate(current_principal(), data)


@blp.route("/rebates/<int:rebate_id>")
class RebateItem(MethodView):
    @blp.response(200, RebateSchema)
    def get(self, rebate_id):
        """The rebate and its allocation per practice."""
        return rebates.get_rebate(current_principal(), rebate_id)


@blp.route("/practices/<int:practice_id>/credits")
class Credits(MethodView):
    @blp.response(200, CreditsSchema)
    def get(self, practice_id):
        """The practice's credit balance and each credit's history (where it came from,
        which invoices used it)."""
        return invoices.credits_of(current_principal(), practice_id)


STATEMENT_COLUMNS = ["cycle_id", "cycle_name", "closed_on", "contract_id", "contract_title", "sales_cents",
                     "admin_fee_percent", "admin_fee_cents"]


@blp.route("/vendors/<int:vendor_id>/statements")
class VendorStatements(MethodView):
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, VendorStatementSchema)
    @blp.doc(**csv_doc(VendorStatementSchema, ",".join(STATEMENT_COLUMNS)
                       + "\r\n7,December 2026,2026-12-16,1,Exam room supplies,1250000,2.0000,25000\r\n"))
    def get(self, query, vendor_id):
        """Sales and the admin fee owed per contract and cycle closed in the period (the
        vendor, MSO). `Accept: text/csv` for a spreadsheet."""
        statement = reports.vendor_statement(current_principal(), vendor_id, query["from_"], query["to"])
        if wants_csv():
            return csv_response(statement["rows"], STATEMENT_COLUMNS, f"vendor-{vendor_id}-statement.csv")
        return statement


SAVINGS_COLUMNS = ["category", "vendor_id", "vendor_name", "list_cents", "paid_cents", "savings_cents"]


@blp.route("/reports/savings")
class SavingsReport(MethodView):
    @blp.arguments(SavingsQuerySchema, location="query")
    @blp.response(200, SavingsSchema)
    @blp.doc(**csv_doc(SavingsSchema, ",".join(SAVINGS_COLUMNS) + "\r\nsupplies,5,Acme Medical Supply,79960,69965,9995\r\n"))
    def get(self, query):
        """List value, paid value and savings per category and vendor over the cycles
        closed in the period (a practice: its own). `Accept: text/csv` for a spreadsheet."""
        report = reports.savings_report(current_principal(), query.get("practice_id"), query["from_"], query["to"])
        if wants_csv():
            return csv_response(report["rows"], SAVINGS_COLUMNS, "savings.csv")
        return report


DISCLOSURE_COLUMNS = ["practice_id", "practice_name", "vendor_id", "vendor_name", "purchases_cents", "admin_fee_cents",
                      "admin_fee_received_cents"]


@blp.route("/reports/admin-fee-disclosure")
class AdminFeeDisclosure(MethodView):
    @blp.arguments(DisclosureQuerySchema, location="query")
    @blp.response(200, DisclosureSchema)
    @blp.doc(**csv_doc(DisclosureSchema, ",".join(DISCLOSURE_COLUMNS)
                       + "\r\n3,Lakeside Family Medicine,5,Acme Medical Supply,84210,1684,1684\r\n"))
    def get(self, query):
        """The yearly disclosure: per vendor, the admin fees owed on this practice's
        purchases (its share of each vendor statement, so the shares add up to the
        statements exactly) and the fees received (its share, by the same weights, of
        the fees netted from settlements and the remittances recorded). `Accept:
        text/csv` for a spreadsheet."""
        report = reports.admin_fee_disclosure(current_principal(), query["year"], query.get("practice_id"))
        if wants_csv():
            return csv_response(report["rows"], DISCLOSURE_COLUMNS, f"admin-fee-disclosure-{query['year']}.csv")
        return report
