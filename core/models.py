"""The API's stored answers to keyed writes (core/idempotency.py)."""

from __future__ import annotations

from django.db import models


class IdempotentAnswer(models.Model):
    """The answer given to a write sent with an Idempotency-Key, kept 24 hours for its retries.

    `user_id` is a plain number, not a foreign key: the bottom package knows no user model,
    and users are deactivated, never deleted.
    """

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.TextField()
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path, query string and body")
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "key"], name="idempotent_answer_user_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.status})"
