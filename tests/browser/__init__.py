"""Tests in Debian's chromium: what a person sees, with screenshots kept."""
