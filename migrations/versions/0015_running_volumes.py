"""running volumes: what each contract's confirmed lines add up to in a cycle, per slot
and tier, kept by every order (gpo/orders/running_volumes.py); filled here from the
confirmed lines of the cycles still counting (open or closing)

Revision ID: 0015_running_volumes
Revises: 0014_notifications
Create Date: 2026-12-03 09:00:00

"""
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

# revision identifiers, used by Alembic.
revision = '0015_running_volumes'
down_revision = '0014_notifications'
branch_labels = None
depends_on = None

SLOTS = 64  # gpo.orders.models.RUNNING_VOLUME_SLOTS when this revision was written


def upgrade():
    op.create_table('running_volumes',
    sa.Column('cycle_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contract_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tier_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('units', sa.BigInteger(), nullable=False),
    sa.Column('list_cents', sa.BigInteger(), nullable=False),
    sa.Column('tier_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint(f'slot >= 0 AND slot < {SLOTS}', name=op.f('ck_running_volumes_slot')),
    sa.CheckConstraint('tier_index >= 0', name=op.f('ck_running_volumes_tier_index')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_running_volumes_contract_id_contracts')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_running_volumes_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('cycle_id', 'contract_id', 'slot', 'tier_index', name=op.f('pk_running_volumes'))
    )
    _fill(op.get_bind())


def downgrade():
    op.drop_table('running_volumes')


# --- the rows of the orders confirmed before this revision --------------------------------
# Self-contained (the app's code may change after this revision): the same rules as
# gpo.money and gpo.contracts.tiers: a unit price at a discount is rounded half-up to 4
# places, a line's cents half-up once; a fixed item price replaces the discount.


def _cents(price: Decimal, quantity: int) -> int:
    return int((price * quantity * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _price_at(tier: dict, product_id: int, list_price: Decimal) -> Decimal:
    fixed = (tier.get('item_prices') or {}).get(str(product_id))
    if fixed is not None:
        return Decimal(str(fixed))
    discount = Decimal(str(tier['discount_percent']))
    return (list_price * (1 - discount / 100)).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)


def _fill(conn) -> None:
    sqlite = conn.dialect.name == 'sqlite'
    contracts = sa.table('contracts', sa.column('id'), sa.column('tiers', sa.JSON().with_variant(JSONB(), 'postgresql')))
    cycles = sa.table('cycles', sa.column('id'), sa.column('status'))
    orders = sa.table('orders', sa.column('id'), sa.column('cycle_id'), sa.column('status'))
    lines = sa.table('order_lines', sa.column('order_id'), sa.column('contract_id'), sa.column('product_id'),
                     sa.column('list_price'), sa.column('quantity'))
    tiers = {cid: t or [{'min_volume': 0, 'discount_percent': '0'}]
             for cid, t in conn.execute(sa.select(contracts.c.id, contracts.c.tiers))}
    slot = orders.c.id % SLOTS
    grouped = conn.execute(
        sa.select(orders.c.cycle_id, lines.c.contract_id, slot, lines.c.product_id, lines.c.list_price,
                  lines.c.quantity, sa.func.count())
        .select_from(lines.join(orders, orders.c.id == lines.c.order_id).join(cycles, cycles.c.id == orders.c.cycle_id))
        .where(orders.c.status == 'confirmed', cycles.c.status.in_(('open', 'closing')))
        .group_by(orders.c.cycle_id, lines.c.contract_id, slot, lines.c.product_id, lines.c.list_price,
                  lines.c.quantity))
    sums = defaultdict(lambda: [0, 0, 0])
    for cycle_id, contract_id, slot_of, product_id, stored_price, quantity, count in grouped:
        list_price = Decimal(stored_price).scaleb(-4) if sqlite else Decimal(stored_price)
        list_cents = _cents(list_price, quantity)
        for index, tier in enumerate(tiers[contract_id]):
            row = sums[(cycle_id, contract_id, int(slot_of), index)]
            row[0] += quantity * count
            row[1] += list_cents * count
            row[2] += _cents(_price_at(tier, product_id, list_price), quantity) * count
    running = sa.table('running_volumes', *(sa.column(c) for c in (
        'cycle_id', 'contract_id', 'slot', 'tier_index', 'units', 'list_cents', 'tier_cents')))
    rows = [dict(cycle_id=k[0], contract_id=k[1], slot=k[2], tier_index=k[3], units=v[0], list_cents=v[1],
                 tier_cents=v[2]) for k, v in sorted(sums.items())]
    for start in range(0, len(rows), 1000):
        conn.execute(sa.insert(running), rows[start:start + 1000])
