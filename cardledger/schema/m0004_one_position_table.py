"""4: one table of followers' positions. The Kafka relay's position is copied
from ``cl_relay_tracking`` into ``cl_tracking`` (beside the views'), under the
name ``relay:<relay name>``: one way to follow the event log, one position
table (projections/log_follower.py).

The old table is left in place, unused: migrations add before they remove, so
a relay of the previous release still running during a rolling upgrade keeps
working (the new one starts from the copied position and may send a few
events again, which consumers drop by event id). A later migration drops it.

Frozen as written at version 4. ``WHERE true`` lets SQLite parse the upsert
after a SELECT; PostgreSQL takes it as it is."""

NAME = "one position table for the views and the relay"

STATEMENTS = (
    ("INSERT INTO cl_tracking (name, position) "
     "SELECT 'relay:' || name, position FROM cl_relay_tracking WHERE true "
     "ON CONFLICT (name) DO NOTHING"),
)
