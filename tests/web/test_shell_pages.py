"""The web shell without a browser: sessions, the login throttle, CSRF, faces, errors."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from gpo.auth.models import LoginFailure, WebSession
from gpo.db import db, utcnow
from tests.pages import text_of


def test_sign_in_sets_an_httponly_samesite_cookie_and_sends_each_face_home(pages, world):
    for name, home in (("practice_buyer", "/shop"), ("mso_finance", "/console"), ("vendor_admin", "/portal")):
        page = pages.anonymous()
        page.get("/login")
        response = page.post("/login", {"email": world.users[name].email, "password": "test-password-123"})
        assert response.status_code == 302 and response.headers["Location"] == home
        cookie = response.headers["Set-Cookie"]
        assert "gpo_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # outside production (GPO_ENV=production sets it)


def test_a_page_without_a_session_goes_to_sign_in_and_comes_back(pages, world):
    page = pages.anonymous()
    response = page.get("/console?tab=x")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/console?tab%3Dx"
    page.get(response.headers["Location"])
    response = page.post("/login", {"email": world.users["mso_admin"].email, "password": "test-password-123",
                                    "next": "/console?tab=x"})
    assert response.headers["Location"] == "/console?tab=x"


def test_next_never_leaves_the_site(pages, world):
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        page = pages.anonymous()
        page.get("/login")
        response = page.post("/login", {"email": world.users["mso_admin"].email,
                                        "password": "test-password-123", "next": bad})
        assert response.headers["Location"] == "/console", bad


def test_wrong_password_says_so_at_the_form_and_blank_fields_at_the_field(pages, world):
    page = pages.anonymous()
    page.get("/login")
    response = page.post("/login", {"email": world.users["practice_buyer"].email, "password": "nope"})
    assert response.status_code == 401
    assert "do not match an active account" in text_of(response.get_data(as_text=True))
    response = page.post("/login", {"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-email-error"' in html and "Enter your e-mail address." in html
    assert 'aria-invalid="true"' in html


def test_the_pages_share_the_apis_login_throttle(pages, world, app):
    email = world.users["practice_buyer"].email
    page = pages.anonymous()
    page.get("/login")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert page.post("/login", {"email": email, "password": "wrong"}).status_code == 401
    response = page.post("/login", {"email": email, "password": "test-password-123"})
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert "Too many failed sign-ins" in text_of(response.get_data(as_text=True))
    # ... and the API refuses the same account too: one throttle.
    api = pages.app.test_client().post("/api/v1/auth/login", json={"email": email, "password": "test-password-123"})
    assert api.status_code == 429
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == limit


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(pages, world):
    page = pages.as_("practice_buyer")
    before = db.session.scalar(select(func.count()).select_from(WebSession).where(WebSession.ended_at.is_(None)))
    response = page.post("/logout", {}, csrf=False)
    assert response.status_code == 400
    assert "did not come from this site" in text_of(response.get_data(as_text=True))
    response = page.post("/logout", {"csrf_token": "forged"})
    assert response.status_code == 400
    db.session.expire_all()
    after = db.session.scalar(select(func.count()).select_from(WebSession).where(WebSession.ended_at.is_(None)))
    assert before == after == 1
    anonymous = pages.anonymous()
    assert anonymous.post("/login", {"email": world.users["practice_buyer"].email,
                                     "password": "test-password-123"}, csrf=False).status_code == 400


def test_signing_out_ends_the_session_on_the_server_even_for_a_copied_cookie(pages, world, app):
    page = pages.as_("mso_admin")
    cookie = page.client.get_cookie("gpo_session").value
    assert page.get("/console").status_code == 200
    page.post("/logout")
    thief = app.test_client()
    thief.set_cookie("gpo_session", cookie)
    assert thief.get("/console").status_code == 302  # to sign in


def test_a_session_expires_on_the_server_when_idle_or_old(pages, world, app):
    page = pages.as_("mso_admin")
    session = db.session.scalars(select(WebSession)).one()
    idle = app.config["WEB_SESSION_IDLE_MINUTES"]
    session.last_seen_at = utcnow() - dt.timedelta(minutes=idle + 1)
    db.session.commit()
    assert page.get("/console").status_code == 302
    page = pages.as_("mso_admin")
    newest = db.session.scalars(select(WebSession).order_by(WebSession.id.desc())).first()
    newest.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert page.get("/console").status_code == 302


def test_a_deactivated_user_is_signed_out_at_the_next_page(pages, world):
    page = pages.as_("mso_admin")
    world.users["mso_admin"].active = False
    db.session.commit()
    assert page.get("/console").status_code == 302


def test_another_faces_pages_answer_404_in_html(pages, world):
    buyer = pages.as_("practice_buyer")
    for path in ("/console", "/portal"):
        response = buyer.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in text_of(response.get_data(as_text=True))
    vendor = pages.as_("vendor_admin")
    assert vendor.get("/console").status_code == 404
    assert vendor.get("/portal").status_code == 200


def test_unknown_pages_are_html_and_api_paths_stay_json(pages, world):
    page = pages.as_("mso_admin")
    response = page.get("/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    api = page.client.get("/api/v1/no-such")
    assert api.status_code == 404 and api.mimetype == "application/json"


def test_a_crash_on_a_page_is_a_500_page_without_internals(test_config, world):
    """Through a probe app (a fresh create_app) with one console page that crashes."""
    from gpo import create_app
    from gpo.web import add_pages
    from gpo.web.shell import page_blueprint
    from tests.pages import Pages

    probe = create_app({**test_config, "PROPAGATE_EXCEPTIONS": False})
    crash = page_blueprint("crash_probe", __name__, "console", url_prefix="/console/crash-probe")

    @crash.get("")
    def boom():
        raise RuntimeError("secret internals")

    add_pages(probe, crash)
    response = Pages(probe, world).as_("mso_admin").get("/console/crash-probe")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body and "secret internals" not in body


def test_assets_come_from_us_never_a_cdn(pages, world):
    page = pages.as_("mso_admin")
    html = page.get("/console").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    assert page.client.get("/static/gpo/gpo.css").status_code == 200
    import re
    htmx = re.search(r'src="(/static/vendor/[^"]+/htmx.min.js)"', html).group(1)
    assert page.client.get(htmx).status_code == 200
    assert page.client.get("/static/vendor/0.0.0/htmx.min.js").status_code == 404


def test_the_session_cookie_is_secure_in_production():
    from flask import Flask

    from gpo.web import shell

    for env, secure in (("production", True), ("development", False)):
        probe = Flask("probe")
        probe.config.update(GPO_ENV=env, SECRET_KEY="x" * 40)
        shell.init_app(probe)
        assert probe.config["SESSION_COOKIE_SECURE"] is secure
        assert probe.config["SESSION_COOKIE_HTTPONLY"] is True and probe.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_jobs_progress_polls_while_it_runs_and_reloads_the_page_once_it_ends(pages, world):
    from gpo.auth.sessions import principal_for_user
    from gpo.jobs import Job

    starter = principal_for_user(world.users["mso_procurement"])
    job = Job(kind="orders.close", status="started", args={}, organization_id=world.mso.id,
              created_by=starter.key, attempts=1, max_attempts=3, started_at=utcnow())
    db.session.add(job)
    db.session.commit()
    page = pages.as_("mso_procurement")
    response = page.get(f"/jobs/{job.id}/progress?label=Closing the cycle")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Refresh" not in response.headers
    assert 'hx-trigger="every 1s"' in body and "Closing the cycle (job " in text_of(body)
    assert "running · attempt 1 of 3" in text_of(body)

    job.status, job.finished_at = "finished", utcnow()
    db.session.commit()
    response = page.get(f"/jobs/{job.id}/progress")
    assert response.headers["HX-Refresh"] == "true" and "hx-trigger" not in response.get_data(as_text=True)
    # another organization's job is not there; a vendor's session cannot read the MSO's
    assert pages.as_("vendor_admin").get(f"/jobs/{job.id}/progress").status_code == 404
    assert pages.anonymous().get(f"/jobs/{job.id}/progress").status_code == 404


def test_portal_navigation_can_be_for_one_kind_of_vendor(app, world):
    from gpo.auth.sessions import principal_for_user
    from gpo.web.shell import NavItem, nav_for

    items = app.extensions["gpo.web.nav"].setdefault("portal", [])
    extra = NavItem("Programs (test)", "portal.portal_home", None, 999, frozenset({"carrier"}))
    items.append(extra)
    try:
        principal = principal_for_user(world.users["vendor_admin"])
        with app.test_request_context("/portal"):
            assert extra not in nav_for(principal, world.vendor)  # a supplier
            world.vendor.kind = "carrier"
            assert extra in nav_for(principal, world.vendor)
    finally:
        items.remove(extra)
        db.session.rollback()


def test_the_console_start_page_lists_what_waits_for_the_role(app, pages, world):
    from gpo.web.shell import Waiting

    items = app.extensions["gpo.web.waiting"].setdefault("console", [])
    entry = (999, frozenset({"mso_finance"}), lambda principal: [Waiting("2 draft invoices to finalize", "/console")])
    items.append(entry)
    try:
        assert "2 draft invoices to finalize" in text_of(pages.as_("mso_finance").get("/console").get_data(as_text=True))
        body = text_of(pages.as_("mso_procurement").get("/console").get_data(as_text=True))
        assert "2 draft invoices" not in body and "Nothing is waiting for you right now." in body
    finally:
        items.remove(entry)


def test_a_sub_page_marks_its_areas_navigation_item(pages):
    page = pages.as_("mso_finance")
    html = page.get("/console/fee-schedules").get_data(as_text=True)
    assert '<a href="/console/rebates" aria-current="page">Rebates &amp; fees</a>' in html
    assert html.count('aria-current="page"') == 2  # the area in the header, the page in its sub-navigation
