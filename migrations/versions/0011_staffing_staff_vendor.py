"""staff members: the staffing vendor who supplies a person (nullable: the MSO's own
employees have none), so a staffing vendor's portal shows its own people

Revision ID: 0011_staffing
Revises: 0010_products_active_name
Create Date: 2026-12-01 19:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_staffing'
down_revision = '0010_products_active_name'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vendor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_staff_members_vendor_id'), ['vendor_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_staff_members_vendor_id_vendors'), 'vendors', ['vendor_id'], ['id'])


def downgrade():
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_members_vendor_id_vendors'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_staff_members_vendor_id'))
        batch_op.drop_column('vendor_id')
