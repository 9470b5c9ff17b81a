"""Medicines, stock batches and the stock ledger."""
