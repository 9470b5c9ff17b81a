"""Tests of the queue, consultations, prescriptions and pickups."""
