"""Template tags of the camp-day pages."""
