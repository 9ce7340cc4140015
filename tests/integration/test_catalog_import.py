"""Bulk catalog imports: accepted at once, applied by a job, each row on its own."""
import json
import threading
from decimal import Decimal

from sqlalchemy import func, select

from gpo.catalog import catalog_imports as services
from gpo.catalog.models import CatalogImport, Product, ProductPrice
from gpo.db import db, transactional
from gpo.jobs import Job
from tests.factories import ProductFactory
from tests.helpers import assert_error

HEADER = "sku,name,category,list_price,manufacturer,gtin,clinical,min_order_quantity,order_multiple"


def row(sku, price="10.00", **extra):
    return {"sku": sku, "name": f"Item {sku}", "category": "supplies", "list_price": price, **extra}


def send_json(client, world, products, mode="upsert", who="vendor_key"):
    return client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports",
                       json={"mode": mode, "products": products}, headers=world.headers[who])


def send_csv(client, world, text, mode="upsert", encoding="utf-8"):
    return client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports?mode={mode}",
                       data=text.encode(encoding) if isinstance(text, str) else text,
                       content_type="text/csv", headers=world.headers["vendor_key"])


def finished(client, world, response, run_jobs):
    assert response.status_code == 202, response.get_data(as_text=True)
    accepted = response.get_json()
    assert accepted["status"] == "queued" or accepted["status"] == "finished"
    run_jobs(accepted["job_id"])
    report = client.get(f"/api/v1/catalog-imports/{accepted['id']}", headers=world.headers["vendor_key"])
    assert report.status_code == 200
    return report.get_json()


def counts(report):
    return {k: report[k] for k in ("created", "updated", "unchanged", "deactivated", "failed")}


def products_of(vendor_id):
    db.session.expire_all()
    return {p.sku: p for p in db.session.scalars(select(Product).where(Product.vendor_id == vendor_id))}


def test_upsert_creates_then_the_same_file_changes_nothing(client, world, run_jobs):
    rows = [row("A"), row("B", "5.5"), row("C", clinical=True)]
    first = finished(client, world, send_json(client, world, rows), run_jobs)
    assert first["status"] == "finished"
    assert counts(first) == {"created": 3, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 0}
    assert products_of(world.vendor.id)["B"].list_price == Decimal("5.5")
    again = finished(client, world, send_json(client, world, rows), run_jobs)
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 3, "deactivated": 0, "failed": 0}
    assert db.session.scalar(select(func.count()).select_from(ProductPrice)) == 3
    job = db.session.get(Job, again["job_id"])
    assert job.status == "finished" and job.result == counts(again)


def test_changed_rows_update_and_keep_price_history(client, world, run_jobs):
    finished(client, world, send_json(client, world, [row("A"), row("B")]), run_jobs)
    report = finished(client, world, send_json(client, world, [row("A", "11.25"), row("B", name="Renamed")]), run_jobs)
    assert counts(report) == {"created": 0, "updated": 2, "unchanged": 0, "deactivated": 0, "failed": 0}
    products = products_of(world.vendor.id)
    assert products["B"].name == "Renamed" and products["B"].version == 2
    history = db.session.scalars(select(ProductPrice).where(ProductPrice.product_id == products["A"].id)
                                 .order_by(ProductPrice.id)).all()
    assert [(h.list_price, h.effective_to is None) for h in history] == [(Decimal("10.0000"), False), (Decimal("11.2500"), True)]


def test_each_row_stands_alone_with_its_line_and_sku(client, world, run_jobs):
    rows = [
        row("OK-1"),
        {"name": "no sku", "category": "supplies", "list_price": "1"},
        row("BAD-PRICE", "-3"),
        row("ZERO", "0"),
        row("WORDS", "abc"),
        row("PLACES", "1.23456"),
        row("GTIN", gtin="00012345678906"),
        row("CAT", category="toys"),
        row("LONG", name="x" * 201),
        {**row("EMPTY"), "name": ""},
        row("OK-1", "2.00"),
        row("OK-2"),
    ]
    report = finished(client, world, send_json(client, world, rows), run_jobs)
    assert counts(report) == {"created": 2, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 10}
    by_line = {e["line"]: e for e in report["errors"]}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "sku" in by_line[2]["errors"] and by_line[2]["sku"] is None
    assert by_line[3] == {"line": 3, "sku": "BAD-PRICE", "errors": {"list_price": ["list_price must be greater than 0"]}}
    assert "list_price" in by_line[6]["errors"] and "gtin" in by_line[7]["errors"]
    assert "category" in by_line[8]["errors"] and "name" in by_line[9]["errors"] and "name" in by_line[10]["errors"]
    assert by_line[11]["errors"] == {"sku": ["duplicate SKU in this file (first on line 1)"]}
    assert products_of(world.vendor.id)["OK-1"].list_price == Decimal("10.00")  # the later duplicate lost


