"""core's commands: backup."""
