"""The retry schedule, Retry-After, and the secrets and signatures, as pure functions."""
import base64
import datetime as dt

import pytest
from standardwebhooks.webhooks import Webhook

from gpo.notifications.webhooks import schedule, signing
from gpo.notifications.webhooks.schedule import next_attempt_delay, retry_after

NOW = dt.datetime(2027, 1, 12, 15, 4, 5, tzinfo=dt.timezone.utc)


def test_the_schedule_after_each_failed_attempt_then_failed_for_good():
    delays = [next_attempt_delay(attempt) for attempt in range(1, 9)]
    assert delays == [dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                      dt.timedelta(hours=2), dt.timedelta(hours=5), dt.timedelta(hours=10), dt.timedelta(hours=10),
                      None]
    assert schedule.MAX_ATTEMPTS == 8


@pytest.mark.parametrize("header, delay", [
    ("120", dt.timedelta(seconds=120)),
    (" 0 ", dt.timedelta(0)),
    ("Tue, 12 Jan 2027 15:14:05 GMT", dt.timedelta(minutes=10)),  # an HTTP date
    ("Tue, 12 Jan 2027 15:00:00 GMT", dt.timedelta(0)),  # already past: now
    ("999999999999", dt.timedelta(hours=24)),  # capped at a day
    ("Sat, 01 Jan 2028 00:00:00 GMT", dt.timedelta(hours=24)),
])
def test_retry_after_in_seconds_or_as_a_date_replaces_the_delay(header, delay):
    assert retry_after(header, NOW) == delay
    assert next_attempt_delay(2, header, NOW) == delay  # instead of 5 minutes


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "12.5", "٣٠"])
def test_an_unreadable_retry_after_leaves_the_schedule(header):
    assert retry_after(header, NOW) is None
    assert next_attempt_delay(2, header, NOW) == dt.timedelta(minutes=5)


def test_retry_after_does_not_extend_the_schedule_past_its_last_attempt():
    assert next_attempt_delay(8, "30", NOW) is None


def test_a_secret_is_whsec_and_32_random_bytes_that_standardwebhooks_reads():
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert signing.new_secret() != secret
    Webhook(secret)  # accepted as a Standard Webhooks secret


def test_both_secrets_sign_during_a_rotation_and_only_the_new_one_after():
    new, old = signing.new_secret(), signing.new_secret()
    ends = NOW + signing.ROTATION_OVERLAP
    assert signing.signing_secrets(new, old, ends, NOW) == [new, old]
    assert signing.signing_secrets(new, old, ends, ends) == [new]
    assert signing.signing_secrets(new, None, None, NOW) == [new]
    body = '{"type":"settlement.sent"}'
    header = signing.signature_header([new, old], "msg_7", NOW, body)
    first, second = header.split(" ")
    assert first == Webhook(new).sign("msg_7", NOW, body) and second == Webhook(old).sign("msg_7", NOW, body)
