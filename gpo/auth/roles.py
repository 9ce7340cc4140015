"""The role names: the single source of who may be what (policy decides what each may do).

A user's roles belong to the kind of organization they work for (`ROLES_BY_ORG_TYPE`);
a vendor's API key acts in `API_KEY_ROLE`, never given to a user. `ALL_ROLES` is what
`user_roles.role` may hold (its CHECK constraint is built from it).
"""
from __future__ import annotations

MSO_ROLES = ("mso_admin", "mso_procurement", "mso_finance", "mso_scheduler")
PRACTICE_ROLES = ("practice_admin", "practice_buyer", "practice_physician")
VENDOR_ROLES = ("vendor_admin",)
ROLES_BY_ORG_TYPE = {"mso": MSO_ROLES, "practice": PRACTICE_ROLES, "vendor": VENDOR_ROLES}
ALL_ROLES = MSO_ROLES + PRACTICE_ROLES + VENDOR_ROLES

# What a vendor's API key may do: the vendor's machine-to-machine work (catalogs,
# purchase orders, shipments), never managing users or keys.
API_KEY_ROLE = "vendor_api"
