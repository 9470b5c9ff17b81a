"""Tests of running a camp: health, backups, the camp laptop."""
