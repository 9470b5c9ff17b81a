"""How drf-spectacular describes MedCamp's API: title, the error hook, and stable enum names.

The enum names are fixed here so the mobile app's generated client keeps its type names
when a model's choices move; clinic.schema adds the one error shape to every operation.
"""

SPECTACULAR_SETTINGS = {
    "TITLE": "MedCamp API",
    "DESCRIPTION": "Patient flow and audit trail of free medical camps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "clinic.schema.add_error_component",
    ],
    "ENUM_NAME_OVERRIDES": {
        "VisitStatusEnum": "patients.models.Visit.Status",
        "QueueStatusEnum": "consultations.models.QueueEntry.Status",
        "CampStatusEnum": "camps.models.MedicalCamp.Status",
        "PrescriptionStatusEnum": "consultations.models.Prescription.Status",
        "CounsellingEnum": "consultations.models.Consultation.Counselling",
        "RoleEnum": "accounts.roles.ALL_ROLES",
        "HealthStatusEnum": ["ok", "unavailable"],
    },
}
