"""Medical camps: where and when, how many came, and their status."""
