"""The doctor's queue, consultations, prescriptions, pickups and the camp-day pages."""
