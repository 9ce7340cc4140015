"""the e-mail channel claims a whole batch (up to dispatch's limit, 500) with one
10-minute lease, then sends the batch one by one without checking that each claim is
still its own. A slow SMTP server (10 s timeout per message) makes the tail of the
batch outlive the lease: `flask gpo tick` (every minute) claims those rows again and
sends them, and the first dispatcher then sends them too: the same e-mail twice, with
no crash anywhere."""
import datetime as dt
from types import SimpleNamespace

from gpo.db import clock_shifted, db, unit_of_work
from gpo.notifications import dispatcher, outbox
from gpo.notifications.mail import channel, sending


def test_a_slow_batch_does_not_send_an_email_a_second_dispatcher_took_over(world, monkeypatch):
    sent: list[int] = []
    state = {"nested": False}

    class SlowMailer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def send(self, outgoing):
            sent.append(outgoing.message_id)
            if not state["nested"]:
                # the first message takes long; meanwhile the lease of the others lapses and a
                # second dispatcher (the next tick) runs
                state["nested"] = True
                with clock_shifted(channel.LEASE + dt.timedelta(seconds=1)):
                    channel.deliver_due(100)

    monkeypatch.setattr(sending, "mailer_for", lambda config: SlowMailer())
    for invoice_id in (9, 10, 11):
        with unit_of_work():
            outbox.emit("invoice.issued", SimpleNamespace(id=invoice_id), subject_type="invoice",
                        practice_id=world.practice.id, summary="An invoice", data={"invoice_id": invoice_id})
    db.session.commit()
    dispatcher.fan_out_pending()
    assert channel.deliver_due(100) >= 2
    assert len(sent) >= 3
    assert len(sent) == len(set(sent)), f"e-mails sent twice without any crash: {sent}"
