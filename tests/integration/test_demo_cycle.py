"""`make demo` (scripts/demo_cycle.py) over real HTTP, after `flask gpo seed-demo`: it
runs to the end, its invoice table adds up, and it leaves the seeded open cycle as the
README describes it (closed for the demo's own cycle, then opened again with the same
orders and closing time)."""
import importlib.util

from sqlalchemy import select

from gpo.db import db
from gpo.orders.models import Cycle, Order
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
