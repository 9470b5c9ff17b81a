"""The audit trail: events, their sinks, the event store and its hash chain, history, auditors' screens."""
