"""The vendor portal's statements (WEB.md "Vendor portal pages"): the vendor's own
sales and the admin fees it owes the MSO per contract and cycle, for a period, with a
CSV download, as GET /vendors/{id}/statements answers it. Another vendor's statement
is not found (404), exactly as in the API."""
from __future__ import annotations

from flask import render_template, request

from gpo.api import csv_response
from gpo.auth.request import current_principal
from gpo.billing import reports
from gpo.billing.finance_pages import StatementQuerySchema, query_refusal, this_year
from gpo.billing.routes import STATEMENT_COLUMNS
from gpo.errors import DomainError
from gpo.web.forms import FormErrors, load
from gpo.web.shell import page_blueprint

blp = page_blueprint("statement_portal", __name__, "portal", url_prefix="/portal")


def _args() -> dict:
    """from/to (this year so far by default) and the vendor: the signed-in one's own
    unless the query names another (whose statement then answers 404)."""
    return {**this_year(), "vendor_id": str(current_principal().organization_id),
            **{k: v for k, v in request.args.items() if k in ("vendor_id", "from", "to") and v}}


@blp.get("/statements")
def statements():
    principal = current_principal()
    raw = _args()
    statement, errors, status = None, FormErrors(), 200
    try:
        query = load(StatementQuerySchema(), raw)
        statement = reports.vendor_statement(principal, query["vendor_id"], query["from_"], query["to"])
    except DomainError as exc:
        errors, status = query_refusal(exc), exc.status_code
    return render_template("billing/portal_statements.html", query=raw, statement=statement, errors=errors), status


@blp.get("/statements.csv")
def statements_csv():
    query = load(StatementQuerySchema(), _args())
    statement = reports.vendor_statement(current_principal(), query["vendor_id"], query["from_"], query["to"])
    return csv_response(statement["rows"], STATEMENT_COLUMNS,
                        f"statement-{query['from_']}-to-{query['to']}.csv")