def test_replace_deactivates_what_the_file_no_longer_lists(client, world, run_jobs):
    finished(client, world, send_json(client, world, [row("A"), row("B"), row("C"), row("D")]), run_jobs)
    report = finished(client, world, send_json(client, world, [row("A"), row("C", "-1")], mode="replace"), run_jobs)
    assert counts(report) == {"created": 0, "updated": 0, "unchanged": 1, "deactivated": 2, "failed": 1}
    products = products_of(world.vendor.id)
    assert {s: p.active for s, p in products.items()} == {"A": True, "B": False, "C": True, "D": False}
    # listed again: active again
    back = finished(client, world, send_json(client, world, [row("B")]), run_jobs)
    assert counts(back) == {"created": 0, "updated": 1, "unchanged": 0, "deactivated": 0, "failed": 0}  # upsert
    assert products_of(world.vendor.id)["B"].active


def test_replace_never_touches_another_vendor(client, world, run_jobs):
    other = ProductFactory(vendor_id=world.other_vendor.id, sku="A")
    finished(client, world, send_json(client, world, [row("Z")], mode="replace"), run_jobs)
    db.session.expire_all()
    assert db.session.get(Product, other.id).active


def test_csv_with_bom_and_quoted_fields(client, world, run_jobs):
    text = "\ufeff" + HEADER + "\n" + 'GLV,"Gloves, nitrile ""M""",supplies,12.99,Acme,00012345678905,false,2,2\n' \
        + 'TBL,Exam table,equipment,3200,Midmark,,true,,\n' + "BAD,Bad,supplies,-1,,,,,\n"
    report = finished(client, world, send_csv(client, world, text), run_jobs)
    assert counts(report) == {"created": 2, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 1}
    assert report["errors"][0]["line"] == 4 and report["source_format"] == "csv"
    products = products_of(world.vendor.id)
    assert products["GLV"].name == 'Gloves, nitrile "M"' and products["GLV"].order_multiple == 2
    assert products["TBL"].clinical and products["TBL"].min_order_quantity == 1 and products["TBL"].gtin is None


def test_a_row_cannot_unmark_what_the_mso_marked_clinical(client, world, run_jobs):
    ProductFactory(vendor_id=world.vendor.id, sku="TBL", clinical=True, clinical_marked_by_mso=True)
    report = finished(client, world, send_json(client, world, [row("TBL", clinical=False)]), run_jobs)
    assert report["failed"] == 1 and "clinical" in report["errors"][0]["errors"]
    assert products_of(world.vendor.id)["TBL"].clinical


def test_bad_bodies_are_refused_before_anything_is_queued(client, world, app):
    cases = [
        (send_csv(client, world, "sku,name,category\nA,B,supplies\n"), 422),
        (send_csv(client, world, HEADER + "\nA,Grüße,supplies,1,,,,,\n", encoding="latin-1"), 422),
        (send_csv(client, world, ""), 422),
        (send_json(client, world, "not a list"), 422),
        (send_json(client, world, [1, 2, 3]), 422),
        (send_json(client, world, [row("A")], mode="merge"), 422),
        (client.post(f"/api/v1/vendors/{world.vendor.id}/catalog-imports", data=b"<xml/>",
                     content_type="application/xml", headers=world.headers["vendor_key"]), 415),
        (send_csv(client, world, HEADER + "\n" + "A,B,supplies,1,,,,,\n" * 100_001), 413),
        (send_csv(client, world, "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)), 413),
    ]
    for response, status in cases:
        assert_error(response, status)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CatalogImport)) == 0
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_imports_are_the_vendors_own(client, world, run_jobs):
    report = finished(client, world, send_json(client, world, [row("A")]), run_jobs)
    url = f"/api/v1/catalog-imports/{report['id']}"
    assert_error(client.get(url, headers=world.headers["other_vendor_key"]), 404)
    assert_error(client.get(url, headers=world.headers["practice_admin"]), 404)
    assert client.get(url, headers=world.headers["mso_procurement"]).status_code == 200
    listed = client.get(f"/api/v1/vendors/{world.vendor.id}/catalog-imports", headers=world.headers["vendor_admin"])
    assert [i["id"] for i in listed.get_json()] == [report["id"]] and "errors" not in listed.get_json()[0]
    assert_error(send_json(client, world, [row("B")], who="practice_admin"), 404)
    assert_error(send_json(client, world, [row("B")], who="mso_procurement"), 403)


