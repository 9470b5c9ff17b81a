"""Users and their roles, signing in and out (API and admin), and the role matrix."""
