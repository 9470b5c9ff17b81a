"""Tests of the API contract: schema, lists, bounds, idempotency, a generated client."""
