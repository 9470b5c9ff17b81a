"""Camp reports: what a camp (or every camp in a date range) did, as tables of aggregates.

`scope` reads and checks what a report is asked for (one camp, or a range and a location);
`sections` computes every table in the database, in a fixed number of queries; `formats`
writes the same tables as CSV (zipped) and XLSX. The API (consultations.report_views) and the
admin page (consultations.admin_reports) serve them, each view and export an audit event.
A report carries aggregates only: no patient's name, phone or address (docs/reports.md).
"""
