from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpo.audit import JsonType
from gpo.catalog.parsing import PART_SIZE
from gpo.db import BigId, CreatedAtMixin, ExactDecimal, IdPK, UTCDateTime, db, utcnow

CATEGORIES = ("equipment", "it", "supplies", "services")
CATEGORY_WORDS = {"equipment": "Equipment", "it": "IT", "supplies": "Supplies", "services": "Services"}  # on pages
Price = ExactDecimal(14, 4)


SEARCH_DOCUMENT_SQL = (
    "to_tsvector('english'::regconfig, name || ' ' || description || ' ' || manufacturer"
    " || ' ' || manufacturer_part_number || ' ' || sku)"
)


def _search_document():
    """What PostgreSQL's full-text search matches: the same expression as the GIN
    index ix_products_search (written inline so the planner can use the index)."""
    return literal_column(SEARCH_DOCUMENT_SQL)


class Product(CreatedAtMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("vendor_id", "sku"),
        CheckConstraint("list_price > 0", name="list_price_positive"),
        CheckConstraint("min_order_quantity >= 1", name="min_order_quantity"),
        CheckConstraint("order_multiple >= 1", name="order_multiple"),
        CheckConstraint(
            "category IN ('equipment', 'it', 'supplies', 'services')", name="category"
        ),
        # The shop's default page: the active catalog by name (a page of 20 read from
        # the index, not a sort of the whole catalog).
        Index("ix_products_active_name", "active", "name", "id"),
        Index(
            "ix_products_search", _search_document(), postgresql_using="gin",
            info={"postgresql_only": True},
        ).ddl_if(dialect="postgresql"),
    )
    __noun__ = "product"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    category: Mapped[str] = mapped_column(String(16), index=True)
    manufacturer: Mapped[str] = mapped_column(String(200), default="", server_default="")
    manufacturer_part_number: Mapped[str] = mapped_column(String(100), default="", server_default="")
    gtin: Mapped[str | None] = mapped_column(String(14))
    unit_of_measure: Mapped[str] = mapped_column(String(50), default="each", server_default="each")
    list_price: Mapped[Decimal] = mapped_column(Price)
    clinical: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Set when MSO procurement marks the product clinical: the vendor cannot unmark it.
    clinical_marked_by_mso: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    min_order_quantity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    order_multiple: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # "<digest>:<version>": the digest of the import row that last set the product and
    # the version it left (gpo.catalog.importing.stored_hash): the next import of the
    # same row is known unchanged without comparing fields. Any other change bumps
    # `version`, so the stored hash no longer matches.
    row_hash: Mapped[str | None] = mapped_column(String(48))

    prices: Mapped[list["ProductPrice"]] = relationship(
        order_by="ProductPrice.effective_from.desc(), ProductPrice.id.desc()", viewonly=True
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def tenant_id(self) -> int:
        return self.vendor_id


class ProductPrice(db.Model):
    """A list price and when it was in effect; the newest has no `effective_to`."""

    __tablename__ = "product_prices"
    __table_args__ = (Index("ix_product_prices_product_from", "product_id", "effective_from"),)

    id: Mapped[IdPK]
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"))
    list_price: Mapped[Decimal] = mapped_column(Price)
    effective_from: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    effective_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(254))


IMPORT_MODES = ("upsert", "replace")
IMPORT_STATUSES = ("queued", "running", "finished", "failed")


class CatalogImport(CreatedAtMixin, db.Model):
    """One bulk load of a vendor's catalog and its report."""

    __tablename__ = "catalog_imports"
    __table_args__ = (
        CheckConstraint("mode IN ('upsert', 'replace')", name="mode"),
        CheckConstraint(
            "status IN ('queued', 'running', 'finished', 'failed')", name="status"
        ),
    )
    __noun__ = "catalog import"

    id: Mapped[IdPK]
    vendor_id: Mapped[int] = mapped_column(BigId, ForeignKey("vendors.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    source_format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    row_count: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deactivated: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list] = mapped_column(JsonType, default=list)
    job_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("jobs.id"))
    created_by: Mapped[str] = mapped_column(String(254))
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    # The body as received (CSV or JSON text), in parts: the job reads it part by part.
    parts: Mapped[list["CatalogImportPart"]] = relationship(
        order_by="CatalogImportPart.part", cascade="all, delete-orphan", lazy="raise")

    @property
    def tenant_id(self) -> int:
        return self.vendor_id

    def _set_payload(self, text: str) -> None:
        self.parts = [CatalogImportPart(part=n, text=text[start:start + PART_SIZE])
                      for n, start in enumerate(range(0, max(len(text), 1), PART_SIZE))]

    # Write only: the whole body at once (a small one: tests, fixtures). An upload is
    # stored part by part (gpo.catalog.catalog_imports.start_import) and read so.
    payload = property(fset=_set_payload)


class CatalogImportPart(db.Model):
    """One part of an import's body, in order (`part` from 0): text cut between characters."""

    __tablename__ = "catalog_import_parts"

    catalog_import_id: Mapped[int] = mapped_column(BigId, ForeignKey("catalog_imports.id"), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
