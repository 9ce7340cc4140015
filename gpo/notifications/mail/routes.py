"""`GET/PUT /me/notifications`: which e-mails the signed-in user receives."""
from __future__ import annotations

from flask.views import MethodView

from gpo.api import Blueprint
from gpo.auth.request import current_principal
from gpo.notifications.mail import settings
from gpo.notifications.mail.schemas import (
    SETTINGS_EXAMPLE,
    UPDATE_EXAMPLE,
    NotificationSettingsSchema,
    NotificationSettingsUpdateSchema,
)

blp = Blueprint("notification_settings", __name__, url_prefix="/api/v1",
                description="Which e-mails each user receives (notification settings)")


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @blp.response(200, NotificationSettingsSchema, example=SETTINGS_EXAMPLE)
    @blp.doc(operationId="get_my_notification_settings")
    def get(self):
        """Every kind of e-mail the caller could receive, given their organization and
        roles, with whether it is on. Users only: an API key has no mailbox (403)."""
        return {"notifications": settings.notification_settings(current_principal())}

    @blp.arguments(NotificationSettingsUpdateSchema, example=UPDATE_EXAMPLE)
    @blp.response(200, NotificationSettingsSchema, example=SETTINGS_EXAMPLE)
    @blp.doc(operationId="update_my_notification_settings")
    def put(self, data):
        """Turn kinds of e-mail on or off; kinds left out keep their setting. An essential
        kind (a purchase order for a vendor, a failed payment) cannot be turned off, and
        an unknown kind or one the caller does not receive is refused: 422 at
        `notifications.<i>.kind`, nothing changed. Audited on the user."""
        return {"notifications": settings.update_notification_settings(current_principal(), data["notifications"])}
