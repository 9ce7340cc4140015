"""catalog imports in flat memory: products.row_hash (the hash of the import row that
last set the product), and an import's body stored in parts (catalog_import_parts)
instead of one catalog_imports.payload text

Revision ID: 0017_catalog_row_hash
Revises: 0014_notifications
Create Date: 2027-01-12 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_catalog_row_hash'
down_revision = '0016_close_without_implied_keys'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, no default: existing products have no hash, so their next import compares
    # them field by field (and stores the hash of each row it finds unchanged).
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('row_hash', sa.String(length=48), nullable=True))
    op.create_table(
        'catalog_import_parts',
        sa.Column('catalog_import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['catalog_import_id'], ['catalog_imports.id'],
                                name=op.f('fk_catalog_import_parts_catalog_import_id_catalog_imports')),
        sa.PrimaryKeyConstraint('catalog_import_id', 'part', name=op.f('pk_catalog_import_parts')),
    )
    # Each stored body becomes its import's only part (a part may be of any length).
    op.execute("INSERT INTO catalog_import_parts (catalog_import_id, part, text) "
               "SELECT id, 0, payload FROM catalog_imports")
    _drop_column('catalog_imports', 'payload')


def _drop_column(table: str, name: str) -> None:
    """SQLite (3.35+) drops a column in place: a batch would copy the table and drop the
    old one, which the rows of the tables that refer to it forbid."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} DROP COLUMN {name}')
    else:
        op.drop_column(table, name)


def downgrade():
    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.Text(), nullable=True))
    connection = op.get_bind()
    parts = connection.execute(sa.text(
        "SELECT catalog_import_id, text FROM catalog_import_parts ORDER BY catalog_import_id, part")).all()
    bodies: dict[int, list[str]] = {}
    for import_id, text in parts:
        bodies.setdefault(import_id, []).append(text)
    for import_id, texts in bodies.items():
        connection.execute(sa.text("UPDATE catalog_imports SET payload = :payload WHERE id = :id"),
                           {"payload": "".join(texts), "id": import_id})
    op.execute("UPDATE catalog_imports SET payload = '' WHERE payload IS NULL")
    op.drop_table('catalog_import_parts')
    # (a copy of catalog_imports on SQLite: no table refers to it once its parts are gone)
    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.alter_column('payload', existing_type=sa.Text(), nullable=False)
    _drop_column('products', 'row_hash')
