"""Where a purchase-order line's units stand after the vendor's acknowledgement (the
X12 855 line states of DOMAIN.md "After the close"), as codes for the API and in
words for the pages. Pure: reads the line's columns only."""
from __future__ import annotations

from gpo.orders.models import PurchaseOrderLine

# The states a line's units can be in; a line split between several is "split".
LINE_STATES = ("awaiting_acknowledgement", "accepted", "backordered", "substituted", "rejected", "cancelled",
               "substitute")


def unit_states(line: PurchaseOrderLine) -> dict[str, int]:
    """Units per acknowledgement state, those with units only (backordered: still open
    or shipped, not cancelled; cancelled: backordered units cancelled since)."""
    if line.accepted_quantity is None:
        return {"awaiting_acknowledgement": line.quantity}
    if line.substitution_of_id is not None:
        return {"substitute": line.quantity}
    units = {
        "accepted": line.accepted_quantity,
        "backordered": line.backordered_quantity - line.backorder_cancelled_quantity,
        "substituted": line.substituted_quantity,
        "rejected": line.rejected_quantity,
        "cancelled": line.backorder_cancelled_quantity,
    }
    return {state: n for state, n in units.items() if n > 0} or {"rejected": 0}


def line_state(line: PurchaseOrderLine) -> str:
    """One of LINE_STATES, or "split" when the units are in several."""
    states = unit_states(line)
    return next(iter(states)) if len(states) == 1 else "split"


def in_words(line: PurchaseOrderLine, substitution_status: str | None = None) -> str:
    """"40 accepted, 10 backordered (expected 2027-01-20), 5 offered as a substitute, 5 rejected"."""
    states = unit_states(line)
    if "awaiting_acknowledgement" in states:
        return "awaiting acknowledgement"
    if "substitute" in states:
        return f"approved substitute ({line.quantity} units)"
    parts = []
    for state, n in states.items():
        if state == "backordered":
            parts.append(f"{n} backordered (expected {line.expected_ship_on.isoformat()})")
        elif state == "cancelled":
            parts.append(f"{n} backordered then cancelled")
        elif state == "substituted":
            parts.append(f"{n} {_SUBSTITUTED.get(substitution_status, 'substituted')}")
        elif state == "rejected" and n == 0:
            parts.append("nothing accepted")
        else:
            parts.append(f"{n} {state}")
    return ", ".join(parts)


_SUBSTITUTED = {"offered": "offered as a substitute (the practice decides)", "approved": "replaced by a substitute"}
