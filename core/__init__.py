"""The bottom package: errors, error codes, environment, idempotency, paging, exports (the one CSV/XLSX writer); imports nothing of the project."""
