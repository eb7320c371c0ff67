"""Tables of the read side. Portable SQL: the same text runs on SQLite and PostgreSQL."""

TABLES = (
    """CREATE TABLE IF NOT EXISTS cl_tracking (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS cl_customers (
        aggregate_id TEXT PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        version BIGINT NOT NULL,
        registered_at TEXT NOT NULL,
        erased_at TEXT)""",
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
)

from projections import autopay_views  # noqa: E402

TABLES += autopay_views.TABLES
VIEW_TABLES = ("cl_customers", "cl_payment_methods", "cl_history", "cl_companies",
               *autopay_views.VIEW_TABLES)
