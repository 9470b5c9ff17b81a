"""MedCamp's test suite (pytest-django); tests/conftest.py holds the checks every test passes through."""