def stored_import(vendor_id, rows, mode="upsert") -> int:
    """An accepted import, as POST stores it (the job not run yet)."""
    imp = CatalogImport(vendor_id=vendor_id, mode=mode, source_format="json",
                        payload=json.dumps({"products": rows}),
                        row_count=len(rows), errors=[], created_by="test")
    db.session.add(imp)
    db.session.commit()
    return imp.id


def test_a_crashed_import_runs_again_and_creates_nothing_twice(client, world, monkeypatch, app):
    import_id = stored_import(world.vendor.id, [row("A"), row("B"), row("C")])
    original = services.audit.record
    calls = {"n": 0}

    def crash_once(principal, action, *args, **kwargs):
        if action == "catalog_import.apply" and calls["n"] == 0:
            calls["n"] += 1
            raise RuntimeError("injected crash before the import's commit")
        return original(principal, action, *args, **kwargs)

    monkeypatch.setattr(services.audit, "record", crash_once)
    try:
        transactional(services.apply_import)(import_id)
    except RuntimeError:
        db.session.rollback()
    assert len(products_of(world.vendor.id)) == 0
    result = transactional(services.apply_import)(import_id)
    assert result == {"created": 3, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 0}
    assert transactional(services.apply_import)(import_id) == result  # finished: nothing more
    assert len(products_of(world.vendor.id)) == 3
    assert db.session.scalar(select(func.count()).select_from(ProductPrice)) == 3


