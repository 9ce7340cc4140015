"""Check digits of the identifiers the platform accepts (pure functions).

NPI: 10 digits whose last is the Luhn check digit computed over the prefix 80840
followed by the first nine digits (CMS, "NPI check digit").
GTIN: 8, 12, 13 or 14 digits with the GS1 mod-10 check digit.
"""
from __future__ import annotations


def _luhn_check_digit(payload: str) -> int:
    total = 0
    # Double every second digit starting from the rightmost digit of the payload.
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_npi(value: str) -> bool:
    if not isinstance(value, str) or len(value) != 10 or not (value.isascii() and value.isdigit()):
        return False
    if value[0] not in "12":  # NPIs are issued starting with 1 or 2
        return False
    return _luhn_check_digit("80840" + value[:9]) == int(value[9])


def npi_with_check_digit(first_nine: str) -> str:
    """The full NPI for nine leading digits (used by demo data and factories)."""
    return first_nine + str(_luhn_check_digit("80840" + first_nine))


def is_valid_gtin(value: str) -> bool:
    if not isinstance(value, str) or len(value) not in (8, 12, 13, 14) or not (value.isascii() and value.isdigit()):
        return False
    # From the digit before the check digit leftwards, weights 3, 1, 3, ... (GS1); the
    # digits' bytes summed at C speed (a catalog import checks up to 100,000 of them).
    by_three, by_one = value[-2::-2].encode(), value[-3::-2].encode()
    total = 3 * (sum(by_three) - 48 * len(by_three)) + sum(by_one) - 48 * len(by_one)
    return (10 - total % 10) % 10 == int(value[-1])
