"""allocate(): the one split of every pooled amount (DOMAIN.md "Money")."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpo.money import allocate

totals = st.integers(min_value=-10**12, max_value=10**12)


@st.composite
def parties(draw, min_size=1):
    weights = draw(st.lists(st.integers(min_value=0, max_value=10**9), min_size=min_size, max_size=30))
    if not any(weights):
        weights[draw(st.integers(0, len(weights) - 1))] = draw(st.integers(1, 10**9))
    keys = draw(st.lists(st.integers(1, 10**6), min_size=len(weights), max_size=len(weights), unique=True))
    return weights, keys


@given(totals, parties())
def test_parts_sum_to_the_total(total, p):
    weights, keys = p
    assert sum(allocate(total, weights, keys)) == total


@given(totals, parties())
def test_each_part_is_within_a_cent_of_its_exact_share(total, p):
    weights, keys = p
    whole = sum(weights)
    for part, w in zip(allocate(total, weights, keys), weights, strict=True):
        assert abs(Fraction(part) - Fraction(total * w, whole)) < 1


@given(totals, parties(), st.randoms())
def test_the_result_does_not_depend_on_input_order(total, p, rnd):
    weights, keys = p
    expected = dict(zip(keys, allocate(total, weights, keys), strict=True))
    pairs = list(zip(weights, keys, strict=True))
    rnd.shuffle(pairs)
    shuffled = allocate(total, [w for w, _ in pairs], [k for _, k in pairs])
    assert dict(zip([k for _, k in pairs], shuffled, strict=True)) == expected


@given(totals, parties())
def test_zero_weight_gets_zero(total, p):
    weights, keys = p
    for part, w in zip(allocate(total, weights, keys), weights, strict=True):
        if w == 0:
            assert part == 0


@given(st.integers(0, 10**12), parties())
def test_negative_totals_mirror_positive_ones(total, p):
    weights, keys = p
    assert allocate(-total, weights, keys) == [-x for x in allocate(total, weights, keys)]


def test_largest_remainder_with_ties_to_the_smallest_key():
    # 100 / 3: 33 each, one cent left, all remainders equal: the smallest key gets it.
    assert allocate(100, [1, 1, 1], [30, 10, 20]) == [33, 34, 33]


def test_hand_computed_splits():
    assert allocate(1000, [1, 2, 4], [1, 2, 3]) == [143, 286, 571]
    assert allocate(10, [3, 3, 3], [1, 2, 3]) == [4, 3, 3]
    assert allocate(1, [1, 1], [9, 2]) == [0, 1]
    assert allocate(-1, [1, 1], [9, 2]) == [0, -1]
    assert allocate(0, [0, 0], [1, 2]) == [0, 0]
    assert allocate(500, [Decimal("1.5"), Decimal("0.5")], [1, 2]) == [375, 125]


def test_all_zero_weights_with_an_amount_is_an_error():
    with pytest.raises(ValueError):
        allocate(1, [0, 0], [1, 2])


def test_negative_weights_and_mismatched_keys_are_errors():
    with pytest.raises(ValueError):
        allocate(10, [1, -1], [1, 2])
    with pytest.raises(ValueError):
        allocate(10, [1, 1], [1])
