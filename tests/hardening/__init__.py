"""Tests as an attacker or a bad day would: fuzzing, injection, several servers, throttles."""
