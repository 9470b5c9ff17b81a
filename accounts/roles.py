"""Roles are Django groups, so one grant serves Django admin (model permissions) and the API.

The groups themselves are created by a data migration; their model permissions are
synchronised from ROLE_MODEL_PERMISSIONS after every migrate, because a model's
permissions exist only once its migration has run (post_migrate).
"""

from __future__ import annotations

from typing import Any

ADMIN = "admin"
DOCTOR = "doctor"
PHARMACIST = "pharmacist"
VOLUNTEER = "volunteer"
COUNSELLOR = "counsellor"
AUDITOR = "auditor"
ALL_ROLES: tuple[str, ...] = (ADMIN, DOCTOR, PHARMACIST, VOLUNTEER, COUNSELLOR, AUDITOR)
EVERYONE = frozenset(ALL_ROLES)

# role -> {"app_label.model": letters}: a=add, c=change, d=delete, v=view.
# Historical models are view-only for everyone (history is never edited).
ROLE_MODEL_PERMISSIONS: dict[str, dict[str, str]] = {
    ADMIN: {"*": "acdv"},
    AUDITOR: {"*": "v"},
    VOLUNTEER: {
        "camps.medicalcamp": "v",
        "patients.patient": "acv",
        "patients.visit": "acv",
        "patients.vitals": "acv",
        "consultations.queueentry": "acv",
        "pharmacy.medicine": "v",
    },
    DOCTOR: {
        "camps.medicalcamp": "v",
        "patients.patient": "v",
        "patients.visit": "v",
        "patients.vitals": "acv",
        "consultations.queueentry": "cv",
        "consultations.consultation": "acv",
        "consultations.prescription": "acdv",
        "consultations.dispense": "v",
        "pharmacy.medicine": "v",
        "pharmacy.stockbatch": "v",
    },
    PHARMACIST: {
        "camps.medicalcamp": "v",
        "patients.patient": "v",
        "patients.visit": "v",
        "consultations.consultation": "v",
        "consultations.prescription": "v",
        "consultations.dispense": "av",
        "pharmacy.medicine": "acv",
        "pharmacy.stockbatch": "acv",
        "pharmacy.stockmovement": "v",
    },
    COUNSELLOR: {
        "camps.medicalcamp": "v",
        "patients.patient": "v",
        "patients.visit": "v",
        "consultations.consultation": "cv",
    },
}
HISTORY_READERS = frozenset({ADMIN, AUDITOR})
DOMAIN_APPS = ("accounts", "camps", "patients", "consultations", "pharmacy", "audit")
_LETTERS = {"a": "add", "c": "change", "d": "delete", "v": "view"}


def wanted_codenames(role: str, models: list[tuple[str, str, bool]]) -> set[tuple[str, str]]:
    """(app_label, codename) pairs a role should hold, given (app, model, is_history) tuples."""
    grants = ROLE_MODEL_PERMISSIONS[role]
    wanted: set[tuple[str, str]] = set()
    for app_label, model, is_history in models:
        if is_history or app_label == "audit":
            # History and the event store are read by admins and auditors only, and edited by nobody.
            letters = "v" if role in HISTORY_READERS else ""
        else:
            letters = grants.get(f"{app_label}.{model}", grants.get("*", ""))
        for letter in letters:
            wanted.add((app_label, f"{_LETTERS[letter]}_{model}"))
    return wanted


def sync_role_permissions(sender: Any = None, **kwargs: Any) -> None:
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    models = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in DOMAIN_APPS:
            name = meta.model_name or ""
            models.append((meta.app_label, name, name.startswith("historical")))
    perms = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(content_type__app_label__in=DOMAIN_APPS)
    }
    for role in ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [perms[key] for key in sorted(wanted_codenames(role, models)) if key in perms]
        group.permissions.set(wanted)
