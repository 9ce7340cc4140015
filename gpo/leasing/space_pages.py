"""The storefront's shared-space page (`/leasing/spaces`): the suites the practice
occupies (or occupied), its own occupancies, its square feet and this month's share;
never another practice's name or share (gpo.leasing.spaces.space_detail)."""
from __future__ import annotations

from flask import render_template

from gpo.auth.request import current_principal
from gpo.leasing import spaces
from gpo.web.shell import page_blueprint

blp = page_blueprint("space_pages", __name__, "storefront")


@blp.get("/leasing/spaces", endpoint="spaces")
def spaces_page():
    return render_template("leasing/spaces_storefront.html", month_name=spaces.month_name,
                           suites=spaces.my_spaces(current_principal()))
