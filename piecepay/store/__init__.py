"""SQLite storage: connection setup, schema migrations, queries and journal writes."""
