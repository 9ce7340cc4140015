"""The vendor portal's staff pages (WEB.md "Vendor portal pages": a staffing vendor's
people): the people the vendor supplies to the MSO's pool, with their upcoming shifts
(where and when). A vendor sees only its own people: another vendor's person is 404,
as in the API (gpo.auth.policy: the supplying vendor is a staff member's tenant)."""
from __future__ import annotations

from flask import render_template

from gpo.auth.request import current_principal
from gpo.staffing import board
from gpo.web.shell import page_blueprint

blp = page_blueprint("staffing_portal", __name__, "portal", url_prefix="/portal")


@blp.get("/staff")
def staff():
    return render_template("staffing/portal_staff.html", people=board.people_of(current_principal()))


@blp.get("/staff/<int:staff_id>")
def person(staff_id: int):
    return render_template("staffing/portal_person.html", person=board.person_of(current_principal(), staff_id))
