"""System checks of the audit configuration, run at start-up (manage.py, wsgi)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from audit.logbull_wire import config_errors


@register("audit")
def logbull_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    host, project = settings.LOGBULL_HOST, settings.LOGBULL_PROJECT_ID
    if not host and not project:
        return []
    if bool(host) != bool(project):
        return [
            Error(
                "LOGBULL_HOST and LOGBULL_PROJECT_ID must be set together.",
                hint="Set both to send audit events to LogBull, or neither.",
                id="audit.E001",
            )
        ]
    return [Error(problem, id="audit.E002") for problem in config_errors(host, project)]


@register("audit")
def audited_models_keep_their_trail(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """An AuditedModel whose history is not AuditedHistory would change without an event."""
    from django.apps import apps

    from audit.history import AuditedHistory, AuditedModel

    return [
        Error(
            f"{model._meta.label} is an AuditedModel without `history = AuditedHistory()`.",
            hint="Its changes would leave history rows but no audit event.",
            id="audit.E003",
        )
        for model in apps.get_models()
        if issubclass(model, AuditedModel) and model not in AuditedHistory.tracked
    ]


@register("audit")
def witness_key_is_private(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The witness key signs what an insider cannot rewrite: no one but its owner may read it."""
    import stat
    from pathlib import Path

    configured: str = settings.AUDIT_WITNESS_KEY_FILE
    if not configured:
        return []
    path = Path(configured)
    if not path.is_file():
        return [
            Error(f"AUDIT_WITNESS_KEY_FILE {path} is not a file.", hint="manage.py audit_witness_key", id="audit.E004")
        ]
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [
            Error(
                f"The witness key {path} can be read by others than its owner.",
                hint=f"chmod 0600 {path} (docs/deployment.md, 'The audit witness key').",
                id="audit.E005",
            )
        ]
    return []
