"""Tests of camps."""
