"""The doctor's side of a camp day, one module per entity: `queue`, `consultation`,
`prescriptions`, `pickup`; `rules` holds the ownership rule they share.

Ownership rules live in the services, not in the views, so Django admin and commands
obey them: a doctor moves only their own queue entries and writes only their own
consultations and prescriptions.
"""
