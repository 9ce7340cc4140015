"""cXML for vendors' systems (DOMAIN.md "Telling people and systems"): a purchase order
is also served as a cXML OrderRequest (`order_request`: GET /purchase-orders/{id} with
`Accept: application/xml`, and the portal's "Download as cXML"), and POST /cxml takes
the vendor's ConfirmationRequest, ShipNoticeRequest and InvoiceDetailRequest
(`inbound`), each mapped onto the use case its JSON route calls (`confirmation`,
`ship_notice`, `invoice_detail`), parsed with entities, DTD loading and network access
off (`parsing`), and answers a cXML Response (`documents`).
"""


def register(app) -> None:
    """Declare this channel's routes, pages and dispatcher channel."""
    from gpo import features, web
    from gpo.notifications.cxml import pages, routes

    features.add_blueprint(app, routes.blp)
    web.add_pages(app, pages.blp)
