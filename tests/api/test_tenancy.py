"""The tenancy matrix: every route that takes an id, called by principals of another
practice, another vendor, and by a role that may see but not act.

Outside one's tenancy the answer is 404 (as if the object did not exist); inside it,
a role that may not act gets 403. A new route with an id fails
`test_every_route_with_an_id_is_in_the_matrix` until it is added here.
"""
from __future__ import annotations

import datetime as dt

import pytest

from gpo.billing.models import BillingRun, Invoice, InvoiceLine, Rebate
from gpo.catalog.models import CatalogImport
from gpo.contracts.models import Proposal
from gpo.db import db, utcnow
from gpo.insurance.models import Enrollment, InsuranceProgram
from gpo.jobs import Job
from gpo.leasing.models import Occupancy, Space
from gpo.orders.models import (
    CycleContractResult,
    Order,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderLine,
    SavedList,
    SavedListItem,
)
from gpo.staffing.models import Assignment, Availability, CostRun, ShiftRequest, StaffMember, Timesheet
from tests.factories import (
    AssetFactory,
    ContractFactory,
    CycleFactory,
    LeaseFactory,
    ProductFactory,
    ProviderFactory,
    signed_lease,
)
from tests.helpers import assert_error

OUTSIDERS_OF_PRACTICE = {"other_practice_admin": 404, "other_vendor_admin": 404, "vendor_key": 404}
OUTSIDERS_OF_VENDOR = {"other_vendor_admin": 404, "other_vendor_key": 404, "practice_admin": 404}
NOT_MSO = {"practice_admin": 404, "vendor_key": 404, "other_vendor_admin": 404}
OUTSIDERS_OF_BOTH = {"other_practice_admin": 404, "other_vendor_admin": 404, "other_vendor_key": 404}

USER_BODY = {"email": "new@example.test", "name": "N", "password": "long-enough-password", "roles": ["practice_buyer"]}
LOCATION_BODY = {"name": "Annex", "line1": "2 Main", "city": "Madison", "state": "WI", "postal_code": "53703"}
TERMS_BODY = {"tiers": [{"min_volume": 0, "discount_percent": "0"}], "admin_fee_percent": "1"}
PRODUCT_BODY = {"sku": "NEW-1", "name": "New", "category": "supplies", "list_price": "1.00"}
PROVIDER_BODY = {"first_name": "A", "last_name": "B", "npi": "1245319599", "specialty": "pediatrics", "active_from": "2026-01-01"}

