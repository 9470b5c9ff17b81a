"""Tests of camp reports: numbers, queries, API, admin and formats."""
