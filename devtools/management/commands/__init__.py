"""devtools' commands: seed_demo, ensure_dev_admin."""
