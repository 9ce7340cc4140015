"""The notification settings page, in every face: `/settings/notifications` (the
storefront), `/console/settings/notifications`, `/portal/settings/notifications`,
each linked as "Notifications" in its face's navigation. One checkbox per kind the
user could receive; essential kinds are shown on, and not changeable, with the reason.

The form names the kinds it showed (`shown`) beside the ones left ticked (`enabled`),
so a kind added to gpo after the page was loaded is not turned off by saving it. It
calls the API's use case with the same principal; a refusal shows at the kind's
checkbox, nothing changed."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth.request import current_principal
from gpo.errors import DomainError
from gpo.notifications.mail import settings
from gpo.web.forms import FormErrors, refusal
from gpo.web.shell import page_blueprint

storefront = page_blueprint("notification_pages", __name__, "storefront")
console = page_blueprint("notification_console", __name__, "console", url_prefix="/console")
portal = page_blueprint("notification_portal", __name__, "portal", url_prefix="/portal")
BLUEPRINTS = (storefront, console, portal)


def _page(errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    return render_template("notifications/settings.html", settings=settings.notification_settings(principal),
                           errors=errors or FormErrors(), email=principal.label), status


def _at_kinds(errors: FormErrors, shown: list[str]) -> FormErrors:
    """`notifications.<i>.kind` errors at the i-th posted kind's checkbox."""
    fields = {}
    for key, message in errors.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "notifications" and parts[1].isdigit() and int(parts[1]) < len(shown):
            fields[shown[int(parts[1])]] = message
        else:
            fields["form"] = message
    return FormErrors(message=errors.message, fields=fields)


def settings_page():
    return _page()


def save_settings():
    shown = [kind for kind in request.form.getlist("shown") if kind]
    enabled = set(request.form.getlist("enabled"))
    if not shown:
        return redirect(url_for(f"{request.blueprint}.settings"))
    choices = [{"kind": kind, "enabled": kind in enabled} for kind in shown]
    try:
        settings.update_notification_settings(current_principal(), choices)
    except DomainError as error:
        return _page(_at_kinds(refusal(error, shown_at_form=(422,)), shown), error.status_code)
    labels = {kind.name: kind.label for kind in settings.kinds_for(current_principal())}
    off = [labels.get(kind, kind) for kind in shown if kind not in enabled]
    flash("Saved. " + (f"Turned off: {', '.join(off)}." if off else "You receive every e-mail listed."), "success")
    return redirect(url_for(f"{request.blueprint}.settings"))


for _blueprint in BLUEPRINTS:
    _blueprint.add_url_rule("/settings/notifications", "settings", settings_page, methods=["GET"])
    _blueprint.add_url_rule("/settings/notifications", "save", save_settings, methods=["POST"])
