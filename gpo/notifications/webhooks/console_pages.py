"""The console's Webhooks pages, for MSO staff: every vendor's endpoints, failing ones
first (disabled by the receiver, deliveries failed for good this week, deliveries
retrying), and an endpoint's page with its deliveries and every attempt. Read only;
the MSO's admin may also send a delivery again. (Setting endpoints up is the vendor's
own work, in the portal; the API lets the MSO's admin do it for a vendor.)"""
from __future__ import annotations

from flask import render_template

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.notifications.webhooks import deliveries, endpoints, portal_pages
from gpo.web.forms import page_args
from gpo.web.shell import page_blueprint

blp = page_blueprint("webhooks_console", __name__, "console", url_prefix="/console")


@blp.get("/webhooks", endpoint="endpoints")
def endpoints_page():
    page, page_size = page_args()
    result = deliveries.summaries(current_principal(), None, page, page_size)
    return render_template("webhooks/console_endpoints.html", summaries=result.items, total=result.total,
                           page=page, page_size=page_size)


@blp.get("/webhooks/<int:endpoint_id>")
def endpoint(endpoint_id: int):
    principal = current_principal()
    shown = endpoints.get_endpoint(principal, endpoint_id)
    page, page_size = page_args(10)
    return render_template(
        "webhooks/console_endpoint.html", endpoint=shown, deliveries=deliveries.list_deliveries(
            principal, endpoint_id, page, page_size), page=page, page_size=page_size,
        vendor=endpoints.vendor_of(shown), signs_until=endpoints.previous_secret_signs_until(shown),
        may_retry=policy.may(principal, "webhook_delivery.retry"))


@blp.post("/webhooks/deliveries/<int:delivery_id>/retry")
def retry(delivery_id: int):
    return portal_pages.send_again(delivery_id, "webhooks_console.endpoint")
