"""products: an index on (active, name, id) for the shop's default page

Revision ID: 0010_products_active_name
Revises: 0009_saved_lists
Create Date: 2026-12-01 17:15:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_products_active_name'
down_revision = '0009_saved_lists'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_active_name', ['active', 'name', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_active_name')
