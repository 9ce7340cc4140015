import datetime as dt

import jwt
import pytest

from gpo.auth.tokens import (
    InvalidToken,
    hash_api_key,
    issue_access_token,
    looks_like_api_key,
    new_api_key,
    read_access_token,
)

SECRET = "unit-secret-unit-secret-unit-secret-00"
NOW = dt.datetime.now(dt.timezone.utc)


def test_a_fresh_token_names_its_user():
    token = issue_access_token(42, SECRET, 900, dt.datetime.now(dt.timezone.utc))
    assert read_access_token(token, SECRET) == 42


def test_an_expired_token_is_refused():
    token = issue_access_token(42, SECRET, 900, NOW - dt.timedelta(hours=1))
    with pytest.raises(InvalidToken, match="expired"):
        read_access_token(token, SECRET)


def test_a_token_signed_with_another_secret_is_refused():
    token = issue_access_token(42, "another-secret-another-secret-another", 900, dt.datetime.now(dt.timezone.utc))
    with pytest.raises(InvalidToken):
        read_access_token(token, SECRET)


def test_an_unsigned_token_is_refused():
    claims = {"sub": "42", "typ": "access", "exp": 4102444800}
    token = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(InvalidToken):
        read_access_token(token, SECRET)


def test_api_keys_carry_256_random_bits_and_only_their_hash_is_kept():
    key = new_api_key()
    assert looks_like_api_key(key) and len(key) >= 4 + 43
    assert new_api_key() != key
    assert hash_api_key(key) != key and len(hash_api_key(key)) == 64
