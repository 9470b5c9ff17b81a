"""Tests of patients, visits and vitals."""
