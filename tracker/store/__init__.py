"""The SQLModel store: tables, engine and the caller-owned session scope."""
