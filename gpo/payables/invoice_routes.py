"""Vendor invoices over the API (API.md "After the close"): the vendor (its user or API
key) invoices a purchase order; MSO finance disputes or approves an exception with a
reason; both read, with each line's three-way match."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.payables import invoices
from gpo.payables.invoice_schemas import (
    DECISION_EXAMPLE,
    VENDOR_INVOICE_EXAMPLE,
    VendorInvoiceDecisionSchema,
    VendorInvoiceInSchema,
    VendorInvoiceQuerySchema,
    VendorInvoiceSchema,
)

blp = Blueprint("vendor_invoices", __name__, url_prefix="/api/v1",
                description="Vendor invoices and their three-way match against the purchase order and receipts")


@blp.route("/vendors/<int:vendor_id>/invoices")
class VendorInvoices(MethodView):
    @idempotent()
    @blp.arguments(VendorInvoiceInSchema, example=VENDOR_INVOICE_EXAMPLE)
    @blp.response(201, VendorInvoiceSchema)
    def post(self, data, vendor_id):
        """Invoice one of the vendor's purchase orders (Idempotency-Key recommended). Each
        line is matched against the line's contract price (MATCH_TOLERANCE_CENTS above it
        is allowed) and the good units received: all matched, the invoice is approved and
        its freight, tax and favourable differences go to the practices; otherwise it
        waits for receipts (pending_receipt) or for MSO finance (exception). Refused with
        nothing written: another vendor's purchase order (404), a line not on it or twice,
        tax for a location it does not ship to, more units than a line may deliver over
        the vendor's invoices (422), a number the vendor used already (409). A corrected
        invoice names the disputed one it replaces (`replaces_invoice_id`)."""
        return invoices.submit(current_principal(), vendor_id, data)


@blp.route("/vendor-invoices")
class VendorInvoiceList(MethodView):
    @blp.arguments(VendorInvoiceQuerySchema, location="query")
    @blp.response(200, VendorInvoiceSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Vendor invoices, newest first, with each line's match (a vendor: its own; MSO: all)."""
        pp = pagination_parameters
        return page_of(invoices.list_vendor_invoices(current_principal(), filters, pp.page, pp.page_size), pp)


@blp.route("/vendor-invoices/<int:invoice_id>")
class VendorInvoiceItem(MethodView):
    @blp.response(200, VendorInvoiceSchema)
    def get(self, invoice_id):
        """A vendor invoice with each line's match result and its tax per location."""
        return invoices.get_vendor_invoice(current_principal(), invoice_id)


@blp.route("/vendor-invoices/<int:invoice_id>/dispute")
class Dispute(MethodView):
    @idempotent()
    @blp.arguments(VendorInvoiceDecisionSchema, example=DECISION_EXAMPLE)
    @blp.response(200, VendorInvoiceSchema)
    def post(self, data, invoice_id):
        """Send an invoice with an exception (or waiting for receipts) back to the vendor,
        with the reason (MSO finance; audited). The vendor answers with a corrected invoice
        that replaces it. A decided invoice: 409."""
        return invoices.dispute(current_principal(), invoice_id, data["reason"])


@blp.route("/vendor-invoices/<int:invoice_id>/approve")
class Approve(MethodView):
    @idempotent()
    @blp.arguments(VendorInvoiceDecisionSchema, example=DECISION_EXAMPLE)
    @blp.response(200, VendorInvoiceSchema)
    def post(self, data, invoice_id):
        """Approve an invoice over its exceptions (or before its receipts) with the reason
        (MSO finance; audited): its freight, tax and favourable differences go to the
        practices. A decided invoice: 409."""
        return invoices.approve(current_principal(), invoice_id, data["reason"])
