"""audit's commands: sealing, verifying, the catalogue's docs."""
