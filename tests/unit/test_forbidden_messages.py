"""A 403 says in English what the role may not do."""
import re

import pytest

from gpo.auth.policy import ACTIONS, action_phrase


@pytest.mark.parametrize("action, phrase", [
    ("api_key.list", "list API keys"),
    ("order.approve", "approve orders"),
    ("practice.change_status", "change the status of practices"),
    ("invoice.read", "see invoices"),
    ("fee_schedule.read_default", "see the MSO's default fee schedule"),
])
def test_actions_read_as_english(action, phrase):
    assert action_phrase(action) == phrase


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_is_words_not_an_identifier(action):
    phrase = action_phrase(action)
    assert re.fullmatch(r"[a-z]+( [a-zA-Z'-]+)+", phrase), phrase
    assert "_" not in phrase and "." not in phrase
