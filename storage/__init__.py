"""The event store's PostgreSQL plumbing, below every reader and writer of it:
time-bounded connections and calls (bounded_postgres.py), and on both stores
a hook for work in the append's own transaction (same_transaction.py,
sqlite_store.py). Imports only the
eventsourcing library and psycopg, so the views (projections/) and the
composition root (cardledger/) both build on it without importing upward."""
