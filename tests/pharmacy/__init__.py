"""Tests of medicines and stock."""
