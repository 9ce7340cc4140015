"""The vendor portal's "Download as cXML" on a purchase order's page: the same
OrderRequest document as `GET /purchase-orders/{id}` with `Accept: application/xml`,
as a file, with the page's tenancy (another vendor's purchase order is 404)."""
from __future__ import annotations

from gpo.auth.request import current_principal
from gpo.notifications.cxml import order_request
from gpo.orders import purchase_orders
from gpo.web.shell import page_blueprint

blp = page_blueprint("cxml_portal", __name__, "portal", url_prefix="/portal")


@blp.get("/purchase-orders/<int:purchase_order_id>/cxml")
def purchase_order_cxml(purchase_order_id: int):
    po = purchase_orders.get_purchase_order(current_principal(), purchase_order_id)
    return order_request.as_cxml(po, download=True)
