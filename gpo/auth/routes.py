"""Login, the current principal and vendor API keys."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from gpo.api import Blueprint, page_of
from gpo.auth import services
from gpo.auth.request import current_principal, public
from gpo.auth.schemas import (
    ApiKeyCreatedSchema,
    ApiKeyCreateSchema,
    ApiKeySchema,
    LoginSchema,
    MeSchema,
    TokenSchema,
)

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign in, who am I, vendor API keys")


@blp.route("/auth/login")
@public
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Exchange e-mail and password for a short-lived access token.

        Repeated failures for one account or from one address answer 429."""
        token, user = services.login(data["email"], data["password"], request.remote_addr or "unknown")
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": current_app.config["ACCESS_TOKEN_TTL_SECONDS"],
            "user": user,
        }


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """The caller: a user or an API key, its organization and roles."""
        return services.describe(current_principal())


@blp.route("/vendors/<int:vendor_id>/api-keys")
class ApiKeys(MethodView):
    @blp.response(200, ApiKeySchema(many=True))
    @blp.paginate()
    def get(self, vendor_id, pagination_parameters):
        """The vendor's keys (never the keys themselves)."""
        pp = pagination_parameters
        result = services.list_api_keys(current_principal(), vendor_id, pp.page, pp.page_size)
        return page_of(result, pp)

    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, ApiKeyCreatedSchema)
    def post(self, data, vendor_id):
        """Create a key (vendor admin). The response shows the key this once.

        Not idempotent on purpose: replaying would mean storing the key."""
        return services.create_api_key(current_principal(), vendor_id, data["name"])


@blp.route("/api-keys/<int:api_key_id>")
class ApiKeyItem(MethodView):
    @blp.response(204)
    def delete(self, api_key_id):
        """Revoke a key: it stops working at once."""
        services.revoke_api_key(current_principal(), api_key_id)
