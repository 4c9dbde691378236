"""Services: one unit of work each, all SQL here; the caller owns the transaction."""
