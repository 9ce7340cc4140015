"""The shell's own pages: sign in, sign out, and `/` sending each user to their face."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from gpo import jobs
from gpo.auth import sessions
from gpo.errors import NotFound, TooManyRequests, Unauthenticated
from gpo.web.shell import SESSION_TOKEN, _local_path, home_for, page_blueprint, signed_in, waiting_for

blp = Blueprint("web", __name__, template_folder="templates")


@blp.get("/")
def home():
    principal = signed_in()
    return redirect(home_for(principal) if principal else url_for("web.login"))


@blp.route("/login", methods=["GET", "POST"])
def login():
    next_path = _local_path(request.values.get("next"))
    if request.method == "GET":
        if signed_in():
            return redirect(home_for(signed_in()))
        return render_template("web/login.html", next_path=next_path, email="", errors={})
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    errors = {}
    if not email:
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        return render_template("web/login.html", next_path=next_path, email=email, errors=errors), 422
    try:
        token, user = sessions.sign_in(email, password, request.remote_addr or "unknown")
    except (Unauthenticated, TooManyRequests) as exc:
        message = ("That e-mail and password do not match an active account."
                   if isinstance(exc, Unauthenticated) else f"Too many failed sign-ins: {exc.message}.")
        response = render_template("web/login.html", next_path=next_path, email=email,
                                   errors={"form": message})
        return response, exc.status_code, exc.headers or {}
    session.clear()  # a new session id and CSRF token after signing in (no fixation)
    session[SESSION_TOKEN] = token
    flash(f"Signed in as {user.email}.", "success")
    principal = sessions.principal_for_user(user)
    return redirect(next_path if next_path != "/" else home_for(principal))


@blp.post("/logout")
def logout():
    sessions.sign_out(session.get(SESSION_TOKEN))
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("web.login"))


@blp.get("/jobs/<int:job_id>/progress")
def job_progress(job_id: int):
    """The partial that `ui.job_progress` polls while a job runs, for any face (the job's
    own rule decides who may read it). Once the job has ended, htmx reloads the whole
    page (HX-Refresh), which then shows the feature's own result."""
    principal = signed_in()
    if principal is None:
        raise NotFound("sign in to follow a job")
    job = jobs.get_job(principal, job_id)
    label = request.args.get("label", "Job")[:60]
    headers = {} if job.status in ("queued", "started") else {"HX-Refresh": "true"}
    return render_template("web/job_progress.html", job=job, label=label), 200, headers


# The console's and the portal's start pages: what waits for this user (each feature
# says, through add_waiting) and the face's pages (add_nav).
console = page_blueprint("console", __name__, "console", url_prefix="/console")
portal = page_blueprint("portal", __name__, "portal", url_prefix="/portal")


@console.get("")
def console_home():
    return render_template("web/face_home.html", face="console", title="MSO console",
                           waiting=waiting_for("console", signed_in()))


@portal.get("")
def portal_home():
    return render_template("web/face_home.html", face="portal", title="Vendor portal",
                           waiting=waiting_for("portal", signed_in()))
