"""The bottom package: errors, error codes, environment, idempotency, paging, exports (the one
CSV/XLSX writer), request bodies, database limits; imports nothing of the project."""
