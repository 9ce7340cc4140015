"""Insurance in a real browser: MSO procurement finds the program waiting on the
console's start page, binds it and watches the binding job's progress until the page
shows what it bound and invoiced; a carrier reads its program's enrollments in the
portal without any practice or person named, and posts a program, fixing the field
the form refused. axe-core on every page; the program page at 390 px wide."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from gpo import jobs
from gpo.billing.models import Invoice
from gpo.db import db
from gpo.insurance.models import InsuranceProgram
from tests.browser.conftest import assert_accessible, screenshot
from tests.scenarios import Insurance


@pytest.fixture
def ins(client, world, run_jobs):
    return Insurance(client, world, run_jobs)


@pytest.fixture
def program(ins, world):
    """Keystone's program with a provider of Lakeside and one of Riverbend enrolled
    ($12,000.00 each at the 0% the group of 2 reaches)."""
    program = ins.program()
    ins.enrolled(program, world.provider)
    ins.enrolled(program, ins.b[0], headers=ins.b_admin)
    return program


def test_procurement_binds_a_program_and_watches_the_job_finish(web, world, ins, program, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", queued.append)  # the job waits until the test runs it
    page = web.sign_in("mso_procurement@example.test")
    page.get_by_role("link", name=re.compile("Physicians group program: 2 enrollments, to bind before cover starts")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Physicians group program")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insurance").click()
    row = page.get_by_role("row", name=re.compile("Physicians group program"))
    expect(row).to_contain_text("Keystone Mutual")
    expect(row).to_contain_text("1 more provider to reach 5% (2 of 3)")
    assert_accessible(page, "the console's programs")
    screenshot(page, "console-insurance", docs=True)

    page.get_by_role("link", name="Physicians group program").click()
    enrollments = page.get_by_role("region", name="Enrollments")
    expect(enrollments.get_by_role("row", name=re.compile("Lakeside"))).to_contain_text("$12,000.00")
    expect(enrollments.get_by_role("row", name=re.compile("Riverbend"))).to_contain_text("quoted at 0% group discount")
    assert_accessible(page, "the program before binding")
    page.get_by_role("button", name="Bind program").click()
    progress = page.get_by_role("status").filter(has_text="Binding (job")
    expect(progress).to_contain_text("waiting to start")
    expect(page.get_by_role("progressbar", name="Binding in progress")).to_be_visible()
    expect(page.get_by_role("button", name="Bind program")).to_have_count(0)
    assert_accessible(page, "the program being bound")

    monkeypatch.undo()
    (job_id,) = queued
    web.settle()
    jobs.run(job_id)  # the worker's part; the page, polling, reloads itself when it ends
    web.settle()
    outcome = page.get_by_role("status").filter(has_text="Bound: premiums are final")
    expect(outcome).to_contain_text(re.compile(r"Premiums bound\s*\$24,000\.00"))
    expect(outcome).to_contain_text(re.compile(r"Installment invoices created\s*2 invoices with 2 installments"))
    expect(enrollments.get_by_role("row", name=re.compile("Lakeside"))).to_contain_text("final")
    assert_accessible(page, "the bound program")
    screenshot(page, "console-insurance-program", docs=True)

    def state():
        return (db.session.get(InsuranceProgram, program["id"]).status,
                db.session.scalar(select(func.count(Invoice.id)).where(Invoice.kind == "insurance")))

    assert web.query(state) == ("bound", 2)

    narrow = web.sign_in("mso_finance@example.test", width=390)
    narrow.goto(f"/console/insurance/programs/{program['id']}")
    expect(narrow.get_by_role("heading", level=1)).to_have_text("Physicians group program")
    assert_accessible(narrow, "the bound program at 390 px")


def test_the_carrier_sees_its_enrollments_without_practice_names_and_posts_a_program(web, world, ins, program):
    page = web.sign_in("carrier_admin@example.test")
    page.get_by_role("link", name="1 program open for enrollment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your malpractice programs")
    expect(page.get_by_role("row", name=re.compile("Physicians group program"))).to_contain_text("2 of 3")
    assert_accessible(page, "the carrier's programs")
    screenshot(page, "portal-programs", docs=True)

    page.get_by_role("link", name="Physicians group program").click()
    enrollments = page.get_by_role("region", name="Enrollments")
    expect(enrollments.get_by_role("row")).to_have_count(3)  # the header and two enrollments
    expect(enrollments).to_contain_text("family medicine")
    expect(enrollments).to_contain_text("$12,000.00")
    main, html = page.get_by_role("main"), page.content()
    for hidden in (world.practice.name, world.other_practice.name):
        expect(main).not_to_contain_text(hidden)
        assert hidden not in html
    # the provider it underwrites, as the API's carrier view has it
    expect(enrollments).to_contain_text(f"{world.provider.first_name} {world.provider.last_name}")
    expect(enrollments).to_contain_text(f"NPI {world.provider.npi}")
    assert_accessible(page, "the carrier's program")

    page.get_by_role("link", name="All your programs").click()
    page.get_by_label("Program name").fill("Keystone surgeons program")
    page.get_by_label("Annual rates").fill("1, 1M/3M, 12000.005")
    page.get_by_role("button", name="Post program").click()
    rates = page.get_by_label("Annual rates")
    expect(rates).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("line 1: '12000.005' is not an amount in dollars and cents")).to_be_visible()
    assert_accessible(page, "the refused program form")
    rates.fill("1, 1M/3M, 12000.00\n1, 2M/4M, 15000.00\n6, 1M/3M, 41000.00\n6, 2M/4M, 49000.00\n"
               "8, 1M/3M, 52000.00\n8, 2M/4M, 61000.00")
    page.get_by_role("button", name="Post program").click()
    expect(page.get_by_role("status").filter(has_text="is posted")).to_contain_text(
        "Keystone surgeons program is posted: open for enrollment.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keystone surgeons program")
    assert_accessible(page, "the posted program")
