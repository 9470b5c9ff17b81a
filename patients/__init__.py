"""Patients, their visits to a camp and the vitals recorded there."""
