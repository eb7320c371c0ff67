"""2: cardledger's own tables beside the events: the views' position, the card
list, the View History, companies, and the Kafka relay's position.

Frozen as written at version 2: a later change is a new numbered migration, never
an edit here. (projections/schema.py keeps the same tables for the rebuild's
in-memory staging copy; tests/test_migrate.py checks the two stay alike.)
Portable SQL: the same text runs on SQLite and PostgreSQL."""

NAME = "views, their position, and the relay's position"

STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS cl_tracking (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS cl_customers (
        aggregate_id TEXT PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        version BIGINT NOT NULL,
        registered_at TEXT NOT NULL)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS cl_customers_by_ids ON cl_customers (company_id, customer_id)",
    """CREATE TABLE IF NOT EXISTS cl_payment_methods (
        card_id TEXT PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        brand TEXT NOT NULL,
        last4 TEXT NOT NULL,
        exp_month INTEGER NOT NULL,
        exp_year INTEGER NOT NULL,
        funding TEXT NOT NULL,
        is_primary BOOLEAN NOT NULL,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_from TEXT NOT NULL,
        added_position BIGINT NOT NULL,
        deleted_at TEXT)""",
    """CREATE INDEX IF NOT EXISTS cl_payment_methods_by_customer
        ON cl_payment_methods (company_id, customer_id)""",
    """CREATE TABLE IF NOT EXISTS cl_history (
        position BIGINT PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        card_id TEXT,
        brand TEXT,
        last4 TEXT,
        actor TEXT NOT NULL,
        source TEXT NOT NULL,
        detail TEXT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS cl_history_by_customer
        ON cl_history (company_id, customer_id, position)""",
    """CREATE TABLE IF NOT EXISTS cl_companies (
        company_id TEXT PRIMARY KEY,
        online_payments BOOLEAN NOT NULL,
        version BIGINT NOT NULL)""",
    ("INSERT INTO cl_tracking (name, position) VALUES ('cardledger-views', 0) "
     "ON CONFLICT (name) DO NOTHING"),
    """CREATE TABLE IF NOT EXISTS cl_relay_tracking (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
)
