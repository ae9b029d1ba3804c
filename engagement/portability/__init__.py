"""Moving comments in and out: importers for other comment systems, the JSON export of
everything, and a commenter's own data (exported on request, erased on request)."""
