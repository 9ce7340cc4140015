"""`make demo` (scripts/demo_cycle.py) over real HTTP, after `flask gpo seed-demo`: it
runs to the end, its invoice table adds up, it goes through the back half (a backorder,
a substitute, receipts with a credited claim, vendor invoices matched and in exception,
a settlement with its remittance advice, sent), and it leaves the seeded open cycle as
the README describes it (closed for the demo's own cycle, then opened again with the
same orders and closing time). Acme's system reads its purchase order as cXML and
acknowledges it in cXML; the run's events reach the demo's webhook receiver (the
outbox dispatched after each commit, as `make run` does) and its e-mails the mail
folder, and the last step lists both."""
import importlib.util
import re

from sqlalchemy import select

from gpo.accounts.models import Organization, Vendor
from gpo.db import db, utcnow
from gpo.notifications.models import WebhookDelivery, WebhookEndpoint
from gpo.orders.models import Cycle, Order, PurchaseOrder
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
        app, db_ctx, rq_worker, live_server, stripe_url, stripe_webhooks, demo_receiver, tmp_path, capsys, monkeypatch):
    # As `make run`: the outbox is dispatched after each commit; e-mails land in a folder of the test's own.
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH", "inline")
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path / "mail"))
    receiver_url, received = demo_receiver
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
    seen_before = len(received.received)
    status = demo.main(["--base-url", live_server, "--stripe-url", stripe_url, "--tag", "test-000001",
                        "--mail-dir", str(tmp_path / "mail")])
    out = capsys.readouterr().out
    assert status == 0, out
    _acme_speaks_cxml(out)
    _the_run_was_told(out, receiver_url, received.received[seen_before:], tmp_path / "mail")

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


def _acme_speaks_cxml(out: str) -> None:
    """Step 7: Acme's system reads its purchase order as a cXML OrderRequest and answers
    with a ConfirmationRequest that does what the JSON acknowledgement did."""
    shipped = out[out.index("== 7."):out.index("== 8.")]
    db.session.expire_all()
    acme = db.session.scalars(select(Vendor).where(Organization.name == "Acme Medical Supply")).one()
    po = db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.vendor_id == acme.id)
                            .order_by(PurchaseOrder.id.desc())).first()
    assert (f"Acme's system fetches purchase order {po.id} as cXML (GET /api/v1/purchase-orders/{po.id}, "
            "Accept: application/xml): an OrderRequest, ") in shipped
    assert f'<OrderRequestHeader orderID="{po.id}"' in shipped and "<SupplierPartID>GLV-" in shipped
    lines = len(po.lines) - 1  # the substitute's line came with the acknowledgement
    assert (f"Acme's system answers with a cXML ConfirmationRequest of {lines} items (POST /api/v1/cxml): "
            f"200 OK: purchase order {po.id}: {lines} lines acknowledged (") in shipped
    assert "3 units rejected" in shipped and "2 units backordered" in shipped and "offered as a substitute" in shipped
    assert f"Acme Medical Supply acknowledged purchase order {po.id}" in shipped


def _the_run_was_told(out: str, receiver_url: str, received: list[dict], mail_dir) -> None:
    """Step 15: Acme's deliveries of the run, all succeeded, are those the receiver checked;
    Bolt's endpoint answers 503 and its deliveries wait for a retry; the e-mails are counted."""
    told = out[out.index("== 15."):out.index("What this run changed")]
    db.session.expire_all()
    by_path = {e.url.removeprefix(receiver_url): e for e in db.session.scalars(select(WebhookEndpoint))}
    acme, bolt = by_path["/acme"], by_path["/answer/503"]
    acme_paths = [r for r in received if r["path"] == "/acme"]
    assert acme_paths and all(r["valid"] and r["answered"] == 204 for r in acme_paths)
    assert {(r["path"], r["valid"], r["answered"]) for r in received if r not in acme_paths} == {("/answer/503", True, 503)}
    run = re.search(rf"Acme Medical Supply's webhook endpoint {acme.id} at {acme.url} \(on; GET "
                    rf"/api/v1/webhook-endpoints/{acme.id}/deliveries as admin@acme.example\): (\d+) deliveries during "
                    r"this run: (\d+) succeeded\n", told)
    assert run and run.group(1) == run.group(2), told
    count = int(run.group(1))
    statuses = db.session.scalars(select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == acme.id)
                                  .order_by(WebhookDelivery.id.desc()).limit(count)).all()
    assert statuses == ["succeeded"] * count
    assert len({r["webhook_id"] for r in acme_paths}) == len(acme_paths) >= count  # each event once
    assert "purchase_order.created" in told and "shipment.received" in told and "settlement.sent" in told
    failing = re.search(rf"Bolt IT Solutions's webhook endpoint {bolt.id} at {bolt.url} .*: (\d+) deliveries during "
                        r"this run: \1 pending\n {5}the receiver answered: \1 503; next retry at ", told)
    assert failing, told
    files = sorted(mail_dir.glob("*.eml"))
    assert files
    assert f"{mail_dir}/ holds {len(files)} e-mails, " in told and " of them written during this run (" in told
    assert "invoice-issued" in told
