"""A model tracked several ways for bench/audit_save.py: simple-history alone, MedCamp's audited save, other trails."""