# (method, rule, path template, body, {principal: expected status}); OWNERS below names
# who may do it, to show the route really works for them.
MATRIX = [
    ("GET", "/api/v1/practices/<int:practice_id>", "/api/v1/practices/{practice}", None,
     OUTSIDERS_OF_PRACTICE),
    ("PATCH", "/api/v1/practices/<int:practice_id>", "/api/v1/practices/{practice}", {"name": "X"},
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_finance": 403}),
    ("GET", "/api/v1/practices/<int:practice_id>/locations", "/api/v1/practices/{practice}/locations", None,
     OUTSIDERS_OF_PRACTICE),
    ("POST", "/api/v1/practices/<int:practice_id>/locations", "/api/v1/practices/{practice}/locations", LOCATION_BODY,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "practice_physician": 403, "mso_procurement": 403}),
    ("GET", "/api/v1/practices/<int:practice_id>/providers", "/api/v1/practices/{practice}/providers", None,
     OUTSIDERS_OF_PRACTICE),
    ("POST", "/api/v1/practices/<int:practice_id>/providers", "/api/v1/practices/{practice}/providers", PROVIDER_BODY,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_finance": 403}),
    ("GET", "/api/v1/practices/<int:practice_id>/users", "/api/v1/practices/{practice}/users", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_finance": 403}),
    ("POST", "/api/v1/practices/<int:practice_id>/users", "/api/v1/practices/{practice}/users", USER_BODY,
     {**OUTSIDERS_OF_PRACTICE, "practice_physician": 403, "mso_procurement": 403}),
    ("GET", "/api/v1/providers/<int:provider_id>", "/api/v1/providers/{provider}", None,
     OUTSIDERS_OF_PRACTICE),
    ("PATCH", "/api/v1/providers/<int:provider_id>", "/api/v1/providers/{provider}", {"last_name": "Y"},
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_finance": 403}),
    ("GET", "/api/v1/vendors/<int:vendor_id>", "/api/v1/vendors/{vendor}", None,
     OUTSIDERS_OF_VENDOR),
    ("PATCH", "/api/v1/vendors/<int:vendor_id>", "/api/v1/vendors/{vendor}", {"name": "Z"},
     {**OUTSIDERS_OF_VENDOR, "vendor_key": 403, "mso_finance": 403}),
    ("GET", "/api/v1/vendors/<int:vendor_id>/users", "/api/v1/vendors/{vendor}/users", None,
     {**OUTSIDERS_OF_VENDOR, "vendor_key": 403, "mso_procurement": 403}),
    ("POST", "/api/v1/vendors/<int:vendor_id>/users", "/api/v1/vendors/{vendor}/users",
     {**USER_BODY, "roles": ["vendor_admin"]},
     {**OUTSIDERS_OF_VENDOR, "vendor_key": 403, "mso_finance": 403}),
    ("GET", "/api/v1/vendors/<int:vendor_id>/api-keys", "/api/v1/vendors/{vendor}/api-keys", None,
     {**OUTSIDERS_OF_VENDOR, "vendor_key": 403, "mso_procurement": 403}),  # MSO admins oversee (list only)
    ("POST", "/api/v1/vendors/<int:vendor_id>/api-keys", "/api/v1/vendors/{vendor}/api-keys", {"name": "k"},
     {**OUTSIDERS_OF_VENDOR, "vendor_key": 403, "mso_admin": 403}),
    ("DELETE", "/api/v1/api-keys/<int:api_key_id>", "/api/v1/api-keys/{api_key}", None,
     {**OUTSIDERS_OF_VENDOR, "vendor_key": 403, "mso_admin": 403}),
    ("GET", "/api/v1/jobs/<int:job_id>", "/api/v1/jobs/{job}", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403}),
    # catalog: a product is its vendor's; practices see only active ones (inactive: 404)
    ("GET", "/api/v1/products/<int:product_id>", "/api/v1/products/{inactive_product}", None,
     {"other_vendor_key": 404, "other_vendor_admin": 404, "practice_buyer": 404}),
    # an active product is visible to practices, so they get 403 for edits, not 404
    ("PATCH", "/api/v1/products/<int:product_id>", "/api/v1/products/{product}", {"name": "X"},
     {"other_vendor_admin": 404, "other_vendor_key": 404, "practice_admin": 403, "mso_finance": 403}),
    ("DELETE", "/api/v1/products/<int:product_id>", "/api/v1/products/{product}", None,
     {"other_vendor_admin": 404, "other_vendor_key": 404, "practice_admin": 403, "mso_procurement": 403}),
    ("POST", "/api/v1/vendors/<int:vendor_id>/products", "/api/v1/vendors/{vendor}/products", PRODUCT_BODY,
     {**OUTSIDERS_OF_VENDOR, "mso_procurement": 403}),
    ("GET", "/api/v1/vendors/<int:vendor_id>/catalog-imports", "/api/v1/vendors/{vendor}/catalog-imports", None,
     OUTSIDERS_OF_VENDOR),
    ("POST", "/api/v1/vendors/<int:vendor_id>/catalog-imports", "/api/v1/vendors/{vendor}/catalog-imports",
     {"products": [PRODUCT_BODY]}, {**OUTSIDERS_OF_VENDOR, "mso_procurement": 403}),
    ("GET", "/api/v1/catalog-imports/<int:import_id>", "/api/v1/catalog-imports/{catalog_import}", None,
     {**OUTSIDERS_OF_VENDOR, "practice_buyer": 404}),
    # contracts: the vendor's own; practices see those in effect but never the thread
    ("GET", "/api/v1/contracts/<int:contract_id>", "/api/v1/contracts/{negotiating_contract}", None,
     {"other_vendor_key": 404, "other_vendor_admin": 404, "practice_buyer": 404}),
    ("GET", "/api/v1/contracts/<int:contract_id>/proposals", "/api/v1/contracts/{contract}/proposals", None,
     {"other_vendor_key": 404, "other_vendor_admin": 404, "practice_buyer": 403}),
    ("POST", "/api/v1/contracts/<int:contract_id>/proposals", "/api/v1/contracts/{negotiating_contract}/proposals",
     TERMS_BODY, {"other_vendor_key": 404, "practice_admin": 404, "mso_finance": 403}),
    ("POST", "/api/v1/contracts/<int:contract_id>/proposals/<int:number>/accept",
     "/api/v1/contracts/{negotiating_contract}/proposals/1/accept", None,
     {"other_vendor_key": 404, "practice_admin": 404, "mso_finance": 403}),
    ("POST", "/api/v1/contracts/<int:contract_id>/proposals/<int:number>/reject",
     "/api/v1/contracts/{negotiating_contract}/proposals/1/reject", None,
     {"other_vendor_key": 404, "practice_admin": 404, "mso_finance": 403}),
    ("POST", "/api/v1/contracts/<int:contract_id>/terminate", "/api/v1/contracts/{contract}/terminate",
     {"reason": "test"}, {"other_vendor_key": 404, "vendor_admin": 403, "practice_admin": 403, "mso_finance": 403}),
    # cycles are everyone's calendar; only MSO procurement runs them
    ("GET", "/api/v1/cycles/<int:cycle_id>", "/api/v1/cycles/{open_cycle}", None, {}),
    ("POST", "/api/v1/cycles/<int:cycle_id>/open", "/api/v1/cycles/{scheduled_cycle}/open", None,
     {"practice_admin": 403, "vendor_admin": 403, "mso_finance": 403}),
    ("POST", "/api/v1/cycles/<int:cycle_id>/close", "/api/v1/cycles/{open_cycle}/close", None,
     {"practice_admin": 403, "vendor_key": 403, "mso_finance": 403}),
    ("GET", "/api/v1/cycles/<int:cycle_id>/results", "/api/v1/cycles/{closed_cycle}/results", None, {}),
    ("GET", "/api/v1/contracts/<int:contract_id>/tier-progress", "/api/v1/contracts/{contract}/tier-progress",
     None, {"other_vendor_key": 404, "other_vendor_admin": 404}),
    # orders are their practice's; approving is a physician's of that practice
    ("GET", "/api/v1/orders/<int:order_id>", "/api/v1/orders/{order}", None,
     {**OUTSIDERS_OF_PRACTICE, "other_vendor_key": 404}),
    ("PATCH", "/api/v1/orders/<int:order_id>", "/api/v1/orders/{order}", {"lines": [{"product_id": 1, "quantity": 1}]},
     {**OUTSIDERS_OF_PRACTICE, "mso_finance": 403}),
    ("POST", "/api/v1/orders/<int:order_id>/submit", "/api/v1/orders/{order}/submit", None,
     {**OUTSIDERS_OF_PRACTICE, "mso_finance": 403}),
    ("POST", "/api/v1/orders/<int:order_id>/approve", "/api/v1/orders/{order}/approve", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_admin": 403}),
    ("POST", "/api/v1/orders/<int:order_id>/cancel", "/api/v1/orders/{order}/cancel", None,
     {**OUTSIDERS_OF_PRACTICE, "mso_finance": 403}),
    ("POST", "/api/v1/orders/<int:order_id>/copy-to-cycle", "/api/v1/orders/{missed_order}/copy-to-cycle", None,
     {**OUTSIDERS_OF_PRACTICE, "mso_finance": 403}),
    # saved lists are their practice's; its admins and buyers change them
    ("GET", "/api/v1/saved-lists/<int:list_id>", "/api/v1/saved-lists/{saved_list}", None, OUTSIDERS_OF_PRACTICE),
    ("DELETE", "/api/v1/saved-lists/<int:list_id>", "/api/v1/saved-lists/{saved_list}", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_physician": 403}),
    ("POST", "/api/v1/saved-lists/<int:list_id>/items", "/api/v1/saved-lists/{saved_list}/items",
     lambda ids: {"product_id": ids["product"], "quantity": 1}, {**OUTSIDERS_OF_PRACTICE, "practice_physician": 403}),
    ("DELETE", "/api/v1/saved-lists/<int:list_id>/items/<int:product_id>",
     "/api/v1/saved-lists/{saved_list}/items/{product}", None, {**OUTSIDERS_OF_PRACTICE, "practice_physician": 403}),
    ("POST", "/api/v1/saved-lists/<int:list_id>/add-to-cart", "/api/v1/saved-lists/{saved_list}/add-to-cart",
     lambda ids: {"location_id": ids["location"]}, OUTSIDERS_OF_PRACTICE),
    # purchase orders are their vendor's
    ("GET", "/api/v1/purchase-orders/<int:purchase_order_id>", "/api/v1/purchase-orders/{purchase_order}", None,
     {**OUTSIDERS_OF_VENDOR, "practice_buyer": 404}),
    ("POST", "/api/v1/purchase-orders/<int:purchase_order_id>/acknowledge",
     "/api/v1/purchase-orders/{purchase_order}/acknowledge",
     lambda ids: {"lines": [{"line_id": ids["open_po_line"], "accepted_quantity": 1}]},
     {**OUTSIDERS_OF_VENDOR, "mso_procurement": 403}),
    ("POST", "/api/v1/purchase-orders/<int:purchase_order_id>/shipments",
     "/api/v1/purchase-orders/{purchase_order}/shipments",
     lambda ids: {"carrier": "UPS", "tracking_number": "1Z", "lines": [
         {"line_id": ids["acked_po_line"], "location_id": ids["location"], "quantity": 1}]},
     {**OUTSIDERS_OF_VENDOR, "mso_procurement": 403}),
    # after the close: backorders and substitutions are the vendor's and the location's practice's
    ("POST", "/api/v1/backorders/<int:po_line_id>/cancel", "/api/v1/backorders/{backordered_po_line}/cancel", {},
     {**OUTSIDERS_OF_BOTH, "mso_admin": 403}),
    ("GET", "/api/v1/substitutions/<int:substitution_id>", "/api/v1/substitutions/{substitution}", None,
     OUTSIDERS_OF_BOTH),
    ("POST", "/api/v1/substitutions/<int:substitution_id>/approve", "/api/v1/substitutions/{substitution}/approve",
     None, {**OUTSIDERS_OF_BOTH, "vendor_key": 403, "mso_admin": 403}),
    ("POST", "/api/v1/substitutions/<int:substitution_id>/decline", "/api/v1/substitutions/{substitution}/decline",
     None, {**OUTSIDERS_OF_BOTH, "vendor_admin": 403, "mso_procurement": 403}),
    # billing: invoices, credits and fees are their practice's; statements their vendor's
    ("GET", "/api/v1/invoices/<int:invoice_id>", "/api/v1/invoices/{open_invoice}", None,
     {**OUTSIDERS_OF_PRACTICE, "mso_procurement": 403}),
    ("POST", "/api/v1/invoices/<int:invoice_id>/finalize", "/api/v1/invoices/{draft_invoice}/finalize", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403, "mso_procurement": 403}),
    ("POST", "/api/v1/invoices/<int:invoice_id>/void", "/api/v1/invoices/{open_invoice}/void", {"reason": "wrong"},
     {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403, "mso_procurement": 403}),
    ("POST", "/api/v1/invoices/<int:invoice_id>/credit-notes", "/api/v1/invoices/{open_invoice}/credit-notes",
     {"amount_cents": 100, "reason": "damaged"}, {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403}),
    ("POST", "/api/v1/invoices/<int:invoice_id>/pay", "/api/v1/invoices/{open_invoice}/pay", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_procurement": 403}),
    ("GET", "/api/v1/practices/<int:practice_id>/payment-method", "/api/v1/practices/{practice}/payment-method", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403}),
    ("PUT", "/api/v1/practices/<int:practice_id>/payment-method", "/api/v1/practices/{practice}/payment-method",
     {"stripe_payment_method_id": "pm_unknown"}, {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_finance": 403}),
    ("GET", "/api/v1/practices/<int:practice_id>/fee-schedule", "/api/v1/practices/{practice}/fee-schedule", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403}),
    ("PUT", "/api/v1/practices/<int:practice_id>/fee-schedule", "/api/v1/practices/{practice}/fee-schedule",
     {"service_fee_percent": "3"}, {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403, "mso_procurement": 403}),
    ("GET", "/api/v1/practices/<int:practice_id>/credits", "/api/v1/practices/{practice}/credits", None,
     OUTSIDERS_OF_PRACTICE),
    ("GET", "/api/v1/rebates/<int:rebate_id>", "/api/v1/rebates/{rebate}", None,
     {**OUTSIDERS_OF_VENDOR, "vendor_admin": 403}),
    ("GET", "/api/v1/billing-runs/<int:run_id>", "/api/v1/billing-runs/{billing_run}", None,
     {"practice_admin": 403, "vendor_key": 403, "mso_procurement": 403}),
    ("GET", "/api/v1/vendors/<int:vendor_id>/statements",
     "/api/v1/vendors/{vendor}/statements?from=2026-01-01&to=2026-12-31", None,
     {**OUTSIDERS_OF_VENDOR, "practice_buyer": 404}),
    # insurance: a program is its carrier's (the vendor here), open to every practice;
    # an enrollment is its practice's, and its program's carrier reads it
    ("GET", "/api/v1/insurance/programs/<int:program_id>", "/api/v1/insurance/programs/{program}", None,
     {"other_vendor_admin": 404, "other_vendor_key": 404}),
    ("GET", "/api/v1/insurance/programs/<int:program_id>/group-progress",
     "/api/v1/insurance/programs/{program}/group-progress", None, {"other_vendor_admin": 404, "other_vendor_key": 404}),
    ("GET", "/api/v1/insurance/programs/<int:program_id>/enrollments", "/api/v1/insurance/programs/{program}/enrollments",
     None, {"other_vendor_admin": 404, "other_vendor_key": 404}),
    ("POST", "/api/v1/insurance/programs/<int:program_id>/enrollments", "/api/v1/insurance/programs/{program}/enrollments",
     lambda ids: {"provider_id": ids["spare_provider"], "limits": "1M/3M", "fte": "1", "claims_made_year": 1,
                  "claims_free_years": 0, "installments": 1},
     {"other_vendor_admin": 404, "other_practice_admin": 422, "vendor_key": 403, "practice_buyer": 403, "mso_admin": 403}),
    ("GET", "/api/v1/insurance/enrollments/<int:enrollment_id>", "/api/v1/insurance/enrollments/{enrollment}", None,
     {"other_practice_admin": 404, "other_vendor_admin": 404, "other_vendor_key": 404}),
    ("DELETE", "/api/v1/insurance/enrollments/<int:enrollment_id>", "/api/v1/insurance/enrollments/{enrollment}", None,
     {"other_practice_admin": 404, "other_vendor_key": 404, "vendor_key": 403, "practice_buyer": 403}),
    ("POST", "/api/v1/insurance/programs/<int:program_id>/bind", "/api/v1/insurance/programs/{program}/bind", None,
     {"other_vendor_key": 404, "vendor_key": 403, "practice_admin": 403}),
    # staffing: the pool and cost runs are the MSO's; requests and assignments their practice's
    ("GET", "/api/v1/staffing/staff/<int:staff_id>", "/api/v1/staffing/staff/{staff}", None, NOT_MSO),
    ("PATCH", "/api/v1/staffing/staff/<int:staff_id>", "/api/v1/staffing/staff/{staff}", {"name": "Z"},
     {**NOT_MSO, "mso_finance": 403}),
    ("GET", "/api/v1/staffing/staff/<int:staff_id>/availability", "/api/v1/staffing/staff/{staff}/availability", None,
     NOT_MSO),
    ("POST", "/api/v1/staffing/staff/<int:staff_id>/availability", "/api/v1/staffing/staff/{staff}/availability",
     {"kind": "weekly", "weekday": 0, "start": "08:00", "end": "12:00"}, {**NOT_MSO, "mso_finance": 403}),
    ("DELETE", "/api/v1/staffing/availability/<int:availability_id>", "/api/v1/staffing/availability/{availability}",
     None, {**NOT_MSO, "mso_finance": 403}),
    ("GET", "/api/v1/staffing/shift-requests/<int:request_id>", "/api/v1/staffing/shift-requests/{shift_request}", None,
     OUTSIDERS_OF_PRACTICE),
    ("POST", "/api/v1/staffing/shift-requests/<int:request_id>/cancel",
     "/api/v1/staffing/shift-requests/{shift_request}/cancel", {}, {**OUTSIDERS_OF_PRACTICE, "mso_finance": 403}),
    ("POST", "/api/v1/staffing/shift-requests/<int:request_id>/assign",
     "/api/v1/staffing/shift-requests/{shift_request}/assign", lambda ids: {"staff_id": ids["staff"]},
     {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403, "mso_finance": 403}),
    ("POST", "/api/v1/staffing/shift-requests/<int:request_id>/auto-assign",
     "/api/v1/staffing/shift-requests/{shift_request}/auto-assign", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403, "mso_finance": 403}),
    ("GET", "/api/v1/staffing/assignments/<int:assignment_id>", "/api/v1/staffing/assignments/{assignment}", None,
     OUTSIDERS_OF_PRACTICE),
    ("POST", "/api/v1/staffing/assignments/<int:assignment_id>/accept", "/api/v1/staffing/assignments/{assignment}/accept",
     None, {**OUTSIDERS_OF_PRACTICE, "mso_admin": 403}),
    ("POST", "/api/v1/staffing/assignments/<int:assignment_id>/release",
     "/api/v1/staffing/assignments/{assignment}/release", {}, {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_admin": 403}),
    ("POST", "/api/v1/staffing/assignments/<int:assignment_id>/timesheet",
     "/api/v1/staffing/assignments/{worked_assignment}/timesheet",
     lambda ids: {"started_at": ids["worked_from"], "ended_at": ids["worked_to"], "break_minutes": 0},
     {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403}),
    ("POST", "/api/v1/staffing/assignments/<int:assignment_id>/timesheet/approve",
     "/api/v1/staffing/assignments/{timesheet_assignment}/timesheet/approve", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_admin": 403}),
    ("POST", "/api/v1/staffing/assignments/<int:assignment_id>/timesheet/dispute",
     "/api/v1/staffing/assignments/{timesheet_assignment}/timesheet/dispute", {"reason": "late"},
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_admin": 403}),
    ("GET", "/api/v1/staffing/cost-runs/<int:run_id>", "/api/v1/staffing/cost-runs/{cost_run}", None,
     {**NOT_MSO, "mso_procurement": 403}),
    # leasing: a lease is its practice's (the offer here is of office equipment: an admin signs)
    ("GET", "/api/v1/leasing/leases/<int:lease_id>", "/api/v1/leasing/leases/{lease}", None,
     {"other_practice_admin": 404, "other_vendor_admin": 404, "vendor_key": 404}),
    ("POST", "/api/v1/leasing/leases/<int:lease_id>/sign", "/api/v1/leasing/leases/{lease}/sign", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_finance": 403}),
    ("POST", "/api/v1/leasing/leases/<int:lease_id>/withdraw", "/api/v1/leasing/leases/{lease}/withdraw",
     {"reason": "a new offer follows"}, {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403, "mso_procurement": 403}),
    # shared space: a suite is seen by MSO staff and the practices occupying it
    ("GET", "/api/v1/leasing/spaces/<int:space_id>", "/api/v1/leasing/spaces/{space}", None,
     {"other_practice_admin": 404, "vendor_key": 404, "other_vendor_admin": 404}),
    ("POST", "/api/v1/leasing/spaces/<int:space_id>/occupancies", "/api/v1/leasing/spaces/{space}/occupancies",
     lambda ids: {"practice_id": ids["other_practice"], "square_feet": 100, "starts_on": "2027-01-01"},
     {"other_practice_admin": 404, "vendor_key": 404, "practice_admin": 403, "mso_procurement": 403}),
    ("POST", "/api/v1/leasing/occupancies/<int:occupancy_id>/end", "/api/v1/leasing/occupancies/{occupancy}/end",
     {"ends_on": "2027-06-30"}, {"other_practice_admin": 404, "vendor_key": 404, "practice_admin": 403,
                                 "mso_procurement": 403}),
    # leasing: an asset is the MSO's, seen by the practices it is leased (or offered) to
    ("GET", "/api/v1/leasing/assets/<int:asset_id>", "/api/v1/leasing/assets/{asset}", None, OUTSIDERS_OF_PRACTICE),
    # leasing: a lease is its practice's; the practice buys out, MSO finance ends the term
    ("GET", "/api/v1/leasing/leases/<int:lease_id>/buyout", "/api/v1/leasing/leases/{active_lease}/buyout", None,
     OUTSIDERS_OF_PRACTICE),
    ("POST", "/api/v1/leasing/leases/<int:lease_id>/buyout", "/api/v1/leasing/leases/{active_lease}/buyout", None,
     {**OUTSIDERS_OF_PRACTICE, "practice_buyer": 403, "mso_procurement": 403}),
    ("POST", "/api/v1/leasing/leases/<int:lease_id>/end", "/api/v1/leasing/leases/{active_lease}/end", {"outcome": "return"},
     {**OUTSIDERS_OF_PRACTICE, "practice_admin": 403, "mso_procurement": 403}),
    # vendor invoices: the vendor's own (ids and OWNERS at the end of the module)
    ("POST", "/api/v1/vendors/<int:vendor_id>/invoices", "/api/v1/vendors/{vendor}/invoices",
     lambda ids: ids["vendor_invoice_body"],
     {"other_vendor_admin": 404, "other_vendor_key": 404, "practice_admin": 404, "mso_finance": 403}),
    ("GET", "/api/v1/vendor-invoices/<int:invoice_id>", "/api/v1/vendor-invoices/{vendor_invoice}", None,
     {"other_vendor_admin": 404, "other_vendor_key": 404, "practice_admin": 404, "other_practice_admin": 404}),
    ("POST", "/api/v1/vendor-invoices/<int:invoice_id>/dispute", "/api/v1/vendor-invoices/{vendor_invoice}/dispute",
     {"reason": "the contract price is lower"},
     {"other_vendor_key": 404, "practice_admin": 404, "vendor_key": 403, "vendor_admin": 403, "mso_procurement": 403}),
    ("POST", "/api/v1/vendor-invoices/<int:invoice_id>/approve", "/api/v1/vendor-invoices/{vendor_invoice}/approve",
     {"reason": "agreed"},
     {"other_vendor_key": 404, "practice_admin": 404, "vendor_key": 403, "vendor_admin": 403, "mso_procurement": 403}),
    # receiving: a shipment is seen by its purchase order's vendor and the practices it ships to;
    # the practice receives it, the vendor resolves a claim
    ("GET", "/api/v1/shipments/<int:shipment_id>", "/api/v1/shipments/{shipment}", None,
     {"other_practice_admin": 404, "other_vendor_admin": 404, "other_vendor_key": 404}),
    ("POST", "/api/v1/shipments/<int:shipment_id>/receipts", "/api/v1/shipments/{shipment}/receipts",
     lambda ids: {"lines": [{"shipment_line_id": ids["acked_po_line"], "received_quantity": 2, "damaged_quantity": 0}]},
     {"other_practice_admin": 404, "other_vendor_key": 404, "vendor_key": 403, "mso_admin": 403}),
    ("GET", "/api/v1/claims/<int:claim_id>", "/api/v1/claims/{claim}", None,
     {"other_practice_admin": 404, "other_vendor_admin": 404, "other_vendor_key": 404}),
    ("POST", "/api/v1/claims/<int:claim_id>/replace", "/api/v1/claims/{claim}/replace", None,
     {"other_practice_admin": 404, "other_vendor_key": 404, "practice_admin": 403, "mso_admin": 403}),
    ("POST", "/api/v1/claims/<int:claim_id>/credit", "/api/v1/claims/{claim}/credit", None,
     {"other_practice_admin": 404, "other_vendor_key": 404, "practice_admin": 403, "mso_admin": 403}),
]


OWNERS = {
    "/api/v1/vendors/<int:vendor_id>/api-keys": "vendor_admin",
    "/api/v1/api-keys/<int:api_key_id>": "vendor_admin",
    "/api/v1/vendors/<int:vendor_id>/users": "vendor_admin",
    "/api/v1/products/<int:product_id>": "vendor_key",
    "/api/v1/vendors/<int:vendor_id>/products": "vendor_key",
    "/api/v1/vendors/<int:vendor_id>/catalog-imports": "vendor_key",
    "/api/v1/catalog-imports/<int:import_id>": "vendor_key",
    "/api/v1/vendors/<int:vendor_id>": "vendor_admin",
    "/api/v1/contracts/<int:contract_id>": "vendor_key",
    "/api/v1/contracts/<int:contract_id>/proposals": "vendor_key",
    "/api/v1/contracts/<int:contract_id>/proposals/<int:number>/accept": "mso_procurement",
    "/api/v1/contracts/<int:contract_id>/proposals/<int:number>/reject": "mso_procurement",
    "/api/v1/contracts/<int:contract_id>/terminate": "mso_procurement",
    "/api/v1/cycles/<int:cycle_id>": "practice_buyer",
    "/api/v1/cycles/<int:cycle_id>/open": ("mso_procurement", 409),  # another cycle is open: it answers
    "/api/v1/cycles/<int:cycle_id>/close": "mso_procurement",
    "/api/v1/cycles/<int:cycle_id>/results": "vendor_key",
    "/api/v1/contracts/<int:contract_id>/tier-progress": "vendor_key",
    "/api/v1/orders/<int:order_id>/approve": "practice_physician",
    "/api/v1/purchase-orders/<int:purchase_order_id>": "vendor_key",
    "/api/v1/purchase-orders/<int:purchase_order_id>/acknowledge": "vendor_key",
    "/api/v1/purchase-orders/<int:purchase_order_id>/shipments": "vendor_key",
    "/api/v1/invoices/<int:invoice_id>/finalize": "mso_finance",
    "/api/v1/invoices/<int:invoice_id>/void": "mso_finance",
    "/api/v1/invoices/<int:invoice_id>/credit-notes": "mso_finance",
    "/api/v1/invoices/<int:invoice_id>/pay": ("practice_admin", 409),  # no saved payment method: it answers
    ("PUT", "/api/v1/practices/<int:practice_id>/payment-method"): ("practice_admin", 422),  # Stripe: no such pm_
    ("PUT", "/api/v1/practices/<int:practice_id>/fee-schedule"): "mso_finance",
    "/api/v1/rebates/<int:rebate_id>": "mso_finance",
    "/api/v1/billing-runs/<int:run_id>": "mso_finance",
    "/api/v1/vendors/<int:vendor_id>/statements": "vendor_key",
    "/api/v1/insurance/programs/<int:program_id>": "vendor_key",
    "/api/v1/insurance/programs/<int:program_id>/group-progress": "practice_buyer",
    ("GET", "/api/v1/insurance/programs/<int:program_id>/enrollments"): "vendor_key",
    "/api/v1/insurance/programs/<int:program_id>/bind": "mso_admin",
    "/api/v1/staffing/staff/<int:staff_id>": "mso_admin",
    "/api/v1/staffing/staff/<int:staff_id>/availability": "mso_admin",
    "/api/v1/staffing/availability/<int:availability_id>": "mso_admin",
    "/api/v1/staffing/shift-requests/<int:request_id>/assign": "mso_admin",
    "/api/v1/staffing/shift-requests/<int:request_id>/auto-assign": "mso_admin",
    "/api/v1/staffing/assignments/<int:assignment_id>/timesheet": "mso_admin",
    "/api/v1/staffing/cost-runs/<int:run_id>": "mso_finance",
    "/api/v1/leasing/leases/<int:lease_id>/withdraw": "mso_finance",
    "/api/v1/leasing/spaces/<int:space_id>/occupancies": "mso_finance",
    "/api/v1/leasing/occupancies/<int:occupancy_id>/end": "mso_finance",
    ("GET", "/api/v1/leasing/leases/<int:lease_id>/buyout"): "practice_buyer",
    "/api/v1/leasing/leases/<int:lease_id>/end": ("mso_finance", 409),  # the term is not over: it answers
    "/api/v1/claims/<int:claim_id>/replace": "vendor_key",
    "/api/v1/claims/<int:claim_id>/credit": "vendor_key",
}


def test_every_route_with_an_id_is_in_the_matrix(app):
    covered = {(method, rule) for method, rule, *_ in MATRIX}
    covered |= {(method, rule) for method, rule, *_ in SETTLEMENT_MATRIX}
    covered |= {(method, rule) for method, rule, *_ in WEBHOOK_MATRIX}
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "<int:" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set(), "add these routes to the tenancy matrix"


def _ids(world) -> dict:
    job = Job(kind="test", status="finished", args={}, organization_id=world.practice.id,
              created_by=f"user:{world.users['practice_admin'].id}")
    db.session.add(job)
    product = ProductFactory(vendor_id=world.vendor.id)
    inactive = ProductFactory(vendor_id=world.vendor.id, active=False)
    catalog_import = CatalogImport(vendor_id=world.vendor.id, mode="upsert", source_format="json", payload="{}",
                                   row_count=0, errors=[], created_by="test", status="finished")
    db.session.add(catalog_import)
    contract = ContractFactory(vendor_id=world.vendor.id, products=[product])
    negotiating = ContractFactory(vendor_id=world.vendor.id, accepted_at=None, tiers=None,
                                  products=[ProductFactory(vendor_id=world.vendor.id)])
    db.session.add(Proposal(contract_id=negotiating.id, number=1, author_side="vendor", author_label="v",
                            tiers=[{"min_volume": 0, "discount_percent": "0"}], admin_fee_percent=1))
    now = utcnow()
    open_cycle = CycleFactory()
    closed = CycleFactory(status="closed", opens_at=now - dt.timedelta(days=40), closes_at=now - dt.timedelta(days=30))
    scheduled = CycleFactory(status="scheduled", opens_at=now + dt.timedelta(days=30), closes_at=now + dt.timedelta(days=40))
    order = Order(practice_id=world.practice.id, location_id=world.location.id, cycle_id=open_cycle.id,
                  status="draft", placed_by="t", lines=[OrderLine(product_id=product.id, contract_id=contract.id,
                                                                  quantity=1, list_price=product.list_price)])
    missed = Order(practice_id=world.practice.id, location_id=world.location.id, cycle_id=closed.id,
                   status="missed_cycle", placed_by="t", lines=[OrderLine(product_id=product.id, contract_id=contract.id,
                                                                          quantity=1, list_price=product.list_price)])
    po = PurchaseOrder(cycle_id=closed.id, contract_id=contract.id, vendor_id=world.vendor.id)
    saved_list = SavedList(practice_id=world.practice.id, name="Guide", created_by="t",
                           items=[SavedListItem(product_id=product.id, quantity=1)])
    db.session.add_all([order, missed, po, saved_list, CycleContractResult(
        cycle_id=closed.id, contract_id=contract.id, volume=0, achieved_tier_index=0, achieved_min_volume=0,
        discount_percent=0)])
    db.session.flush()
    open_line = PurchaseOrderLine(purchase_order_id=po.id, product_id=product.id, location_id=world.location.id,
                                  quantity=5, unit_price=product.list_price, line_cents=100)
    acked_line = PurchaseOrderLine(purchase_order_id=po.id, product_id=inactive.id, location_id=world.location.id,
                                   quantity=5, unit_price=product.list_price, line_cents=100, accepted_quantity=5)
    db.session.add_all([open_line, acked_line])
    draft_invoice = Invoice(practice_id=world.practice.id, kind="membership", source_key="t:draft", description="d",
                            lines=[InvoiceLine(kind="membership", description="m", amount_cents=500)],
                            subtotal_cents=500, total_cents=500)
    open_invoice = Invoice(practice_id=world.practice.id, kind="membership", source_key="t:open", description="o",
                           lines=[InvoiceLine(kind="membership", description="m", amount_cents=500)],
                           subtotal_cents=500, total_cents=500)
    db.session.add(open_invoice)
    db.session.flush()  # lines go in while it is a draft; then it is issued
    open_invoice.status, open_invoice.number, open_invoice.issued_on = "open", "INV-2026-999999", dt.date(2026, 11, 1)
    rebate = Rebate(vendor_id=world.vendor.id, contract_id=contract.id, period_start=dt.date(2026, 1, 1),
                    period_end=dt.date(2026, 3, 31), amount_cents=100, retained_percent=0, retained_cents=0,
                    distributed_cents=100, recorded_by="t")
    run = BillingRun(kind="membership", month="2026-01", status="finished", requested_by="t")
    db.session.add_all([draft_invoice, open_invoice, rebate, run])
    start = utcnow().date() + dt.timedelta(days=30)
    program = InsuranceProgram(
        carrier_vendor_id=world.vendor.id, name="Group program", period_start=start,
        period_end=start + dt.timedelta(days=364), status="open", created_by="t", limits_options=["1M/3M"],
        specialty_classes={"family_medicine": "1"}, rates=[{"specialty_class": "1", "limits": "1M/3M", "annual_rate_cents": 100}],
        step_factors=["1"], claims_free_credits=[], group_discount_bands=[{"min_providers": 0, "percent": "0"}],
        installment_options=[1])
    db.session.add(program)
    db.session.flush()
    enrollment = Enrollment(program_id=program.id, practice_id=world.practice.id, provider_id=world.provider.id,
                            specialty="family_medicine", specialty_class="1", limits="1M/3M", fte=1, claims_made_year=1,
                            claims_free_years=0, installments=1, effective_on=start, enrolled_by="t")
    spare_provider = ProviderFactory(practice_id=world.practice.id)
    db.session.add(enrollment)
    # staffing: an open request tomorrow (the person is available then), an assignment
    # waiting for acceptance, one worked yesterday, and one with its timesheet submitted
    tomorrow = now.replace(microsecond=0) + dt.timedelta(days=1)
    yesterday = now.replace(microsecond=0) - dt.timedelta(days=1)
    staff = StaffMember(name="Dana", role="billing_specialist", clinical=False, hourly_cost_cents=3000)
    db.session.add(staff)
    db.session.flush()
    availability = Availability(staff_id=staff.id, kind="available", starts_at=tomorrow - dt.timedelta(days=1),
                                ends_at=tomorrow + dt.timedelta(days=2))

    def shift(starts, status):
        return ShiftRequest(practice_id=world.practice.id, location_id=world.location.id, role="billing_specialist",
                            starts_at=starts, ends_at=starts + dt.timedelta(hours=4), status=status, requested_by="t")

    open_request, waiting, worked, sheeted = (shift(tomorrow, "open"), shift(tomorrow + dt.timedelta(hours=5), "assigned"),
                                              shift(yesterday, "accepted"), shift(yesterday - dt.timedelta(hours=5), "completed"))
    db.session.add_all([availability, open_request, waiting, worked, sheeted])
    db.session.flush()

    def booking(request, status):
        return Assignment(shift_request_id=request.id, staff_id=staff.id, practice_id=world.practice.id,
                          starts_at=request.starts_at, ends_at=request.ends_at, status=status, hourly_cost_cents=3000,
                          assigned_by="t")

    assignments = [booking(waiting, "assigned"), booking(worked, "accepted"), booking(sheeted, "completed")]
    db.session.add_all(assignments)
    db.session.flush()
    db.session.add(Timesheet(assignment_id=assignments[2].id, practice_id=world.practice.id, started_at=sheeted.starts_at,
                             ended_at=sheeted.ends_at, break_minutes=0, minutes=240, recorded_by="t"))
    cost_run = CostRun(month="2026-01", month_start=dt.date(2026, 1, 1), timezone="America/Chicago", overhead_cents=0,
                       short_notice_premium_percent=25, status="finished", requested_by="t")
    db.session.add(cost_run)
    lease = LeaseFactory(asset=AssetFactory(clinical=False, category="office"), practice_id=world.practice.id)
    space = Space(name="Suite 200", square_feet=2500, base_rent_cents=1000000, starts_on=dt.date(2025, 1, 1),
                  created_by="t")
    db.session.add(space)
    db.session.flush()
    occupancy = Occupancy(space_id=space.id, practice_id=world.practice.id, square_feet=1000,
                          starts_on=dt.date(2025, 1, 1), created_by="t")
    db.session.add(occupancy)
    db.session.commit()
    leased_asset = LeaseFactory(practice_id=world.practice.id).asset  # offered to the practice
    active_lease = signed_lease(practice_id=world.practice.id)
    return {"practice": world.practice.id, "provider": world.provider.id, "vendor": world.vendor.id,
            "api_key": world.api_key.id, "job": job.id, "product": product.id, "inactive_product": inactive.id,
            "catalog_import": catalog_import.id, "contract": contract.id, "negotiating_contract": negotiating.id,
            "open_cycle": open_cycle.id, "closed_cycle": closed.id, "scheduled_cycle": scheduled.id,
            "order": order.id, "missed_order": missed.id, "saved_list": saved_list.id,
            "purchase_order": po.id, "open_po_line": open_line.id,
            "acked_po_line": acked_line.id, "location": world.location.id, "draft_invoice": draft_invoice.id,
            "open_invoice": open_invoice.id, "rebate": rebate.id, "billing_run": run.id,
            "program": program.id, "enrollment": enrollment.id, "spare_provider": spare_provider.id,
            "staff": staff.id, "availability": availability.id, "shift_request": open_request.id,
            "assignment": assignments[0].id, "worked_assignment": assignments[1].id,
            "worked_from": worked.starts_at.isoformat(), "worked_to": worked.ends_at.isoformat(),
            "timesheet_assignment": assignments[2].id, "cost_run": cost_run.id, "lease": lease.id,
            "space": space.id, "occupancy": occupancy.id, "other_practice": world.other_practice.id,
            "asset": leased_asset.id, "active_lease": active_lease.id}


@pytest.mark.parametrize("method, rule, template, body, expected", MATRIX, ids=[f"{m} {r}" for m, r, *_ in MATRIX])
def test_tenancy_and_roles(client, world, method, rule, template, body, expected):
    ids = _ids(world)
    url = template.format(**ids)
    body = body(ids) if callable(body) else body
    for principal, status in expected.items():
        headers = {**world.headers[principal], "If-Match": '"some-etag"', "Idempotency-Key": f"matrix-{principal}"}
        response = client.open(url, method=method, json=body, headers=headers)
        assert_error(response, status)
    # and its owner may: the route exists and works for them (412: our If-Match is made up)
    owner = OWNERS.get((method, rule)) or OWNERS.get(rule, "practice_admin")
    owner, allowed = owner if isinstance(owner, tuple) else (owner, None)
    response = client.open(url, method=method, json=body, headers={
        **world.headers[owner], "If-Match": '"some-etag"', "Idempotency-Key": "matrix-owner"})
    assert response.status_code in ((allowed,) if allowed else (200, 201, 202, 204, 412)), (
        owner, response.get_data(as_text=True))


# --- vendor invoices (gpo/payables): a vendor's own, read by the MSO, decided by MSO finance;
# practices never see them. The ids: one invoice of the matrix's purchase order with a price
# exception (it can still be disputed or approved), and a body invoicing one more unit.

OWNERS.update({"/api/v1/vendors/<int:vendor_id>/invoices": "vendor_key",
               "/api/v1/vendor-invoices/<int:invoice_id>": "vendor_key",
               "/api/v1/vendor-invoices/<int:invoice_id>/dispute": "mso_finance",
               "/api/v1/vendor-invoices/<int:invoice_id>/approve": "mso_finance"})
_ids_before_vendor_invoices = _ids


def _ids(world) -> dict:  # noqa: F811 - the ids above, and a vendor invoice's
    from decimal import Decimal

    from gpo.payables.models import VendorInvoice, VendorInvoiceLine

    ids = _ids_before_vendor_invoices(world)
    line = db.session.get(PurchaseOrderLine, ids["acked_po_line"])
    line.invoiced_quantity = 1
    invoice = VendorInvoice(
        vendor_id=world.vendor.id, purchase_order_id=ids["purchase_order"], number="T-1", issued_on=dt.date(2027, 1, 20),
        status="exception", goods_cents=200, freight_cents=0, tax_cents=0, total_cents=200, exception_cents=100,
        favourable_cents=0, submitted_by="t",
        lines=[VendorInvoiceLine(purchase_order_line_id=line.id, quantity=1, unit_price=Decimal(2), line_cents=200,
                                 contract_price=Decimal(1), contract_cents=100, price_difference_cents=100,
                                 price_result="exception", quantity_result="matched", excess_quantity=0)])
    db.session.add(invoice)
    db.session.commit()
    return {**ids, "vendor_invoice": invoice.id, "vendor_invoice_body": {
        "number": "T-2", "purchase_order_id": ids["purchase_order"], "issued_on": "2027-01-20",
        "lines": [{"po_line_id": line.id, "quantity": 1, "unit_price": "1.0000"}]}}
# --- receiving: a shipment to receive and a received one with a claim -----------------------

_ids_before_receiving = _ids


def _ids(world) -> dict:  # noqa: F811 - the matrix's ids, and receiving's
    from gpo.orders.models import Shipment, ShipmentLine
    from gpo.receiving.models import Claim, Receipt, ReceiptLine

    ids = _ids_before_receiving(world)
    line = db.session.get(PurchaseOrderLine, ids["acked_po_line"])  # 5 accepted, to the practice's location
    waiting, received = (Shipment(purchase_order_id=ids["purchase_order"], carrier="UPS", tracking_number=t,
                                  lines=[ShipmentLine(purchase_order_line_id=line.id, quantity=q)])
                         for t, q in (("1Z-WAITING", 2), ("1Z-RECEIVED", 2)))
    line.shipped_quantity, line.received_quantity = 4, 1  # one unit left for the shipments row
    db.session.add_all([waiting, received])
    db.session.flush()
    receipt = Receipt(shipment_id=received.id, practice_id=world.practice.id, received_by="t")
    db.session.add(receipt)
    db.session.flush()
    db.session.add(ReceiptLine(receipt_id=receipt.id, shipment_id=received.id, purchase_order_line_id=line.id,
                               shipped_quantity=2, received_quantity=1, damaged_quantity=1))
    db.session.flush()
    claim = Claim(shipment_id=received.id, purchase_order_line_id=line.id, purchase_order_id=ids["purchase_order"],
                  vendor_id=world.vendor.id, practice_id=world.practice.id, damaged_quantity=1, missing_quantity=0)
    db.session.add(claim)
    db.session.commit()
    return {**ids, "shipment": waiting.id, "claim": claim.id}
# --- after the close: backorders and substitutions -----------------------------------

_ids_before_backorders = _ids


def _ids(world) -> dict:  # noqa: F811 - the ids above, and a backordered line and an offered substitute
    from gpo.orders.models import Substitution

    ids = _ids_before_backorders(world)
    po = db.session.get(PurchaseOrder, ids["purchase_order"])
    backordered = PurchaseOrderLine(purchase_order_id=po.id, product_id=ids["product"], location_id=world.location.id,
                                    quantity=5, unit_price=2, line_cents=1000, accepted_quantity=2,
                                    backordered_quantity=3, expected_ship_on=utcnow().date())
    offered_for = PurchaseOrderLine(purchase_order_id=po.id, product_id=ids["product"], location_id=world.location.id,
                                    quantity=5, unit_price=3, line_cents=1500, accepted_quantity=3,
                                    substituted_quantity=2)
    db.session.add_all([backordered, offered_for])
    db.session.flush()
    substitute = ProductFactory(vendor_id=world.vendor.id)
    offer = Substitution(purchase_order_id=po.id, vendor_id=world.vendor.id, original_line_id=offered_for.id,
                         practice_id=world.practice.id, location_id=world.location.id, product_id=substitute.id,
                         quantity=2, unit_price=1, clinical=False, status="offered", offered_by="t")
    db.session.add(offer)
    db.session.commit()
    return {**ids, "backordered_po_line": backordered.id, "substitution": offer.id}
# --- after the close: settlements (their own ids; the same checks as test_tenancy_and_roles)

SETTLEMENT_MATRIX = [
    ("GET", "/api/v1/vendor-settlements/<int:settlement_id>", "/api/v1/vendor-settlements/{settlement}", None,
     {**OUTSIDERS_OF_VENDOR, "vendor_key": 403, "mso_procurement": 403}, "vendor_admin"),
    ("POST", "/api/v1/vendor-settlements/<int:settlement_id>/mark-sent",
     "/api/v1/vendor-settlements/{settlement}/mark-sent", {"bank_reference": "ACH-1"},
     {**OUTSIDERS_OF_VENDOR, "vendor_admin": 403, "vendor_key": 403, "mso_procurement": 403}, "mso_finance"),
]


def _settlement_ids(world) -> dict:
    from gpo.payables.models import VendorSettlement

    settlement = VendorSettlement(vendor_id=world.vendor.id, through=utcnow().date(), status="pending",
                                  invoices_cents=0, deductions_cents=0, payable_cents=0, requested_by="t")
    db.session.add(settlement)
    db.session.commit()
    return {"settlement": settlement.id}


@pytest.mark.parametrize("method, rule, template, body, expected, owner", SETTLEMENT_MATRIX,
                         ids=[f"{m} {r}" for m, r, *_ in SETTLEMENT_MATRIX])
def test_settlement_tenancy_and_roles(client, world, method, rule, template, body, expected, owner):
    url = template.format(**_settlement_ids(world))
    for principal, status in expected.items():
        assert_error(client.open(url, method=method, json=body, headers=world.headers[principal]), status)
    response = client.open(url, method=method, json=body, headers=world.headers[owner])
    assert response.status_code == 200, (owner, response.get_data(as_text=True))


# --- cXML (gpo/notifications/cxml): a purchase order as a cXML OrderRequest keeps the JSON's
# tenancy (errors in the one error shape); POST /cxml takes a vendor's documents (its key or
# its admin) for its own purchase orders, and answers every refusal in cXML with that status


def test_cxml_tenancy_and_roles(client, after_close):
    from lxml import etree

    from tests.notifications import cxml_builders as cx

    world, po = after_close.world, after_close.po
    url = f"/api/v1/purchase-orders/{po.id}"
    for principal, status in {"other_vendor_admin": 404, "other_vendor_key": 404, "practice_buyer": 404}.items():
        assert_error(client.get(url, headers={**world.headers[principal], "Accept": "application/xml"}), status)
    owner = client.get(url, headers={**world.headers["vendor_key"], "Accept": "application/xml"})
    assert owner.status_code == 200 and etree.fromstring(owner.get_data()).tag == "cXML"
    document = cx.document(cx.confirmation(po.id, kind="accept"))
    for principal, status in {"other_vendor_key": 404, "other_vendor_admin": 404, "practice_admin": 403,
                              "practice_physician": 403, "mso_admin": 403, "mso_procurement": 403}.items():
        response = cx.post(client, document, world.headers[principal])
        assert cx.answer(response)[0] == status, (principal, response.get_data(as_text=True))
    assert cx.answer(cx.post(client, document, world.headers["vendor_key"]))[0] == 200


# --- notification settings (gpo/notifications/mail): `/me/notifications` takes no id, it
# is always the caller's own; an API key has no mailbox (its role holds no
# notification_setting action: 403); an MSO user cannot set a practice's kinds.

NOTIFICATION_SETTINGS_MATRIX = [  # (method, body, {principal: status}, who may)
    ("GET", None, {"vendor_key": 403, "other_vendor_key": 403}, "vendor_admin"),
    ("PUT", {"notifications": [{"kind": "purchase_order.created", "enabled": True}]},
     {"vendor_key": 403, "other_vendor_key": 403}, "vendor_admin"),
    ("PUT", {"notifications": [{"kind": "invoice.issued", "enabled": False}]},
     {"mso_admin": 422, "vendor_admin": 422, "practice_buyer": 422}, "practice_admin"),
]


@pytest.mark.parametrize("method, body, expected, owner", NOTIFICATION_SETTINGS_MATRIX,
                         ids=[f"{m} /me/notifications {i}" for i, (m, *_) in enumerate(NOTIFICATION_SETTINGS_MATRIX)])
def test_notification_settings_tenancy_and_roles(client, world, method, body, expected, owner):
    for principal, status in expected.items():
        assert_error(client.open("/api/v1/me/notifications", method=method, json=body,
                                 headers=world.headers[principal]), status)
    response = client.open("/api/v1/me/notifications", method=method, json=body, headers=world.headers[owner])
    assert response.status_code == 200, (owner, response.get_data(as_text=True))


def test_one_users_notification_settings_never_change_anothers(client, world):
    off = {"notifications": [{"kind": "invoice.issued", "enabled": False}]}
    assert client.put("/api/v1/me/notifications", json=off, headers=world.headers["practice_admin"]).status_code == 200
    for other in ("other_practice_admin", "mso_admin"):
        kinds = {n["kind"]: n["enabled"] for n in client.get(
            "/api/v1/me/notifications", headers=world.headers[other]).get_json()["notifications"]}
        assert kinds.get("invoice.issued", True) is True, other
# --- webhooks (gpo/notifications/webhooks): a vendor's endpoints, read by MSO staff, set up by the
# vendor's admin or the MSO's admin; only the vendor's admin rotates the secret. Their own ids (an
# endpoint at a closed loopback port, with one delivery) and the same checks; the owner sends the
# endpoint's real ETag.

_WEBHOOK_ROLES = {**OUTSIDERS_OF_VENDOR, "vendor_key": 403}
WEBHOOK_MATRIX = [
    ("GET", "/api/v1/vendors/<int:vendor_id>/webhook-endpoints", "/api/v1/vendors/{vendor}/webhook-endpoints", None,
     _WEBHOOK_ROLES, "mso_finance"),
    ("POST", "/api/v1/vendors/<int:vendor_id>/webhook-endpoints", "/api/v1/vendors/{vendor}/webhook-endpoints",
     {"url": "http://127.0.0.1:9/hooks"}, {**_WEBHOOK_ROLES, "mso_procurement": 403, "mso_finance": 403}, "vendor_admin"),
    ("GET", "/api/v1/webhook-endpoints/<int:endpoint_id>", "/api/v1/webhook-endpoints/{webhook_endpoint}", None,
     _WEBHOOK_ROLES, "mso_procurement"),
    ("PATCH", "/api/v1/webhook-endpoints/<int:endpoint_id>", "/api/v1/webhook-endpoints/{webhook_endpoint}",
     {"description": "ERP"}, {**_WEBHOOK_ROLES, "mso_finance": 403}, "mso_admin"),
    ("DELETE", "/api/v1/webhook-endpoints/<int:endpoint_id>", "/api/v1/webhook-endpoints/{webhook_endpoint}", None,
     {**_WEBHOOK_ROLES, "mso_procurement": 403}, "vendor_admin"),
    ("POST", "/api/v1/webhook-endpoints/<int:endpoint_id>/rotate-secret",
     "/api/v1/webhook-endpoints/{webhook_endpoint}/rotate-secret", None,
     {**_WEBHOOK_ROLES, "mso_admin": 403, "mso_finance": 403}, "vendor_admin"),
    ("GET", "/api/v1/webhook-endpoints/<int:endpoint_id>/deliveries",
     "/api/v1/webhook-endpoints/{webhook_endpoint}/deliveries", None, _WEBHOOK_ROLES, "mso_finance"),
    ("POST", "/api/v1/webhook-deliveries/<int:delivery_id>/retry", "/api/v1/webhook-deliveries/{webhook_delivery}/retry",
     None, {**_WEBHOOK_ROLES, "mso_finance": 403, "mso_procurement": 403}, "vendor_admin"),
]


def _webhook_ids(world) -> dict:
    from gpo.notifications.models import OutboxEvent, WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint(vendor_id=world.vendor.id, url="http://127.0.0.1:9/hooks", secret="whsec_dGVzdA==",
                               created_by="t")
    event = OutboxEvent(event_type="settlement.sent", vendor_id=world.vendor.id, subject_type="vendor",
                        subject_id=world.vendor.id, summary="sent", data={}, fanned_out_at=utcnow())
    db.session.add_all([endpoint, event])
    db.session.flush()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, status="failed", attempt_count=8)
    db.session.add(delivery)
    db.session.commit()
    return {"vendor": world.vendor.id, "webhook_endpoint": endpoint.id, "webhook_delivery": delivery.id}


@pytest.mark.parametrize("method, rule, template, body, expected, owner", WEBHOOK_MATRIX,
                         ids=[f"{m} {r}" for m, r, *_ in WEBHOOK_MATRIX])
def test_webhook_tenancy_and_roles(client, world, method, rule, template, body, expected, owner):
    ids = _webhook_ids(world)
    url = template.format(**ids)
    for principal, status in expected.items():
        assert_error(client.open(url, method=method, json=body, headers={
            **world.headers[principal], "If-Match": '"some-etag"'}), status)
    etag = client.get(f"/api/v1/webhook-endpoints/{ids['webhook_endpoint']}", headers=world.headers[owner]).headers["ETag"]
    response = client.open(url, method=method, json=body, headers={**world.headers[owner], "If-Match": etag})
    assert response.status_code in (200, 201, 204), (owner, response.get_data(as_text=True))


@pytest.mark.parametrize("face, owner, outsiders", [
    ("portal", "vendor_admin", ("other_vendor_admin", "practice_admin", "mso_admin")),
    ("console", "mso_finance", ("vendor_admin", "other_vendor_admin", "practice_admin")),
])
def test_webhook_pages_of_another_organization_are_not_found(app, world, face, owner, outsiders):
    """The pages answer as the API does: another vendor's endpoint, or another face's page, is 404."""
    from tests.pages import Pages

    ids = _webhook_ids(world)
    page, retry = (f"/{face}/webhooks/{ids['webhook_endpoint']}",
                   f"/{face}/webhooks/deliveries/{ids['webhook_delivery']}/retry")
    pages = Pages(app, world)
    assert pages.as_(owner).get(page).status_code == 200
    for outsider in outsiders:
        signed_in = pages.as_(outsider)
        assert signed_in.get(page).status_code == 404, outsider
        assert signed_in.post(retry).status_code == 404, outsider
    if face == "console":  # MSO finance reads it, and may not send a delivery again
        assert pages.as_(owner).post(retry).status_code == 403
