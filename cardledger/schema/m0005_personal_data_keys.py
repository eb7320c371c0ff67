"""5: erasure by crypto-shredding. Each customer's personal-data key in a
table of its own (cardledger/personal_data.py), and the customers' view says
when a customer was erased (the card list then answers 410).

Frozen as written at version 5. Portable SQL, SQLite and PostgreSQL."""

NAME = "personal-data keys and erased customers"

STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS cl_data_keys (
        company_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        data_key TEXT,
        created_at TEXT NOT NULL,
        destroyed_at TEXT,
        PRIMARY KEY (company_id, customer_id))""",
    "ALTER TABLE cl_customers ADD COLUMN erased_at TEXT",
)
