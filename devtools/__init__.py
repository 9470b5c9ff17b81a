"""Development only: the demo camp and the development admin."""
