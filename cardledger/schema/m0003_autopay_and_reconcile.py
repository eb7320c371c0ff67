"""3: autopay's views (who has autopay on which card, the retry worker's queue,
the expiring-cards report's index) and the reconciler's resume point.

Frozen as written at version 3 (see m0002). projections/autopay_views.py keeps
the same tables for the rebuild's staging copy; tests/test_migrate.py checks
the two stay alike. Portable SQL, SQLite and PostgreSQL."""

NAME = "autopay views and the reconciler's progress"

STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS cl_autopay (
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        enabled BOOLEAN NOT NULL,
        card_id TEXT,
        PRIMARY KEY (company_id, customer_id))""",
    """CREATE TABLE IF NOT EXISTS cl_autopay_due (
        charge_id TEXT PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        due_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS cl_autopay_due_by_time ON cl_autopay_due (due_at)",
    """CREATE INDEX IF NOT EXISTS cl_payment_methods_by_expiry
        ON cl_payment_methods (company_id, exp_year, exp_month, card_id)
        WHERE deleted_at IS NULL""",
    """CREATE TABLE IF NOT EXISTS cl_reconcile_progress (
        name TEXT PRIMARY KEY,
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL)""",
)
