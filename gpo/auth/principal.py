"""The principal: who is calling, for which organization, with which roles."""
from __future__ import annotations

from dataclasses import dataclass

from gpo.auth.roles import API_KEY_ROLE as API_KEY_ROLE  # re-exported: the principal of an API key
from gpo.auth.roles import MSO_ROLES


def expand_roles(roles) -> frozenset[str]:
    """mso_admin may act in every MSO role."""
    roles = frozenset(roles)
    if "mso_admin" in roles:
        roles |= frozenset(MSO_ROLES)
    return roles


@dataclass(frozen=True)
class Principal:
    kind: str  # "user", "api_key" or "system" (CLI, jobs)
    organization_id: int | None
    org_type: str
    roles: frozenset[str]
    user_id: int | None = None
    api_key_id: int | None = None
    label: str = ""  # an e-mail or a key prefix, for audit events; never a secret

    @property
    def key(self) -> str:
        """A stable name for idempotency records and job ownership."""
        if self.kind == "user":
            return f"user:{self.user_id}"
        if self.kind == "api_key":
            return f"api_key:{self.api_key_id}"
        return "system"

    @property
    def is_mso(self) -> bool:
        return self.org_type == "mso"


SYSTEM = Principal(
    kind="system", organization_id=None, org_type="mso",
    roles=expand_roles({"mso_admin"}), label="system",
)
