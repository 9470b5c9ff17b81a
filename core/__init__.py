"""The bottom package: errors, error codes, environment, idempotency, paging; imports nothing of the project."""