def test_two_imports_for_one_vendor_at_once_both_finish_without_duplicates(app, world, postgresql_only):
    rows_a = [row(f"S{i}", "1.00") for i in range(300)]
    rows_b = [row(f"S{i}", "2.00") for i in range(150, 450)]
    ids = [stored_import(world.vendor.id, rows) for rows in (rows_a, rows_b)]
    barrier = threading.Barrier(2)
    results = {}

    def apply(import_id):
        with app.app_context():
            barrier.wait()
            results[import_id] = transactional(services.apply_import)(import_id)

    threads = [threading.Thread(target=apply, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    assert sum(r["created"] for r in results.values()) == 450
    assert sum(r["updated"] for r in results.values()) == 150
    skus = db.session.scalars(select(Product.sku).where(Product.vendor_id == world.vendor.id)).all()
    assert len(skus) == len(set(skus)) == 450


def test_an_import_whose_job_fails_for_good_says_failed(client, world, monkeypatch):
    from gpo import jobs

    def broken(*batch):
        raise RuntimeError("injected: the job cannot apply this import")

    monkeypatch.setattr(services, "_validate_rows", broken)
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)  # run it by hand below
    response = send_json(client, world, [row("A")])
    job_id, import_id = response.get_json()["job_id"], response.get_json()["id"]
    db.session.commit()
    for _ in range(3):
        try:
            jobs.run(job_id)
        except RuntimeError:
            pass
    report = client.get(f"/api/v1/catalog-imports/{import_id}", headers=world.headers["vendor_key"]).get_json()
    assert report["status"] == "failed" and report["finished_at"]
    assert db.session.get(Job, job_id).status == "failed"
    assert products_of(world.vendor.id) == {}


# --- batches and the stored row hash ---------------------------------------------------------


def product_writes_while(fn) -> list[str]:
    """The statements that write products or prices while `fn()` runs."""
    from sqlalchemy import event

    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        text = " ".join(statement.split()).upper()
        if text.startswith(("INSERT", "UPDATE", "COPY")) and ("PRODUCTS" in text.split("(")[0] or "PRODUCT_PRICES" in text):
            seen.append(text[:120])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def state_of(vendor_id):
    return {sku: (p.version, p.updated_at, p.row_hash, p.name) for sku, p in products_of(vendor_id).items()}


def test_an_unchanged_reimport_writes_nothing_and_reports_every_row_unchanged(client, world, run_jobs):
    rows = [row("A"), row("B", "5.50", clinical=True, gtin="00012345678905"), row("C", description="x")]
    finished(client, world, send_json(client, world, rows), run_jobs)
    before = state_of(world.vendor.id)
    assert all(stored and stored.endswith(":1") for _, _, stored, _ in before.values())
    import_id = stored_import(world.vendor.id, [row("C", description="x"), row("A"),
                                                {**row("B", "5.50", gtin="00012345678905"), "clinical": True}])
    writes = product_writes_while(lambda: transactional(services.apply_import)(import_id))
    assert writes == []  # the same rows, in another order, their fields too
    assert db.session.get(CatalogImport, import_id).unchanged == 3
    assert state_of(world.vendor.id) == before


def test_the_same_values_written_otherwise_are_unchanged_and_only_rehashed_once(client, world, run_jobs):
    rows = [row("A"), row("B", "5.50", clinical=True, gtin="00012345678905")]
    finished(client, world, send_json(client, world, rows), run_jobs)
    before = state_of(world.vendor.id)
    otherwise = [row("A", "10"), row("B", "5.5000", clinical="true", gtin="00012345678905")]
    import_id = stored_import(world.vendor.id, otherwise)
    writes = product_writes_while(lambda: transactional(services.apply_import)(import_id))
    assert len(writes) == 1 and writes[0].startswith("UPDATE PRODUCTS SET UPDATED_AT=PRODUCTS.UPDATED_AT, ROW_HASH=")
    assert db.session.get(CatalogImport, import_id).unchanged == 2
    after = state_of(world.vendor.id)
    assert {sku: (v, at, name) for sku, (v, at, _, name) in after.items()} == \
        {sku: (v, at, name) for sku, (v, at, _, name) in before.items()}  # no version, no time, no price
    assert all(after[sku][2] != before[sku][2] and after[sku][2].endswith(":1") for sku in after)
    again = stored_import(world.vendor.id, otherwise)
    assert product_writes_while(lambda: transactional(services.apply_import)(again)) == []
    assert db.session.get(CatalogImport, again).unchanged == 2


def test_a_product_changed_since_its_import_is_compared_field_by_field_again(client, world, run_jobs):
    finished(client, world, send_json(client, world, [row("A"), row("B")]), run_jobs)
    edited = products_of(world.vendor.id)["A"]
    edited.name = "Renamed in the portal"  # any edit bumps the version: the stored hash is stale
    db.session.commit()
    report = finished(client, world, send_json(client, world, [row("A"), row("B")]), run_jobs)
    assert counts(report) == {"created": 0, "updated": 1, "unchanged": 1, "deactivated": 0, "failed": 0}
    products = products_of(world.vendor.id)
    assert products["A"].name == "Item A" and products["A"].version == 3
    assert products["A"].row_hash.endswith(":3")  # the row's digest at the version it left
    again = finished(client, world, send_json(client, world, [row("A"), row("B")]), run_jobs)
    assert counts(again)["unchanged"] == 2


def test_a_product_without_a_stored_hash_is_compared_then_hashed_once(client, world, run_jobs):
    ProductFactory(vendor_id=world.vendor.id, sku="OLD", name="Item OLD", category="supplies",
                   list_price=Decimal("10.00"), description="", manufacturer="", manufacturer_part_number="",
                   gtin=None, unit_of_measure="each", clinical=False, min_order_quantity=1, order_multiple=1)
    first = finished(client, world, send_json(client, world, [row("OLD")]), run_jobs)
    assert counts(first)["unchanged"] == 1
    product = products_of(world.vendor.id)["OLD"]
    assert product.version == 1 and product.row_hash.endswith(":1")  # the hash, not a change
    import_id = stored_import(world.vendor.id, [row("OLD")])
    assert product_writes_while(lambda: transactional(services.apply_import)(import_id)) == []
    assert db.session.get(CatalogImport, import_id).unchanged == 1


def test_any_changed_field_of_a_row_is_an_update(client, world, run_jobs):
    base = row("A", description="d", manufacturer="m", manufacturer_part_number="p", gtin="00012345678905",
               unit_of_measure="box", clinical=False, min_order_quantity=2, order_multiple=2, active=True)
    finished(client, world, send_json(client, world, [base]), run_jobs)
    changes = {"name": "N", "description": "d2", "category": "it", "manufacturer": "m2",
               "manufacturer_part_number": "p2", "gtin": "96385074", "unit_of_measure": "each",
               "list_price": "10.0001", "clinical": True, "min_order_quantity": 3, "order_multiple": 4,
               "active": False}
    for field, value in changes.items():
        report = finished(client, world, send_json(client, world, [{**base, field: value}]), run_jobs)
        assert counts(report)["updated"] == 1, field
        finished(client, world, send_json(client, world, [base]), run_jobs)  # and back
    history = db.session.scalars(select(ProductPrice.list_price).join(Product).where(Product.sku == "A")
                                 .order_by(ProductPrice.id)).all()
    assert history == [Decimal("10.0000"), Decimal("10.0001"), Decimal("10.0000")]


def test_batches_keep_file_order_duplicates_and_replace_across_the_whole_file(client, world, run_jobs, monkeypatch):
    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    finished(client, world, send_json(client, world, [row("OLD-1"), row("OLD-2"), row("KEEP")]), run_jobs)
    rows = [row("A"), row("B", "-1"), row("C"), row("KEEP"), row("A", "3.00"), row("D", category="toys"), row("E")]
    report = finished(client, world, send_json(client, world, rows, mode="replace"), run_jobs)
    assert counts(report) == {"created": 3, "updated": 0, "unchanged": 1, "deactivated": 2, "failed": 3}
    assert [(e["line"], list(e["errors"])) for e in report["errors"]] == [(2, ["list_price"]), (5, ["sku"]), (6, ["category"])]
    assert report["errors"][1]["errors"]["sku"] == ["duplicate SKU in this file (first on line 1)"]
    active = {sku: p.active for sku, p in products_of(world.vendor.id).items()}
    assert active == {"OLD-1": False, "OLD-2": False, "KEEP": True, "A": True, "C": True, "E": True}


def test_a_reimport_costs_one_query_a_batch(client, world, run_jobs, monkeypatch):
    from sqlalchemy import event

    monkeypatch.setattr(services, "BATCH_ROWS", 10)

    def statements_of_reimport(count):
        rows = [row(f"S{n}") for n in range(count)]
        finished(client, world, send_json(client, world, rows), run_jobs)
        import_id = stored_import(world.vendor.id, rows)
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            transactional(services.apply_import)(import_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements_of_reimport(30) - statements_of_reimport(10) == 2  # two more batches, one query each


def test_a_large_csv_is_stored_and_read_in_parts(client, world, run_jobs, monkeypatch):
    from gpo.catalog import parsing
    from gpo.catalog.models import CatalogImportPart

    monkeypatch.setattr(parsing, "PART_SIZE", 64)  # a part cuts lines, quoted cells and \r\n endings
    lines = [f'P{n},"Gloves, size {n}\r\nsecond line",supplies,{n + 1}.50,,,,,\r\n' for n in range(40)]
    report = finished(client, world, send_csv(client, world, HEADER + "\r\n" + "".join(lines)), run_jobs)
    assert counts(report)["created"] == 40 and report["row_count"] == 40
    assert db.session.scalar(select(func.count()).select_from(CatalogImportPart)
                             .where(CatalogImportPart.catalog_import_id == report["id"])) > 30
    products = products_of(world.vendor.id)
    assert products["P39"].name == "Gloves, size 39\r\nsecond line" and products["P39"].list_price == Decimal("40.50")


def test_rows_known_unchanged_by_their_hash_are_not_checked_again_but_still_count_as_listed_and_once(
        client, world, run_jobs, monkeypatch):
    from gpo.catalog import import_rows

    finished(client, world, send_json(client, world, [row("A"), row("B"), row("OLD")]), run_jobs)
    checked = []
    real_load_row = import_rows.load_row
    monkeypatch.setattr(import_rows, "load_row", lambda r: checked.append(r["sku"]) or real_load_row(r))
    import_id = stored_import(world.vendor.id, [row("A"), row("B"), row("A"), row("C")], mode="replace")
    transactional(services.apply_import)(import_id)  # here, not in a worker: load_row is watched
    report = client.get(f"/api/v1/catalog-imports/{import_id}", headers=world.headers["vendor_key"]).get_json()
    assert checked == ["C"]  # A (twice) and B are known by their hash; only the new row is checked
    assert counts(report) == {"created": 1, "updated": 0, "unchanged": 2, "deactivated": 1, "failed": 1}
    assert report["errors"][0]["line"] == 3
    assert report["errors"][0]["errors"]["sku"] == ["duplicate SKU in this file (first on line 1)"]
    assert {sku: p.active for sku, p in products_of(world.vendor.id).items()} == \
        {"A": True, "B": True, "C": True, "OLD": False}
