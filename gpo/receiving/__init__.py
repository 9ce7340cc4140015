"""Receiving (DOMAIN.md "After the close"): a practice records what arrived of each
shipment line (good, damaged, missing units), and claims the damaged and missing ones
from the vendor, who ships a replacement or credits them.

Use cases: `receipts` (receiving, shipments as the practice sees them), `claims`."""


def register(app) -> None:
    """Receipts and claims: the routes, who sees a shipment and a claim, the pages."""
    from gpo.receiving import models  # noqa: F401 - the models join the metadata
