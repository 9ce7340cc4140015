"""Outbound webhooks for vendors' systems (DOMAIN.md "Telling people and systems"),
per Standard Webhooks: each public event of a vendor is delivered to the vendor's
endpoints that want its type, signed with the endpoint's `whsec_` secret (both the new
and the previous one for 24 h after a rotation), retried on a schedule (`schedule`),
every attempt kept and replayable.

The rooms: `endpoints` (the vendor's endpoints: create, change, delete, rotate the
secret), `deliveries` (fan-out, the deliveries with their attempts, a replay),
`sending` (the dispatcher's claim, send, record), `addresses` (which URLs gpo may
call: the SSRF rule), `transport` (one HTTP POST, pinned to a vetted address),
`signing` (secrets and signatures); `routes`, `portal_pages`, `console_pages`."""


def register(app) -> None:
    """The API, the dispatcher's webhooks channel, and the portal's and console's pages."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.notifications import dispatcher
    from gpo.notifications.webhooks import console_pages, deliveries, portal_pages, routes, sending

    features.add_blueprint(app, routes.blp)
    dispatcher.add_channel(app, dispatcher.Channel("webhooks", deliveries.fan_out, sending.deliver_due))
    web.add_pages(app, portal_pages.blp)
    web.add_nav(app, "portal", "Webhooks", "webhooks_portal.endpoints", order=55,
                roles=policy.ACTIONS["webhook_endpoint.read"])
    web.add_waiting(app, "portal", portal_pages.waiting, roles=policy.ACTIONS["webhook_endpoint.read"], order=80)
    web.add_pages(app, console_pages.blp)
    web.add_nav(app, "console", "Webhooks", "webhooks_console.endpoints", order=85,
                roles=policy.ACTIONS["webhook_endpoint.read"])
    web.add_words(app, "webhook_delivery", {
        "pending": "waiting for its next attempt", "sending": "being sent", "succeeded": "delivered",
        "failed": "failed for good"})
    web.add_words(app, "webhook_endpoint", {"enabled": "enabled", "disabled": "disabled"})
