import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpo.identifiers import is_valid_gtin, is_valid_npi, npi_with_check_digit


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1111111112"])
def test_known_valid_npis(npi):
    assert is_valid_npi(npi)


@pytest.mark.parametrize(
    "npi",
    ["1234567890", "123456789", "12345678931", "123456789X", "", "3234567893", None, 1234567893],
)
def test_invalid_npis(npi):
    assert not is_valid_npi(npi)


@given(st.from_regex(r"^[12][0-9]{8}$", fullmatch=True))
def test_any_nine_digits_get_exactly_one_valid_check_digit(first_nine):
    valid = [d for d in "0123456789" if is_valid_npi(first_nine + d)]
    assert valid == [npi_with_check_digit(first_nine)[-1]]


@pytest.mark.parametrize("gtin", ["00012345678905", "4006381333931", "036000291452", "96385074"])
def test_valid_gtins(gtin):
    assert is_valid_gtin(gtin)


@pytest.mark.parametrize("gtin", ["00012345678906", "4006381333932", "12345", "abcdefghijklm", ""])
def test_invalid_gtins(gtin):
    assert not is_valid_gtin(gtin)


def _gtin_by_the_book(value: str) -> bool:
    """GS1's mod 10 as written: weights 3 and 1 from the right of the body."""
    body, check = value[:-1], int(value[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


@given(st.sampled_from([8, 12, 13, 14]).flatmap(lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)))
def test_gtin_check_digits_are_gs1s(gtin):
    assert is_valid_gtin(gtin) == _gtin_by_the_book(gtin)
