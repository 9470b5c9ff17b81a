"""Management commands of the bottom package."""
