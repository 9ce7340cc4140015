"""A purchase-order line's acknowledgement states, as codes and in words (pure)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from gpo.orders.line_states import in_words, line_state, unit_states
from gpo.orders.models import PurchaseOrderLine


def line(**values):
    base = {"quantity": 60, "unit_price": D("17.9910"), "line_cents": 0, "accepted_quantity": None,
            "backordered_quantity": 0, "backorder_cancelled_quantity": 0, "substituted_quantity": 0,
            "replacement_quantity": 0, "shipped_quantity": 0, "substitution_of_id": None}
    return PurchaseOrderLine(**{**base, **values})


def test_states_of_a_line():
    assert line_state(line()) == "awaiting_acknowledgement"
    assert line_state(line(accepted_quantity=60)) == "accepted"
    assert line_state(line(accepted_quantity=0)) == "rejected"
    assert line_state(line(accepted_quantity=5, substitution_of_id=1, quantity=5)) == "substitute"
    split = line(accepted_quantity=40, backordered_quantity=10, backorder_cancelled_quantity=3, substituted_quantity=5,
                 expected_ship_on=dt.date(2027, 1, 20))
    assert line_state(split) == "split"
    assert unit_states(split) == {"accepted": 40, "backordered": 7, "substituted": 5, "rejected": 5, "cancelled": 3}
    assert in_words(split, "offered") == ("40 accepted, 7 backordered (expected 2027-01-20), 5 offered as a substitute "
                                          "(the practice decides), 5 rejected, 3 backordered then cancelled")
    assert in_words(line(accepted_quantity=0)) == "60 rejected"
    assert in_words(line()) == "awaiting acknowledgement"
