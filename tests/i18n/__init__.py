"""Tests of MedCamp in the camp's languages: catalogues, the API's language, users' and patients' languages."""
