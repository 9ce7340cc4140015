"""Shared space (API.md "Leasing"): suites, occupancies and the month's split."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent
from gpo.leasing import spaces
from gpo.leasing.space_schemas import (
    OCCUPANCY_END_EXAMPLE,
    OCCUPANCY_EXAMPLE,
    SPACE_CREATE_EXAMPLE,
    OccupancyEndSchema,
    OccupancyInSchema,
    OccupancySchema,
    SpaceCreateSchema,
    SpaceDetailSchema,
    SpaceQuerySchema,
    SpaceSchema,
)

blp = Blueprint("leasing_spaces", __name__, url_prefix="/api/v1",
                description="Shared suites sublet to practices by square feet, and each month's split")


def _occupancy(occupancy) -> dict:
    return spaces.occupancy_view(occupancy, spaces.practice_names([occupancy.practice_id]))


@blp.route("/leasing/spaces")
class Spaces(MethodView):
    @blp.response(200, SpaceSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Shared suites with this month's rent (MSO staff: all; a practice: the suites it
        occupies or occupied)."""
        pp = pagination_parameters
        principal = current_principal()
        result = spaces.list_spaces(principal, pp.page, pp.page_size)
        result.items = [spaces.space_row(principal, space) for space in result.items]
        return page_of(result, pp)

    @idempotent()
    @blp.arguments(SpaceCreateSchema, example=SPACE_CREATE_EXAMPLE)
    @blp.response(201, SpaceDetailSchema)
    def post(self, data):
        """Create a suite the MSO rents (MSO finance and admins): its monthly base rent,
        the escalation on each anniversary of its start, and its square feet."""
        principal = current_principal()
        space = spaces.create_space(principal, data)
        return spaces.space_detail(principal, space.id)


@blp.route("/leasing/spaces/<int:space_id>")
class SpaceItem(MethodView):
    @blp.arguments(SpaceQuerySchema, location="query")
    @blp.response(200, SpaceDetailSchema)
    def get(self, query, space_id):
        """A suite, its occupancies and the month's rent split by square-foot-days, the
        vacancy being the MSO's own share. A practice sees its own occupancies and share
        and the suite's rent and size, never another practice's."""
        return spaces.space_detail(current_principal(), space_id, query.get("month"))


@blp.route("/leasing/spaces/<int:space_id>/occupancies")
class Occupancies(MethodView):
    @idempotent()
    @blp.arguments(OccupancyInSchema, example=OCCUPANCY_EXAMPLE)
    @blp.response(201, OccupancySchema)
    def post(self, data, space_id):
        """Add a practice's square feet in the suite (MSO finance and admins), checked
        under the suite's row lock: never, on any day, more than the suite's square feet
        in all (409), never overlapping the practice's own occupancy of it (409), not
        before the suite's start (422)."""
        return _occupancy(spaces.add_occupancy(current_principal(), space_id, data))


@blp.route("/leasing/occupancies/<int:occupancy_id>/end")
class EndOccupancy(MethodView):
    @blp.arguments(OccupancyEndSchema, example=OCCUPANCY_END_EXAMPLE)
    @blp.response(200, OccupancySchema)
    def post(self, data, occupancy_id):
        """End an occupancy on its last day (MSO finance and admins): an open one, or one
        ending later. Ending it later than it ends is 409."""
        return _occupancy(spaces.end_occupancy(current_principal(), occupancy_id, data["ends_on"]))
