"""Placeholder: the lease lifecycle helper owns this module (buyout, end of term, the
month's rents). Only here so the "lease" billing run can call it on this branch."""


def bill_rents(start, end) -> int:
    return 0
