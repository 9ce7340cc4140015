"""the close without implied keys: invoice lines' contract, vendor and product, and
purchase-order lines' product and location, lose their foreign keys; PostgreSQL checks
those ids once per statement instead

A foreign key costs one lookup per row inserted: in the close's two INSERT ... SELECTs
(a million invoice lines, the purchase-order lines pooling them) those lookups were half
of the close. The ids are copies already held by other keys: a goods line's contract and
product are its order line's (order_line_id keeps that line; its own keys keep the
product and the contract, and the product keeps its vendor), a pooled purchase-order
line's product and location are those of the order lines it pools. Lines made another
way (credit notes' adjustments, approved substitutes) name ids read from rows that exist.
So on PostgreSQL one statement-level trigger per table checks, once per INSERT or UPDATE
statement, with one join over the rows it wrote, that every such id exists (what the
keys checked, set-based); products are never removed (they are deactivated), nor are
contracts, vendors or locations. SQLite (development, tests) keeps no check, as for the
other PostgreSQL-only triggers (0005).

Revision ID: 0016_close_without_implied_keys
Revises: 0014_notifications
Create Date: 2026-12-02 17:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_close_without_implied_keys'
down_revision = '0015_running_volumes'
branch_labels = None
depends_on = None

# table -> the foreign keys dropped: (column, referred table), named as gpo/db.py's
# NAMING_CONVENTION named them in 0004 and 0005
IMPLIED_KEYS = {
    "invoice_lines": [("contract_id", "contracts"), ("vendor_id", "vendors"), ("product_id", "products")],
    "purchase_order_lines": [("product_id", "products"), ("location_id", "locations")],
}


def _key_name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def _check_function(table: str, keys: list[tuple[str, str]]) -> str:
    """The trigger function: one count over the statement's rows (`written_lines`), each
    id left-joined to the row it names. EXECUTE plans it afresh for each statement: a
    statement writes one line or a million (a hash join then, index lookups now)."""
    joins = " ".join(f"LEFT JOIN {referred} r{i} ON r{i}.id = w.{column}" for i, (column, referred) in enumerate(keys))
    missing = " OR ".join(f"(w.{column} IS NOT NULL AND r{i}.id IS NULL)" for i, (column, _) in enumerate(keys))
    return f"""
        CREATE FUNCTION {table}_references_exist() RETURNS trigger AS $$
        DECLARE
          missing bigint;
        BEGIN
          EXECUTE 'SELECT count(*) FROM written_lines w {joins} WHERE {missing}' INTO missing;
          IF missing > 0 THEN
            RAISE EXCEPTION '% row(s) of {table} name an id that does not exist', missing
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql
    """


def upgrade():
    for table, keys in IMPLIED_KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred in keys:
                batch_op.drop_constraint(_key_name(table, column, referred), type_='foreignkey')
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, keys in IMPLIED_KEYS.items():
        op.execute(_check_function(table, keys))
        for event in ("INSERT", "UPDATE"):
            op.execute(f"""
                CREATE TRIGGER {table}_{event.lower()}_references_exist AFTER {event} ON {table}
                REFERENCING NEW TABLE AS written_lines
                FOR EACH STATEMENT EXECUTE FUNCTION {table}_references_exist()
            """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in IMPLIED_KEYS:
            for event in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_references_exist ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_references_exist()")
    for table, keys in IMPLIED_KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred in keys:
                batch_op.create_foreign_key(_key_name(table, column, referred), referred, [column], ['id'])
