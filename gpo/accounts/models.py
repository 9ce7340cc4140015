"""Organizations (the MSO, practices, vendors), their users, locations and providers.

Every organization is a row of `organizations`; a practice or vendor adds its own
table sharing the id (joined inheritance), so `organization_id` on users, audit
events and jobs names any of them and a practice's id is its organization id.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.auth.roles import ALL_ROLES
from gpo.db import BigId, CreatedAtMixin, IdPK, db, one_of_sql

ORG_TYPES = ("mso", "practice", "vendor")
PRACTICE_STATUSES = ("active", "suspended")
VENDOR_KINDS = ("supplier", "carrier", "staffing")
DEFAULT_TIME_ZONE = "America/Chicago"





class Organization(CreatedAtMixin, db.Model):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(one_of_sql("org_type", ORG_TYPES), name="org_type"),
        # There is exactly one operating MSO.
        Index(
            "uq_organizations_single_mso",
            "org_type",
            unique=True,
            sqlite_where=text("org_type = 'mso'"),
            postgresql_where=text("org_type = 'mso'"),
        ),
    )

    id: Mapped[IdPK]
    org_type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {
        "polymorphic_on": "org_type",
        "polymorphic_identity": "organization",
        "version_id_col": version,
    }


class Mso(Organization):
    __mapper_args__ = {"polymorphic_identity": "mso"}


class Practice(Organization):
    __tablename__ = "practices"
    __table_args__ = (CheckConstraint(one_of_sql("status", PRACTICE_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id"), primary_key=True)
    tax_id: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    joined_on: Mapped[dt.date] = mapped_column(Date)
    # The IANA zone the practice's pages show dates and times in (the API stays UTC).
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE)

    locations: Mapped[list["Location"]] = relationship(back_populates="practice")

    __mapper_args__ = {"polymorphic_identity": "practice"}


class Vendor(Organization):
    __tablename__ = "vendors"
    __table_args__ = (CheckConstraint(one_of_sql("kind", VENDOR_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(BigId, ForeignKey("organizations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))

    __mapper_args__ = {"polymorphic_identity": "vendor"}


class Location(CreatedAtMixin, db.Model):
    """A practice's ship-to address."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("practice_id", "name"),)

    id: Mapped[IdPK]
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))

    practice: Mapped[Practice] = relationship(back_populates="locations")

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class Provider(CreatedAtMixin, db.Model):
    """A clinician of a practice (no patient data: name, NPI, specialty, dates)."""

    __tablename__ = "providers"
    __table_args__ = (
        UniqueConstraint("practice_id", "npi"),
        CheckConstraint("active_to IS NULL OR active_to >= active_from", name="active_dates"),
    )

    id: Mapped[IdPK]
    practice_id: Mapped[int] = mapped_column(BigId, ForeignKey("practices.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    npi: Mapped[str] = mapped_column(String(10))
    specialty: Mapped[str] = mapped_column(String(64))
    active_from: Mapped[dt.date] = mapped_column(Date)
    active_to: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.practice_id


class User(CreatedAtMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[IdPK]
    organization_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organizations.id"), index=True
    )
    # Stored lower-cased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    organization: Mapped[Organization] = relationship()
    role_rows: Mapped[list["UserRole"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.role_rows]

    @property
    def tenant_id(self) -> int:
        return self.organization_id


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(one_of_sql("role", ALL_ROLES), name="role"),)

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


# The tenant of an organization is itself (see gpo/auth/policy.py).
Organization.tenant_id = property(lambda self: self.id)
