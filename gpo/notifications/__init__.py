"""Telling people and systems (DOMAIN.md): events written to an outbox in the use
case's own transaction (`outbox.emit`), fanned out and delivered by the dispatcher
through its channels:

- `webhooks`: vendors' endpoints, signed per Standard Webhooks, retried on a schedule,
  every attempt kept and replayable, URLs checked against SSRF at every delivery;
- `mail`: e-mail to people through SMTP (or files in MAIL_DIR), each user choosing
  what is not essential (`/me/notifications`);
- `cxml`: purchase orders as cXML OrderRequest and the vendor's ConfirmationRequest,
  ShipNoticeRequest and InvoiceDetailRequest mapped onto the same services.
"""


def register(app) -> None:
    """The outbox's models, then each channel (each declares its routes, pages, jobs)."""
    from gpo.notifications import cxml, mail, models, webhooks  # noqa: F401 - the models join the metadata

    webhooks.register(app)
    mail.register(app)
    cxml.register(app)
