"""Management commands of devtools."""
