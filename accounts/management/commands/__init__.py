"""accounts' commands: create_admin, role_matrix."""
