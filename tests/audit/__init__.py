"""Tests of the audit trail: events, sinks, history, store and seal."""
