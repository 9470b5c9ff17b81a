"""Tests of users, roles and signing in."""
