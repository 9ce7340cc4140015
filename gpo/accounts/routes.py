"""Practices, locations, providers, vendors and users (API.md "Auth and accounts")."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import fields

from gpo.accounts import services
from gpo.accounts.models import Mso, Practice, Vendor
from gpo.accounts.schemas import (
    LocationCreateSchema,
    LocationSchema,
    PracticeCreateSchema,
    PracticeSchema,
    PracticeUpdateSchema,
    ProviderCreateSchema,
    ProviderSchema,
    ProviderUpdateSchema,
    UserCreateSchema,
    UserSchema,
    VendorCreateSchema,
    VendorSchema,
    VendorUpdateSchema,
)
from gpo.api import Blueprint, Schema, page_of
from gpo.auth.request import current_principal
from gpo.idempotency import idempotent

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Member practices, vendors and their users")


@blp.route("/practices")
class Practices(MethodView):
    @blp.response(200, PracticeSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Member practices (a practice's users see their own)."""
        pp = pagination_parameters
        return page_of(services.list_practices(current_principal(), pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(PracticeCreateSchema)
    @blp.response(201, PracticeSchema)
    def post(self, data):
        """Admit a member practice (MSO admin)."""
        return services.create_practice(current_principal(), data)


@blp.route("/practices/<int:practice_id>")
@blp.etag
class PracticeItem(MethodView):
    @blp.response(200, PracticeSchema)
    def get(self, practice_id):
        practice = services.get_practice(current_principal(), practice_id)
        blp.set_etag_for(practice)
        return practice

    @blp.arguments(PracticeUpdateSchema(partial=True))
    @blp.response(200, PracticeSchema)
    def patch(self, data, practice_id):
        """Edit a practice (If-Match). Only MSO admins change `status`."""
        practice = services.update_practice(current_principal(), practice_id, data, request.if_match)
        blp.set_etag_for(practice)
        return practice


@blp.route("/practices/<int:practice_id>/locations")
class Locations(MethodView):
    @blp.response(200, LocationSchema(many=True))
    @blp.paginate()
    def get(self, practice_id, pagination_parameters):
        """A practice's ship-to locations."""
        pp = pagination_parameters
        return page_of(services.list_locations(current_principal(), practice_id, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(LocationCreateSchema)
    @blp.response(201, LocationSchema)
    def post(self, data, practice_id):
        """Add a ship-to location (practice admin, MSO admin)."""
        return services.create_location(current_principal(), practice_id, data)


@blp.route("/practices/<int:practice_id>/providers")
class Providers(MethodView):
    @blp.response(200, ProviderSchema(many=True))
    @blp.paginate()
    def get(self, practice_id, pagination_parameters):
        """A practice's clinicians."""
        pp = pagination_parameters
        return page_of(services.list_providers(current_principal(), practice_id, pp.page, pp.page_size), pp)

    @idempotent()
    @blp.arguments(ProviderCreateSchema)
    @blp.response(201, ProviderSchema)
    def post(self, data, practice_id):
        """Add a clinician; the NPI must pass its Luhn check."""
        return services.create_provider(current_principal(), practice_id, data)


@blp.route("/providers/<int:provider_id>")
@blp.etag
class ProviderItem(MethodView):
    @blp.response(200, ProviderSchema)
    def get(self, provider_id):
        provider = services.get_provider(current_principal(), provider_id)
        blp.set_etag_for(provider)
        return provider

    @blp.arguments(ProviderUpdateSchema(partial=True))
    @blp.response(200, ProviderSchema)
    def patch(self, data, provider_id):
        """Edit a clinician (If-Match), for example set `active_to` when they leave."""
        provider = services.update_provider(current_principal(), provider_id, data, request.if_match)
        blp.set_etag_for(provider)
        return provider


def _users_view(model, url: str, org_arg: str | None, who: str):
    class Users(MethodView):
        @blp.response(200, UserSchema(many=True))
        @blp.paginate()
        def get(self, pagination_parameters, **kwargs):
            pp = pagination_parameters
            result = services.list_users(current_principal(), model, kwargs.get(org_arg), pp.page, pp.page_size)
            return page_of(result, pp)

        @idempotent()
        @blp.arguments(UserCreateSchema)
        @blp.response(201, UserSchema)
        def post(self, data, **kwargs):
            return services.create_user(current_principal(), model, kwargs.get(org_arg), data)

    Users.get.__doc__ = f"Users of {who} (its admin; MSO admins: any)."
    Users.post.__doc__ = f"Add a user to {who} with roles of that organization's kind."
    Users.__name__ = f"{model.__name__}Users"
    blp.route(url, endpoint=f"{model.__name__.lower()}_users")(Users)


_users_view(Practice, "/practices/<int:practice_id>/users", "practice_id", "a practice")
_users_view(Vendor, "/vendors/<int:vendor_id>/users", "vendor_id", "a vendor")
_users_view(Mso, "/mso/users", None, "the MSO")


class VendorQuerySchema(Schema):
    kind = fields.String(metadata={"example": "supplier"})


@blp.route("/vendors")
class Vendors(MethodView):
    @blp.arguments(VendorQuerySchema, location="query")
    @blp.response(200, VendorSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Vendors (a vendor's users and keys see their own)."""
        pp = pagination_parameters
        result = services.list_vendors(current_principal(), query.get("kind"), pp.page, pp.page_size)
        return page_of(result, pp)

    @idempotent()
    @blp.arguments(VendorCreateSchema)
    @blp.response(201, VendorSchema)
    def post(self, data):
        """Add a vendor: supplier, carrier or staffing (MSO admin, procurement)."""
        return services.create_vendor(current_principal(), data)


@blp.route("/vendors/<int:vendor_id>")
@blp.etag
class VendorItem(MethodView):
    @blp.response(200, VendorSchema)
    def get(self, vendor_id):
        vendor = services.get_vendor(current_principal(), vendor_id)
        blp.set_etag_for(vendor)
        return vendor

    @blp.arguments(VendorUpdateSchema(partial=True))
    @blp.response(200, VendorSchema)
    def patch(self, data, vendor_id):
        """Edit a vendor (If-Match). Only MSO staff change `kind`."""
        vendor = services.update_vendor(current_principal(), vendor_id, data, request.if_match)
        blp.set_etag_for(vendor)
        return vendor
