"""The policy decides with plain objects: no database needed."""
from dataclasses import dataclass

import pytest

from gpo.auth import policy
from gpo.auth.principal import API_KEY_ROLE, Principal, expand_roles
from gpo.errors import Forbidden, NotFound


@dataclass
class Thing:
    id: int
    tenant_id: int


def principal(org_type, org_id, *roles):
    return Principal(kind="user", organization_id=org_id, org_type=org_type, roles=expand_roles(roles), user_id=1)


def test_mso_admin_acts_in_every_mso_role():
    assert {"mso_procurement", "mso_finance", "mso_scheduler"} <= expand_roles({"mso_admin"})
    assert expand_roles({"mso_finance"}) == {"mso_finance"}


def test_another_organizations_object_is_not_found_not_forbidden():
    with pytest.raises(NotFound):
        policy.authorize(principal("practice", 1, "practice_admin"), "provider.update", Thing(7, tenant_id=2))


def test_own_object_with_the_wrong_role_is_forbidden():
    with pytest.raises(Forbidden):
        policy.authorize(principal("practice", 1, "practice_buyer"), "provider.update", Thing(7, tenant_id=1))


def test_own_object_with_the_right_role_passes():
    policy.authorize(principal("practice", 1, "practice_admin"), "provider.update", Thing(7, tenant_id=1))


def test_mso_staff_see_every_tenant_but_roles_still_apply():
    policy.authorize(principal("mso", 99, "mso_admin"), "provider.update", Thing(7, tenant_id=1))
    with pytest.raises(Forbidden):
        policy.authorize(principal("mso", 99, "mso_finance"), "provider.update", Thing(7, tenant_id=1))


def test_api_keys_cannot_manage_keys_or_users():
    key = Principal(kind="api_key", organization_id=5, org_type="vendor", roles=frozenset({API_KEY_ROLE}), api_key_id=1)
    for action in ("api_key.create", "api_key.revoke", "user.create"):
        with pytest.raises(Forbidden):
            policy.authorize(key, action, Thing(5, tenant_id=5))


def test_every_action_names_known_roles():
    from gpo.accounts.models import ALL_ROLES

    known = set(ALL_ROLES) | {API_KEY_ROLE}
    for action, roles in policy.ACTIONS.items():
        assert roles and roles <= known, action
