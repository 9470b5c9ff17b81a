"""Tests of Django admin as the clinicians' front door."""
