"""saved lists: a practice's order guides (a name unique per practice) and their
products with quantities (a product at most once per list)

Revision ID: 0009_saved_lists
Revises: 0008_web
Create Date: 2026-12-01 16:32:47.750746

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_saved_lists'
down_revision = '0008_web'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_lists',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('practice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_saved_lists_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_lists')),
    sa.UniqueConstraint('practice_id', 'name', name=op.f('uq_saved_lists_practice_id_name'))
    )
    with op.batch_alter_table('saved_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_lists_practice_id'), ['practice_id'], unique=False)

    op.create_table('saved_list_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_saved_list_items_quantity')),
    sa.ForeignKeyConstraint(['list_id'], ['saved_lists.id'], name=op.f('fk_saved_list_items_list_id_saved_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_saved_list_items_product_id_products'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_list_items')),
    sa.UniqueConstraint('list_id', 'product_id', name=op.f('uq_saved_list_items_list_id_product_id'))
    )
    with op.batch_alter_table('saved_list_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_list_items_list_id'), ['list_id'], unique=False)



def downgrade():
    with op.batch_alter_table('saved_list_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_list_items_list_id'))

    op.drop_table('saved_list_items')
    with op.batch_alter_table('saved_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_lists_practice_id'))

    op.drop_table('saved_lists')
