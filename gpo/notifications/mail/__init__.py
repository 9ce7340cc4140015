"""E-mail to people (DOMAIN.md "Telling people and systems"), from the outbox.

- `kinds`: the registry of kinds of e-mail (event, recipients, essential or not,
  templates, the link to the page where the person acts); `recipients`: who;
- `rendering`: subject, plain text and HTML from templates/mail/;
- `channel`: the dispatcher's "email" channel: fan-out to one row per recipient,
  then delivery outside any transaction, retried on a schedule;
- `sending`: SMTP through SMTP_URL (smtplib), or .eml files in MAIL_DIR;
- `settings`, `routes`, `schemas`, `pages`: each user's choice (`GET/PUT
  /me/notifications`, and a Notifications page in every face).
"""


def register(app) -> None:
    """The e-mail channel, the settings API and the settings pages. (The scan for a
    cycle closing within 24 h lives with the cycles: gpo.orders.cycles.tell_closing_soon.)"""
    from gpo import features, web
    from gpo.notifications import dispatcher
    from gpo.notifications.mail import channel, pages, routes

    dispatcher.add_channel(app, dispatcher.Channel("email", channel.fan_out, channel.deliver_due))
    features.add_blueprint(app, routes.blp)
    for face, blueprint in (("storefront", pages.storefront), ("console", pages.console), ("portal", pages.portal)):
        web.add_pages(app, blueprint)
        web.add_nav(app, face, "Notifications", f"{blueprint.name}.settings", order=990)
