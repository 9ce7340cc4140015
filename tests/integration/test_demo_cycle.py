"""`make demo` (scripts/demo_cycle.py) over real HTTP, after `flask gpo seed-demo`: it
runs to the end, its invoice table adds up, it goes through the back half (a backorder,
a substitute, receipts with a credited claim, vendor invoices matched and in exception,
a settlement with its remittance advice, sent), and it leaves the seeded open cycle as
the README describes it (closed for the demo's own cycle, then opened again with the
same orders and closing time)."""
import importlib.util

from sqlalchemy import select

from gpo.db import db, utcnow
from gpo.orders.models import Cycle, Order
from gpo.payables.models import VendorInvoice, VendorSettlement
from tests.conftest import ROOT, TEST_WEBHOOK_SECRET


def _demo_module():
    spec = importlib.util.spec_from_file_location("demo_cycle", ROOT / "scripts" / "demo_cycle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _open_cycle():
    cycle = db.session.scalars(select(Cycle).where(Cycle.status == "open")).one()
    orders = db.session.scalars(select(Order).where(Order.cycle_id == cycle.id).order_by(Order.id)).all()
    found = [(o.practice_id, o.status, o.placed_by, sorted((line.product_id, line.quantity) for line in o.lines)) for o in orders]
    return cycle.id, cycle.name, cycle.closes_at, found


def test_the_demo_runs_through_and_puts_the_seeded_open_cycle_back(
        app, db_ctx, rq_worker, live_server, stripe_url, stripe_webhooks, capsys, monkeypatch):
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["gpo", "seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    before = _open_cycle()
    assert before[1] == "Demo: this cycle"
    # Lakeside's cart, clinical orders of Lakeside and Northside waiting for their physicians.
    assert sorted(status for _, status, _, _ in before[3]) == [
        "awaiting_approval", "awaiting_approval", "confirmed", "confirmed", "confirmed", "draft"]
    db.session.commit()  # no transaction of ours stays open while the server works

    demo = _demo_module()
    monkeypatch.setattr(demo, "STRIPE_WEBHOOK_SECRET", TEST_WEBHOOK_SECRET)  # the suite's, not localstripe's default
    status = demo.main(["--base-url", live_server, "--stripe-url", stripe_url, "--tag", "test-000001"])
    out = capsys.readouterr().out
    assert status == 0, out

    # The invoice table adds up as printed: goods + service fee = subtotal, - credits = total.
    assert "Goods  + Service fee  = Subtotal  - Credits  = Total due" in out
    # After the close: a backorder shipped later, a substitute approved by the buyer, a damage
    # claim credited, a matched invoice and one with a price exception approved by finance, the
    # freight back to the practices, and a settlement through today with its advice, sent.
    assert "2 of 6 sleeves of gauze backordered" in out and "open backorders on purchase order" in out
    assert "(not clinical, so a buyer may)" in out and "Acme shipped the backorder" in out
    assert " damaged: claim " in out and "Acme credited claim" in out
    invoices = [line for line in out.splitlines() if "Acme's invoice ACME-test-000001-" in line]
    assert len(invoices) == 2 and invoices[0].endswith(": approved") and ": exception, $" in invoices[1]
    assert "finance@summit-mso.example approved invoice ACME-test-000001-2 over its" in out
    assert "the freight, split by each practice's goods cents" in out
    settled = out[out.index("== 12."):out.index("== 13.")]
    assert "pays ACME-test-000001-1" in settled and "pays ACME-test-000001-2" in settled
    assert "admin_fee_netted," in settled and "payable," in settled
    assert "marked it sent: sent, bank reference ACH test-000001" in settled
    db.session.expire_all()
    settlement = db.session.scalars(select(VendorSettlement).where(VendorSettlement.status == "sent")
                                    .order_by(VendorSettlement.id.desc())).first()
    assert settlement.through == utcnow().date() and settlement.bank_reference == "ACH test-000001"
    assert settlement.payable_cents == settlement.invoices_cents - settlement.deductions_cents
    assert settlement.deductions_cents > 0
    paid = db.session.scalars(select(VendorInvoice).where(VendorInvoice.settlement_id == settlement.id)).all()
    assert {"ACME-test-000001-1", "ACME-test-000001-2"} <= {i.number for i in paid}
    assert sum(i.total_cents for i in paid) == settlement.invoices_cents

    # It says what it changed in the seeded data, and what it changed is undone as described.
    changes = out[out.index("What this run changed"):]
    assert f"closed cycle {before[0]} 'Demo: this cycle'" in changes
    assert "opened cycle" in changes and "(reopened test-000001)" in changes

    db.session.expire_all()
    after = _open_cycle()
    assert after[0] != before[0] and after[1] == "Demo: this cycle (reopened test-000001)"
    assert after[2] == before[2]  # the same closing time
    assert after[3] == before[3]  # the same practices, statuses, buyers and lines
    assert db.session.get(Cycle, before[0]).status == "closed"

    again = runner.invoke(args=["gpo", "seed-demo"])
    assert again.exit_code == 0, again.output
    assert f"Demo: this cycle (reopened test-000001): cycle {after[0]}, open" in again.output
